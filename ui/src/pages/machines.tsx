import type { Fleet } from '../fleet.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { Time } from '../time.js';
import { useApi } from '../use-api.js';
import { NotLoaded } from '../components/not-loaded.js';

/** A Cluster API machine as `/v1/anvil/machines` answers it. */
interface Machine {
  uuid: string;
  name: string;
  spec: {
    cluster: string;
    role: string | null;
    failure_domain: string | null;
    paused?: boolean;
    image: { url: string } | null;
    host_selector: { match_labels: Record<string, string>; traits: string[]; resource_class: string | null };
  };
  status: {
    phase: string;
    deleting: boolean;
    node_uuid: string | null;
    provider_id: string | null;
    addresses: { type: string; address: string }[];
    ready: boolean;
    failure_reason: string | null;
    failure_message: string | null;
    phase_times: Record<string, string>;
    remediation: unknown;
  };
  created_at: string;
  updated_at: string | null;
}

const phaseTone = (phase: string) =>
  phase === 'failed' ? 'bad' : phase === 'provisioned' ? 'good' : phase === 'pending' ? 'idle' : 'busy';

/** The Cluster API view: every machine, its phase, its host and addresses; follows the feed. */
export function MachinesPage({ fleet, session }: { fleet: Fleet; session: Session }) {
  const machines = useApi(
    (signal) => session.client.all<Machine>('/v1/anvil/machines?limit=1000', 'machines', signal),
    [fleet.machinesVersion.value],
  );
  const nodes = fleet.nodes.value;
  return (
    <div class="machines">
      <h1>Machines</h1>
      {machines.error !== null && <p class="error">{machines.error}</p>}
      {machines.data?.length === 0 && (
        <p class="empty">No Cluster API machine exists. A provider creates them with `POST /v1/anvil/machines`.</p>
      )}
      {(machines.data?.length ?? 0) > 0 && (
        <div class="table-wrap">
          <table class="grid">
            <thead>
              <tr>
                <th>Name</th>
                <th>Cluster</th>
                <th>Phase</th>
                <th>Host</th>
                <th>Addresses</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {machines.data!.map((m) => (
                <tr data-testid="machine-row" data-uuid={m.uuid}>
                  <td>
                    <a href={href('machines', m.uuid)}>{m.name}</a>
                  </td>
                  <td>
                    {m.spec.cluster}
                    {m.spec.role !== null && <span class="muted"> · {m.spec.role}</span>}
                  </td>
                  <td>
                    <span class={`state state-${phaseTone(m.status.phase)}`}>{m.status.phase}</span>
                    {m.status.deleting && <span class="tag">deleting</span>}
                    {m.status.failure_message !== null && <p class="last-error">{m.status.failure_message}</p>}
                  </td>
                  <td>
                    {m.status.node_uuid === null ? (
                      '—'
                    ) : (
                      <a href={href('hosts', m.status.node_uuid)}>
                        {nodes.get(m.status.node_uuid)?.name ?? m.status.node_uuid}
                      </a>
                    )}
                  </td>
                  <td>{m.status.addresses.map((a) => a.address).join(', ')}</td>
                  <td>
                    <Time iso={m.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function MachinePage({ uuid, fleet, session }: { uuid: string; fleet: Fleet; session: Session }) {
  const machine = useApi(
    (signal) => session.client.get<Machine>(`/v1/anvil/machines/${uuid}`, signal),
    [uuid, fleet.machinesVersion.value],
  );
  const m = machine.data;
  if (m === null) return <NotLoaded error={machine.error} what="machine" list="machines" />;
  const selector = m.spec.host_selector;
  return (
    <div class="machine">
      <p class="crumbs">
        <a href={href('machines')}>Machines</a> /
      </p>
      <h1>{m.name}</h1>
      <p class="status-line">
        <span class={`state state-${phaseTone(m.status.phase)}`} data-testid="machine-phase">
          {m.status.phase}
        </span>
        {m.status.ready && <span class="tag good">ready</span>}
        {m.spec.paused === true && <span class="tag">paused</span>}
      </p>
      {m.status.failure_message !== null && (
        <div class="last-error-box" role="alert">
          <strong>{m.status.failure_reason ?? 'Failure'}</strong>
          <p>{m.status.failure_message}</p>
        </div>
      )}
      <div class="host-grid">
        <section class="card" aria-labelledby="m-status">
          <h2 id="m-status">Status</h2>
          <dl class="fields">
            <dt>Host</dt>
            <dd>
              {m.status.node_uuid === null ? (
                'none yet'
              ) : (
                <a href={href('hosts', m.status.node_uuid)}>
                  {fleet.nodes.value.get(m.status.node_uuid)?.name ?? m.status.node_uuid}
                </a>
              )}
            </dd>
            <dt>Provider ID</dt>
            <dd>
              <code>{m.status.provider_id ?? '—'}</code>
            </dd>
            <dt>Addresses</dt>
            <dd>{m.status.addresses.map((a) => `${a.address} (${a.type})`).join(', ') || '—'}</dd>
            {Object.entries(m.status.phase_times).map(([phase, at]) => (
              <>
                <dt>{phase}</dt>
                <dd>
                  <Time iso={at} />
                </dd>
              </>
            ))}
          </dl>
        </section>
        <section class="card" aria-labelledby="m-spec">
          <h2 id="m-spec">Asked for</h2>
          <dl class="fields">
            <dt>Cluster</dt>
            <dd>{m.spec.cluster}</dd>
            <dt>Role</dt>
            <dd>{m.spec.role ?? '—'}</dd>
            <dt>Failure domain</dt>
            <dd>{m.spec.failure_domain ?? 'any'}</dd>
            <dt>Image</dt>
            <dd>{m.spec.image?.url ?? '—'}</dd>
            <dt>Host labels</dt>
            <dd>
              {Object.entries(selector.match_labels).map(([k, v]) => (
                <span class="tag">{`${k}=${v}`}</span>
              ))}
              {Object.keys(selector.match_labels).length === 0 && 'any'}
            </dd>
            <dt>Traits</dt>
            <dd>{selector.traits.join(', ') || '—'}</dd>
          </dl>
          <details>
            <summary>Whole spec</summary>
            <pre>{JSON.stringify(m.spec, null, 2)}</pre>
          </details>
        </section>
      </div>
    </div>
  );
}
