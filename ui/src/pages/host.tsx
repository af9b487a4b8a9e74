import { useEffect, useState } from 'preact/hooks';
import { ACTIONS, type BulkOutcome, type NodeAction } from '../actions.js';
import { ActionDialog, ActionOutcome } from '../components/action-dialog.js';
import { powerKey, ProvisionState, stateTone } from '../components/state.js';
import type { Fleet, NodeRow } from '../fleet.js';
import { href } from '../router.js';
import { canOperate, type Session } from '../session.js';
import { Time } from '../time.js';
import { useApi } from '../use-api.js';
import { NotLoaded } from '../components/not-loaded.js';
import { HostHardware } from './host-hardware.js';

interface HistoryEntry {
  uuid: string;
  created_at: string;
  severity: 'INFO' | 'WARNING' | 'ERROR';
  event_type: string;
  event: string;
  conductor: string | null;
  user: string | null;
}

type NodeDetail = NodeRow & Record<string, unknown>;

/** While a host is moving its history grows without the node changing (boot files served, agent steps): read it this often. */
const BUSY_REFRESH_MS = 3000;

/** One host: its fields, its story (history joined with what Anvil served it), its hardware, and the actions its state allows. */
export function HostPage({ uuid, fleet, session }: { uuid: string; fleet: Fleet; session: Session }) {
  const row = fleet.nodes.value.get(uuid);
  const busy = row !== undefined && stateTone(row.provision_state) === 'busy';
  const tick = useTick(busy ? BUSY_REFRESH_MS : null);
  const node = useApi((signal) => session.client.get<NodeDetail>(`/v1/nodes/${uuid}`, signal), [uuid, row]);
  const history = useApi(
    (signal) => session.client.all<HistoryEntry>(`/v1/nodes/${uuid}/history?detail=True&limit=1000`, 'history', signal),
    [uuid, row, tick],
  );
  const [action, setAction] = useState<NodeAction | null>(null);
  const [outcome, setOutcome] = useState<{ label: string; outcome: BulkOutcome } | null>(null);

  if (node.data === null) return <NotLoaded error={node.error} what="host" list="hosts" />;
  // The feed's view is newer than the last read while a read is under way.
  const n: NodeDetail = row === undefined ? node.data : { ...node.data, ...row };
  const actions = canOperate(session) ? ACTIONS.filter((a) => a.allowed(n)) : [];

  return (
    <div class="host">
      <p class="crumbs">
        <a href={href('hosts')}>Hosts</a> /
      </p>
      <h1 data-testid="host-name">{n.name ?? n.uuid}</h1>
      <p class="status-line">
        <ProvisionState state={n.provision_state} target={n.target_provision_state} /> · power {powerKey(n.power_state)}
        {n.target_power_state !== null && ` → ${powerKey(n.target_power_state)}`}
        {n.maintenance && <span class="tag">maintenance{n.maintenance_reason ? `: ${n.maintenance_reason}` : ''}</span>}
        {n.fault !== null && <span class="tag bad">{n.fault}</span>}
      </p>
      {n.last_error !== null && (
        <div class="last-error-box" role="alert" data-testid="last-error">
          <strong>Last error</strong>
          <p>{n.last_error}</p>
        </div>
      )}
      {actions.length > 0 && (
        <div class="host-actions" data-testid="host-actions" role="group" aria-label="Actions on this host">
          {actions.map((a) => (
            <button type="button" onClick={() => setAction(a)}>
              {a.label}
            </button>
          ))}
        </div>
      )}
      {outcome !== null && <ActionOutcome label={outcome.label} outcome={outcome.outcome} />}

      <div class="host-grid">
        <section class="card" aria-labelledby="fields">
          <h2 id="fields">Fields</h2>
          <Fields node={n} />
        </section>
        <section class="card timeline-card" aria-labelledby="timeline">
          <h2 id="timeline">Timeline</h2>
          {history.error !== null && <p class="error">{history.error}</p>}
          <Timeline entries={history.data ?? []} />
        </section>
        <HostHardware uuid={uuid} session={session} refresh={row} />
      </div>

      {action !== null && (
        <ActionDialog
          action={action}
          nodes={[n]}
          session={session}
          onCancel={() => setAction(null)}
          onDone={(o) => {
            setAction(null);
            setOutcome({ label: action.verb, outcome: o });
          }}
        />
      )}
    </div>
  );
}

function Fields({ node: n }: { node: NodeDetail }) {
  const labels = Object.entries(n.extra).filter(([, v]) => typeof v === 'string');
  const rows: [string, preact.ComponentChildren][] = [
    ['UUID', <code>{n.uuid}</code>],
    ['Driver', n.driver],
    ['Conductor', n.conductor ?? '—'],
    ['Resource class', n.resource_class ?? '—'],
    ['Instance', n.instance_uuid ?? '—'],
    ['Labels', labels.length === 0 ? '—' : labels.map(([k, v]) => <span class="tag">{`${k}=${String(v)}`}</span>)],
    ['Traits', n.traits.length === 0 ? '—' : n.traits.map((t) => <span class="tag">{t}</span>)],
    ['State changed', <Time iso={n.provision_updated_at} full />],
    ['Created', <Time iso={n.created_at} full />],
  ];
  const more = ['driver_info', 'properties', 'instance_info', 'driver_internal_info'] as const;
  return (
    <>
      <dl class="fields">
        {rows.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </>
        ))}
      </dl>
      {more.map((key) => (
        <details>
          <summary>{key}</summary>
          <pre>{JSON.stringify(n[key] ?? {}, null, 2)}</pre>
        </details>
      ))}
    </>
  );
}

/** Newest first: provision and power changes, BMC errors, and each boot file Anvil served (event type `boot`). */
function Timeline({ entries }: { entries: HistoryEntry[] }) {
  if (entries.length === 0) return <p class="empty">Nothing has happened to this host yet.</p>;
  const newest = [...entries].reverse();
  return (
    <ol class="timeline" data-testid="timeline">
      {newest.map((e) => (
        <li data-testid="timeline-entry" class={`sev-${e.severity.toLowerCase()}`}>
          <span class={`kind kind-${e.event_type}`}>{e.event_type}</span> <Time iso={e.created_at} full />
          <p>{e.event}</p>
          {(e.user !== null || e.conductor !== null) && (
            <p class="muted">
              {e.user !== null && `by ${e.user}`}
              {e.user !== null && e.conductor !== null && ' · '}
              {e.conductor !== null && `on ${e.conductor}`}
            </p>
          )}
        </li>
      ))}
    </ol>
  );
}

function useTick(everyMs: number | null): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (everyMs === null) return undefined;
    const timer = setInterval(() => setTick((t) => t + 1), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return tick;
}
