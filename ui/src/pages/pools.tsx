import type { Fleet } from '../fleet.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { Time } from '../time.js';
import { useApi } from '../use-api.js';
import { NotLoaded } from '../components/not-loaded.js';

/** An IPAM pool with its usage (`GET /v1/ipam/pools/{name}`); sizes past 2^53 come as strings. */
export interface Pool {
  uuid: string;
  name: string;
  family: string;
  cidr?: string;
  ranges?: { start: string; end: string }[];
  gateway?: string | null;
  usage?: { size: number | string; allocated: number; free: number | string };
}

interface Claim {
  uuid: string;
  name: string;
  owner: string | null;
  address: string;
  prefix: number;
  created_at: string;
}

/** Every pool with its usage, read again when a claim changes. */
export function usePools(fleet: Fleet, session: Session) {
  return useApi(
    async (signal) => {
      const pools = await session.client.all<Pool>('/v1/ipam/pools?limit=1000', 'pools', signal);
      return Promise.all(
        pools.map((p) => session.client.get<Pool>(`/v1/ipam/pools/${encodeURIComponent(p.name)}`, signal)),
      );
    },
    [fleet.poolsVersion.value],
  );
}

export function PoolUsageBar({ pool }: { pool: Pool }) {
  if (pool.usage === undefined) return null;
  const size = Number(pool.usage.size);
  const used = pool.usage.allocated;
  const percent = size > 0 ? Math.min(100, (used / size) * 100) : 0;
  return (
    <span class="usage" data-testid="pool-usage" data-pool={pool.name}>
      <meter min={0} max={size} value={used} high={size * 0.9} aria-label={`${pool.name} used`} />
      {used} used, {String(pool.usage.free)} free of {String(pool.usage.size)} (
      {percent.toFixed(percent < 1 && used > 0 ? 2 : 0)}%)
    </span>
  );
}

export function PoolsPage({ fleet, session }: { fleet: Fleet; session: Session }) {
  const pools = usePools(fleet, session);
  return (
    <div class="pools">
      <h1>Address pools</h1>
      {pools.error !== null && <p class="error">{pools.error}</p>}
      {pools.data?.length === 0 && <p class="empty">No IPAM pool is defined. Create one with `POST /v1/ipam/pools`.</p>}
      {(pools.data?.length ?? 0) > 0 && (
        <div class="table-wrap">
          <table class="grid">
            <thead>
              <tr>
                <th>Name</th>
                <th>Family</th>
                <th>Network</th>
                <th>Usage</th>
              </tr>
            </thead>
            <tbody>
              {pools.data!.map((p) => (
                <tr data-testid="pool-row">
                  <td>
                    <a href={href('pools', p.name)}>{p.name}</a>
                  </td>
                  <td>{p.family}</td>
                  <td>
                    <code>{p.cidr ?? ''}</code>
                  </td>
                  <td>
                    <PoolUsageBar pool={p} />
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

export function PoolPage({ name, fleet, session }: { name: string; fleet: Fleet; session: Session }) {
  const pool = useApi(
    (signal) =>
      session.client.get<Pool & Record<string, unknown>>(`/v1/ipam/pools/${encodeURIComponent(name)}`, signal),
    [name, fleet.poolsVersion.value],
  );
  const claims = useApi(
    (signal) =>
      session.client.all<Claim>(`/v1/ipam/pools/${encodeURIComponent(name)}/claims?limit=1000`, 'claims', signal),
    [name, fleet.poolsVersion.value],
  );
  const p = pool.data;
  if (p === null) return <NotLoaded error={pool.error} what="pool" list="pools" />;
  return (
    <div class="pool">
      <p class="crumbs">
        <a href={href('pools')}>Pools</a> /
      </p>
      <h1>{p.name}</h1>
      <p>
        <PoolUsageBar pool={p} />
      </p>
      <div class="host-grid">
        <section class="card" aria-labelledby="p-spec">
          <h2 id="p-spec">Definition</h2>
          <pre>{JSON.stringify({ ...p, links: undefined, usage: undefined }, null, 2)}</pre>
        </section>
        <section class="card" aria-labelledby="p-claims">
          <h2 id="p-claims">Claims</h2>
          {claims.error !== null && <p class="error">{claims.error}</p>}
          {claims.data?.length === 0 && <p class="empty">Nothing has claimed an address from this pool.</p>}
          <table class="small">
            <tbody>
              {(claims.data ?? []).map((c) => (
                <tr>
                  <td>
                    <code>
                      {c.address}/{c.prefix}
                    </code>
                  </td>
                  <td>
                    {c.owner?.startsWith('node:') ? (
                      <a href={href('hosts', c.owner.slice(5))}>
                        {fleet.nodes.value.get(c.owner.slice(5))?.name ?? c.owner}
                      </a>
                    ) : (
                      (c.owner ?? c.name)
                    )}
                  </td>
                  <td>
                    <Time iso={c.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}
