import { useMemo } from 'preact/hooks';
import type { Fleet, NodeRow } from '../fleet.js';
import { isFailed, powerKey, ProvisionState, testKey } from '../components/state.js';
import { PoolUsageBar, usePools } from './pools.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { Time } from '../time.js';
import { useApi } from '../use-api.js';

interface Conductor {
  hostname: string;
  conductor_group: string;
  alive: boolean;
  drivers: string[];
  updated_at: string | null;
  created_at: string;
}

/** The fleet at a glance: counts, failures, conductors, pools, BMC health and what is moving now. */
export function OverviewPage({ fleet, session }: { fleet: Fleet; session: Session }) {
  const nodes = fleet.nodes.value;
  const counts = useMemo(() => countNodes(nodes), [nodes]);
  const conductors = useApi(
    (signal) => session.client.get<{ conductors: Conductor[] }>('/v1/conductors?detail=True', signal),
    [fleet.machinesVersion.value],
  );
  const pools = usePools(fleet, session);
  const recent = fleet.feed.recent.value;

  if (!fleet.loaded.value) return <p class="loading">Reading the fleet…</p>;
  return (
    <div class="overview">
      <h1>Overview</h1>
      <section aria-labelledby="by-state" class="card">
        <h2 id="by-state">
          Hosts <span data-testid="count-total">{counts.total}</span>
          {!fleet.complete.value && <span class="muted"> (reading the rest…)</span>}
        </h2>
        {counts.total === 0 ? (
          <p class="empty">No hosts are enrolled yet. Enroll one with `anvil node create` or `POST /v1/nodes`.</p>
        ) : (
          <div class="counts">
            <CountList title="Provision state" entries={counts.provision} prefix="provision" link="provision" />
            <CountList title="Power" entries={counts.power} prefix="power" link="power" />
            <dl class="count-list">
              <dt>Maintenance</dt>
              <dd>
                <a href={`${href('hosts')}?maintenance=true`} data-testid="count-maintenance">
                  {counts.maintenance}
                </a>
              </dd>
              <dt>Fault</dt>
              <dd>
                <a href={`${href('hosts')}?fault=any`} data-testid="count-fault">
                  {counts.fault}
                </a>
              </dd>
            </dl>
          </div>
        )}
      </section>

      <section aria-labelledby="failed" class="card">
        <h2 id="failed">Failed hosts</h2>
        {counts.failed.length === 0 ? (
          <p class="empty">No host is in a failed state.</p>
        ) : (
          <ol class="failed" data-testid="failed-hosts">
            {counts.failed.slice(0, 20).map((n) => (
              <li data-testid="failed-host">
                <a href={href('hosts', n.uuid)}>{n.name ?? n.uuid}</a> <ProvisionState state={n.provision_state} />{' '}
                <Time iso={n.provision_updated_at ?? n.updated_at ?? n.created_at} />
                <p class="last-error">{n.last_error ?? 'No error was recorded.'}</p>
              </li>
            ))}
          </ol>
        )}
        {counts.failed.length > 20 && (
          <p>
            And {counts.failed.length - 20} more: <a href={href('hosts')}>see them in the hosts table</a>.
          </p>
        )}
      </section>

      <section aria-labelledby="bmc" class="card">
        <h2 id="bmc">BMC health</h2>
        {counts.powerFailures.length === 0 ? (
          <p class="empty">Every BMC answered the last power sync.</p>
        ) : (
          <ul data-testid="bmc-failures">
            {counts.powerFailures.map((n) => (
              <li>
                <a href={href('hosts', n.uuid)}>{n.name ?? n.uuid}</a>: {n.maintenance_reason ?? n.fault}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="conductors" class="card">
        <h2 id="conductors">Conductors</h2>
        {conductors.error !== null && <p class="error">{conductors.error}</p>}
        <ul class="conductors">
          {(conductors.data?.conductors ?? []).map((c) => (
            <li data-testid="conductor" class={c.alive ? 'alive' : 'dead'}>
              <strong>{c.hostname}</strong> {c.alive ? 'alive' : 'not heartbeating'}
              {c.conductor_group ? ` · group ${c.conductor_group}` : ''} · last heartbeat{' '}
              <Time iso={c.updated_at ?? c.created_at} />
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="pools" class="card">
        <h2 id="pools">Address pools</h2>
        {pools.error !== null && <p class="error">{pools.error}</p>}
        {pools.data?.length === 0 && <p class="empty">No IPAM pool is defined.</p>}
        <ul class="pools">
          {(pools.data ?? []).map((p) => (
            <li>
              <a href={href('pools', p.name)}>{p.name}</a> <PoolUsageBar pool={p} />
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="now" class="card wide">
        <h2 id="now">Happening now</h2>
        {recent.length === 0 ? (
          <p class="empty">Nothing has changed since this page opened.</p>
        ) : (
          <ol class="recent">
            {recent.slice(0, 15).map((c) => (
              <li data-testid="recent-change">
                <Time iso={c.created_at} /> {c.kind} <ChangeSubject kind={c.kind} uuid={c.uuid} data={c.data} />{' '}
                {c.action}
                {c.kind === 'node' && typeof c.data.provision_state === 'string' && (
                  <>
                    : <ProvisionState state={c.data.provision_state} />
                  </>
                )}
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}

function ChangeSubject({ kind, uuid, data }: { kind: string; uuid: string; data: Record<string, unknown> }) {
  const name = typeof data.name === 'string' ? data.name : uuid;
  if (kind === 'node') return <a href={href('hosts', uuid)}>{name}</a>;
  if (kind === 'machine') return <a href={href('machines', uuid)}>{name}</a>;
  return <span>{name}</span>;
}

function CountList({
  title,
  entries,
  prefix,
  link,
}: {
  title: string;
  entries: [string, number][];
  prefix: string;
  link: string;
}) {
  return (
    <dl class="count-list">
      <dt class="group">{title}</dt>
      {entries.map(([key, n]) => (
        <>
          <dt>{key}</dt>
          <dd>
            <a
              href={`${href('hosts')}?${link}=${encodeURIComponent(key)}`}
              data-testid={`count-${prefix}-${testKey(key)}`}
            >
              {n}
            </a>
          </dd>
        </>
      ))}
    </dl>
  );
}

interface Counts {
  total: number;
  provision: [string, number][];
  power: [string, number][];
  maintenance: number;
  fault: number;
  /** Newest failure first. */
  failed: NodeRow[];
  powerFailures: NodeRow[];
}

function countNodes(nodes: ReadonlyMap<string, NodeRow>): Counts {
  const provision = new Map<string, number>();
  const power = new Map<string, number>();
  let maintenance = 0;
  let fault = 0;
  const failed: NodeRow[] = [];
  const powerFailures: NodeRow[] = [];
  for (const n of nodes.values()) {
    provision.set(n.provision_state, (provision.get(n.provision_state) ?? 0) + 1);
    const p = powerKey(n.power_state);
    power.set(p, (power.get(p) ?? 0) + 1);
    if (n.maintenance) maintenance++;
    if (n.fault !== null) fault++;
    if (n.fault === 'power failure') powerFailures.push(n);
    if (isFailed(n.provision_state)) failed.push(n);
  }
  const when = (n: NodeRow) => n.provision_updated_at ?? n.updated_at ?? '';
  failed.sort((a, b) => when(b).localeCompare(when(a)));
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    total: nodes.size,
    provision: sorted(provision),
    power: sorted(power),
    maintenance,
    fault,
    failed,
    powerFailures,
  };
}
