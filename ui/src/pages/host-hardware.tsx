import { ApiError, type ApiClient } from '../api.js';
import type { Session } from '../session.js';
import { Time } from '../time.js';
import { useApi } from '../use-api.js';

/** IPA's inventory, as inspection stored it (the fields the dashboard shows). */
interface Inventory {
  cpu?: { model_name?: string; count?: number; architecture?: string; frequency?: string | number };
  memory?: { total?: number; physical_mb?: number };
  disks?: { name: string; size?: number; model?: string; rotational?: boolean; serial?: string }[];
  interfaces?: {
    name: string;
    mac_address?: string;
    ipv4_address?: string | null;
    has_carrier?: boolean;
    speed_mbps?: number | null;
  }[];
  system_vendor?: { manufacturer?: string; product_name?: string; serial_number?: string };
  boot?: { current_boot_mode?: string };
}

interface Address {
  address: string;
  prefix: number;
  family: string;
  pool: string;
  gateway: string | null;
}

/** Reads `path`, answering null where the API says there is nothing (404): not inspected yet, no BIOS cached. */
async function optional<T>(client: ApiClient, path: string, signal: AbortSignal): Promise<T | null> {
  try {
    return await client.get<T>(path, signal);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** What the host is made of and what it was given: inventory, addresses, BIOS settings, firmware. */
export function HostHardware({ uuid, session, refresh }: { uuid: string; session: Session; refresh: unknown }) {
  const client = session.client;
  const inventory = useApi(
    (s) => optional<{ inventory: Inventory }>(client, `/v1/nodes/${uuid}/inventory`, s),
    [uuid, refresh],
  );
  const addresses = useApi(
    (s) => client.get<{ addresses: Address[] }>(`/v1/anvil/nodes/${uuid}/addresses`, s),
    [uuid, refresh],
  );
  const networkData = useApi((s) => client.get<unknown>(`/v1/anvil/nodes/${uuid}/network_data`, s), [uuid, refresh]);
  const ports = useApi(
    (s) => client.get<{ ports: { address: string; pxe_enabled: boolean }[] }>(`/v1/nodes/${uuid}/ports?detail=True`, s),
    [uuid],
  );
  const bios = useApi(
    (s) => optional<{ bios: { name: string; value: string | null }[] }>(client, `/v1/nodes/${uuid}/bios`, s),
    [uuid, refresh],
  );
  const firmware = useApi(
    (s) =>
      optional<{ firmware: { component: string; current_version: string | null; updated_at: string | null }[] }>(
        client,
        `/v1/nodes/${uuid}/firmware`,
        s,
      ),
    [uuid],
  );
  const inv = inventory.data?.inventory;

  return (
    <>
      <section class="card" aria-labelledby="inventory">
        <h2 id="inventory">Inventory</h2>
        {inventory.error !== null && <p class="error">{inventory.error}</p>}
        {inventory.data === null && !inventory.loading && inventory.error === null && (
          <p class="empty">Not inspected yet: inspect the host to record its hardware.</p>
        )}
        {inv !== undefined && (
          <>
            <dl class="fields">
              {inv.system_vendor && (
                <>
                  <dt>System</dt>
                  <dd>
                    {[inv.system_vendor.manufacturer, inv.system_vendor.product_name].filter(Boolean).join(' ')}{' '}
                    {inv.system_vendor.serial_number && <span class="muted">({inv.system_vendor.serial_number})</span>}
                  </dd>
                </>
              )}
              <dt>CPUs</dt>
              <dd>
                {inv.cpu?.count ?? '?'} × {inv.cpu?.model_name ?? 'unknown model'} ({inv.cpu?.architecture ?? '?'})
              </dd>
              <dt>Memory</dt>
              <dd>
                {inv.memory?.physical_mb !== undefined ? `${inv.memory.physical_mb} MiB` : bytes(inv.memory?.total)}
              </dd>
              {inv.boot?.current_boot_mode && (
                <>
                  <dt>Boot mode</dt>
                  <dd>{inv.boot.current_boot_mode}</dd>
                </>
              )}
            </dl>
            <h3>Disks</h3>
            <table class="small">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Size</th>
                  <th>Model</th>
                  <th>Type</th>
                </tr>
              </thead>
              <tbody>
                {(inv.disks ?? []).map((d) => (
                  <tr>
                    <td>{d.name}</td>
                    <td>{bytes(d.size)}</td>
                    <td>{d.model ?? ''}</td>
                    <td>{d.rotational === undefined ? '' : d.rotational ? 'HDD' : 'SSD'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h3>NICs</h3>
            <table class="small">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>MAC</th>
                  <th>Link</th>
                  <th>Speed</th>
                  <th>IPv4</th>
                </tr>
              </thead>
              <tbody>
                {(inv.interfaces ?? []).map((i) => (
                  <tr>
                    <td>{i.name}</td>
                    <td>
                      <code>{i.mac_address ?? ''}</code>
                    </td>
                    <td>{i.has_carrier === undefined ? '' : i.has_carrier ? 'up' : 'down'}</td>
                    <td>{i.speed_mbps ? `${i.speed_mbps} Mb/s` : ''}</td>
                    <td>{i.ipv4_address ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>

      <section class="card" aria-labelledby="addresses">
        <h2 id="addresses">Addresses</h2>
        {addresses.error !== null && <p class="error">{addresses.error}</p>}
        {addresses.data?.addresses.length === 0 && <p class="empty">No IPAM address is claimed for this host.</p>}
        <ul>
          {(addresses.data?.addresses ?? []).map((a) => (
            <li>
              <code>
                {a.address}/{a.prefix}
              </code>{' '}
              from pool {a.pool}
              {a.gateway && ` · gateway ${a.gateway}`}
            </li>
          ))}
        </ul>
        {networkData.data !== null && (
          <details>
            <summary>Network data (what the host's config drive carries)</summary>
            <pre>{JSON.stringify(networkData.data, null, 2)}</pre>
          </details>
        )}
        <h3>Ports</h3>
        <ul>
          {(ports.data?.ports ?? []).map((p) => (
            <li>
              <code>{p.address}</code> {p.pxe_enabled ? '(network boot)' : ''}
            </li>
          ))}
        </ul>
      </section>

      <section class="card" aria-labelledby="bios">
        <h2 id="bios">BIOS</h2>
        {bios.error !== null && <p class="error">{bios.error}</p>}
        {(bios.data?.bios.length ?? 0) === 0 && !bios.loading && bios.error === null && (
          <p class="empty">No BIOS settings are cached for this host.</p>
        )}
        <dl class="fields">
          {(bios.data?.bios ?? []).map((b) => (
            <>
              <dt>{b.name}</dt>
              <dd>{b.value ?? '—'}</dd>
            </>
          ))}
        </dl>
      </section>

      <section class="card" aria-labelledby="firmware">
        <h2 id="firmware">Firmware</h2>
        {firmware.error !== null && <p class="error">{firmware.error}</p>}
        {(firmware.data?.firmware.length ?? 0) === 0 && !firmware.loading && firmware.error === null && (
          <p class="empty">The BMC reported no firmware components.</p>
        )}
        <dl class="fields">
          {(firmware.data?.firmware ?? []).map((f) => (
            <>
              <dt>{f.component}</dt>
              <dd>
                {f.current_version ?? '—'} <Time iso={f.updated_at} />
              </dd>
            </>
          ))}
        </dl>
      </section>
    </>
  );
}

function bytes(n: number | undefined): string {
  if (n === undefined) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}
