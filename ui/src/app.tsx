import { useEffect, useMemo } from 'preact/hooks';
import { Fleet } from './fleet.js';
import { LiveStatus } from './components/live-status.js';
import { HostPage } from './pages/host.js';
import { HostsPage } from './pages/hosts.js';
import { LoginPage } from './pages/login.js';
import { MachinePage, MachinesPage } from './pages/machines.js';
import { OverviewPage } from './pages/overview.js';
import { PoolPage, PoolsPage } from './pages/pools.js';
import { href, route } from './router.js';
import { authMode, resume, session, signOut, type Session } from './session.js';
import { signal } from '@preact/signals';

const startError = signal<string | null>(null);
void resume().catch((err: unknown) => {
  startError.value = err instanceof Error ? err.message : String(err);
});

export function App() {
  const s = session.value;
  if (s !== null) return <Dashboard session={s} />;
  if (startError.value !== null)
    return (
      <main class="page">
        <p class="error" role="alert">
          {startError.value}
        </p>
      </main>
    );
  if (authMode.value === null) return <p class="loading">Loading Anvil…</p>;
  return <LoginPage mode={authMode.value} />;
}

const SECTIONS = [
  { id: '', label: 'Overview' },
  { id: 'hosts', label: 'Hosts' },
  { id: 'machines', label: 'Machines' },
  { id: 'pools', label: 'Pools' },
] as const;

function Dashboard({ session: s }: { session: Session }) {
  const fleet = useMemo(() => new Fleet(s.client), [s]);
  useEffect(() => {
    void fleet.start();
    return () => fleet.close();
  }, [fleet]);
  const [section = '', id] = route.value.path;
  return (
    <>
      <header class="top">
        <a class="brand" href={href()}>
          Anvil
        </a>
        <nav aria-label="Sections">
          {SECTIONS.map((sec) => (
            <a href={href(sec.id)} aria-current={section === sec.id ? 'page' : undefined}>
              {sec.label}
            </a>
          ))}
        </nav>
        <LiveStatus status={fleet.feed.status.value} />
        <span class="whoami" data-testid="whoami">
          {s.name} ({s.role})
        </span>
        {s.auth !== 'none' && (
          <button type="button" class="quiet" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main class="page">
        {fleet.error.value !== null && (
          <p class="error" role="alert">
            Could not read the fleet: {fleet.error.value}
          </p>
        )}
        <Section section={section} id={id} fleet={fleet} session={s} />
      </main>
    </>
  );
}

function Section({
  section,
  id,
  fleet,
  session: s,
}: {
  section: string;
  id: string | undefined;
  fleet: Fleet;
  session: Session;
}) {
  switch (section) {
    case '':
      return <OverviewPage fleet={fleet} session={s} />;
    case 'hosts':
      return id === undefined ? (
        <HostsPage fleet={fleet} session={s} />
      ) : (
        <HostPage uuid={id} fleet={fleet} session={s} />
      );
    case 'machines':
      return id === undefined ? (
        <MachinesPage fleet={fleet} session={s} />
      ) : (
        <MachinePage uuid={id} fleet={fleet} session={s} />
      );
    case 'pools':
      return id === undefined ? (
        <PoolsPage fleet={fleet} session={s} />
      ) : (
        <PoolPage name={id} fleet={fleet} session={s} />
      );
    default:
      return (
        <p class="empty">
          Nothing here. <a href={href()}>Back to the overview</a>.
        </p>
      );
  }
}
