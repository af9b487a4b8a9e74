import { useEffect, useMemo, useState } from 'preact/hooks';
import { ACTIONS, type BulkOutcome, type NodeAction } from '../actions.js';
import { ActionDialog, ActionOutcome } from '../components/action-dialog.js';
import { powerKey, ProvisionState } from '../components/state.js';
import { useVirtualRows } from '../components/virtual-rows.js';
import type { Fleet, NodeRow } from '../fleet.js';
import { href, replaceQuery, route } from '../router.js';
import { canOperate, type Session } from '../session.js';
import { Time } from '../time.js';
import { useApi } from '../use-api.js';
import { hostMatcher, labelMatches, type HostFilters } from './host-filters.js';

const ROW_HEIGHT = 38;
const HEADER_HEIGHT = 34;

type SortKey = 'name' | 'provision_state' | 'power_state' | 'driver' | 'updated';
const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'provision_state', label: 'Provision state' },
  { key: 'power_state', label: 'Power' },
  { key: 'driver', label: 'Driver' },
  { key: 'updated', label: 'Changed' },
];

/** Every host: search, filters, sort, and actions on a selection; only the rows in view are drawn. */
export function HostsPage({ fleet, session }: { fleet: Fleet; session: Session }) {
  const query = route.peek().query;
  const [filters, setFilters] = useState<HostFilters>({
    search: query.search ?? '',
    provision: query.provision ?? '',
    power: query.power ?? '',
    driver: query.driver ?? '',
    maintenance: query.maintenance ?? '',
    fault: query.fault ?? '',
    label: query.label ?? '',
  });
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'name', desc: false });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [action, setAction] = useState<NodeAction | null>(null);
  const [outcome, setOutcome] = useState<{ label: string; outcome: BulkOutcome } | null>(null);
  useEffect(() => replaceQuery({ ...filters }), [filters]);

  const nodes = fleet.nodes.value;
  const found = useAddressSearch(session, filters.search);
  const matching = useMemo(() => {
    const matches = hostMatcher(filters, found.data ?? new Set());
    const rows = [...nodes.values()].filter(matches);
    rows.sort(comparator(sort.key));
    if (sort.desc) rows.reverse();
    return rows;
  }, [nodes, filters, found.data, sort]);
  const drivers = useMemo(() => [...new Set([...nodes.values()].map((n) => n.driver))].sort(), [nodes]);
  const states = useMemo(() => [...new Set([...nodes.values()].map((n) => n.provision_state))].sort(), [nodes]);
  const rows = useVirtualRows(matching.length, ROW_HEIGHT, HEADER_HEIGHT);
  const selectedRows = useMemo(() => matching.filter((n) => selected.has(n.uuid)), [matching, selected]);
  const allSelected = matching.length > 0 && selectedRows.length === matching.length;
  const operator = canOperate(session);

  const set = (key: keyof HostFilters) => (e: Event) =>
    setFilters({ ...filters, [key]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  const toggle = (uuid: string) => {
    const next = new Set(selected);
    if (!next.delete(uuid)) next.add(uuid);
    setSelected(next);
  };

  if (!fleet.loaded.value) return <p class="loading">Reading the fleet…</p>;
  return (
    <div class="hosts">
      <h1>Hosts</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input
            id="host-search"
            type="search"
            placeholder="name, uuid, MAC or IP address"
            value={filters.search}
            onInput={set('search')}
          />
        </label>
        <label>
          Provision state
          <select id="filter-provision" value={filters.provision} onChange={set('provision')}>
            <option value="">any</option>
            {states.map((s) => (
              <option value={s}>{s}</option>
            ))}
            {filters.provision !== '' && !states.includes(filters.provision) && (
              <option value={filters.provision}>{filters.provision}</option>
            )}
          </select>
        </label>
        <label>
          Power
          <select id="filter-power" value={filters.power} onChange={set('power')}>
            <option value="">any</option>
            <option value="on">on</option>
            <option value="off">off</option>
            <option value="unknown">unknown</option>
          </select>
        </label>
        <label>
          Driver
          <select id="filter-driver" value={filters.driver} onChange={set('driver')}>
            <option value="">any</option>
            {drivers.map((d) => (
              <option value={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          Maintenance
          <select id="filter-maintenance" value={filters.maintenance} onChange={set('maintenance')}>
            <option value="">any</option>
            <option value="true">in maintenance</option>
            <option value="false">not in maintenance</option>
          </select>
        </label>
        <label>
          Fault
          <select id="filter-fault" value={filters.fault} onChange={set('fault')}>
            <option value="">any or none</option>
            <option value="any">any fault</option>
            <option value="power failure">power failure</option>
            <option value="clean failure">clean failure</option>
            <option value="rescue abort failure">rescue abort failure</option>
            <option value="service failure">service failure</option>
          </select>
        </label>
        <label>
          Label
          <input id="filter-label" placeholder="key=value or key" value={filters.label} onInput={set('label')} />
        </label>
      </form>
      {found.error !== null && <p class="error">{found.error}</p>}
      {filters.label !== '' && !labelMatches.valid(filters.label) && (
        <p class="hint">A label filter is `key=value`, or `key` for any value.</p>
      )}
      <div class="table-bar">
        <span data-testid="host-count">
          {matching.length} {matching.length === 1 ? 'host' : 'hosts'}
          {matching.length !== nodes.size && ` of ${nodes.size}`}
          {!fleet.complete.value && ' (reading the rest…)'}
        </span>
        {operator && selectedRows.length > 0 && <span> · {selectedRows.length} selected</span>}
        {operator && (
          <div class="bulk" data-testid="bulk-actions" role="group" aria-label="Actions on the selected hosts">
            {ACTIONS.map((a) => (
              <button
                type="button"
                disabled={selectedRows.length === 0 || !selectedRows.some((n) => a.allowed(n))}
                onClick={() => setAction(a)}
              >
                {a.label}
              </button>
            ))}
          </div>
        )}
      </div>
      {outcome !== null && <ActionOutcome label={outcome.label} outcome={outcome.outcome} />}
      {matching.length === 0 ? (
        <p class="empty">{nodes.size === 0 ? 'No hosts are enrolled yet.' : 'No host matches these filters.'}</p>
      ) : (
        <div class="table-scroll" ref={rows.scrollRef} tabIndex={-1}>
          <table class="grid" aria-rowcount={matching.length + 1}>
            <thead>
              <tr>
                {operator && (
                  <th class="check">
                    <input
                      id="select-all"
                      type="checkbox"
                      aria-label={`Select all ${matching.length} matching hosts`}
                      checked={allSelected}
                      onChange={() => setSelected(allSelected ? new Set() : new Set(matching.map((n) => n.uuid)))}
                    />
                  </th>
                )}
                {COLUMNS.map((c) => (
                  <th
                    aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
                    class={`col-${c.key}`}
                  >
                    <button
                      type="button"
                      class="sort"
                      onClick={() => setSort({ key: c.key, desc: sort.key === c.key ? !sort.desc : false })}
                    >
                      {c.label}
                      {sort.key === c.key ? (sort.desc ? ' ▼' : ' ▲') : ''}
                    </button>
                  </th>
                ))}
                <th class="col-error">Last error</th>
              </tr>
            </thead>
            <tbody>
              {rows.before > 0 && <tr aria-hidden="true" style={{ height: `${rows.before}px` }} />}
              {matching.slice(rows.first, rows.last).map((n, i) => {
                const index = rows.first + i;
                return (
                  <tr
                    key={n.uuid}
                    data-testid="host-row"
                    data-uuid={n.uuid}
                    aria-rowindex={index + 2}
                    aria-selected={operator ? selected.has(n.uuid) : undefined}
                    style={{ height: `${ROW_HEIGHT}px` }}
                  >
                    {operator && (
                      <td class="check">
                        <input
                          type="checkbox"
                          data-testid="select-host"
                          aria-label={`Select ${n.name ?? n.uuid}`}
                          checked={selected.has(n.uuid)}
                          onChange={() => toggle(n.uuid)}
                        />
                      </td>
                    )}
                    <td class="col-name">
                      <a href={href('hosts', n.uuid)}>{n.name ?? n.uuid}</a>
                    </td>
                    <td class="col-provision_state">
                      <ProvisionState state={n.provision_state} target={n.target_provision_state} />
                    </td>
                    <td class="col-power_state">
                      {powerKey(n.power_state)}
                      {n.target_power_state !== null && ` → ${powerKey(n.target_power_state)}`}
                      {n.maintenance && <span class="tag">maintenance</span>}
                      {n.fault !== null && <span class="tag bad">{n.fault}</span>}
                    </td>
                    <td class="col-driver">{n.driver}</td>
                    <td class="col-updated">
                      <Time iso={n.provision_updated_at ?? n.created_at} />
                    </td>
                    <td class="col-error" title={n.last_error ?? undefined}>
                      {n.last_error}
                    </td>
                  </tr>
                );
              })}
              {rows.after > 0 && <tr aria-hidden="true" style={{ height: `${rows.after}px` }} />}
            </tbody>
          </table>
        </div>
      )}
      {action !== null && (
        <ActionDialog
          action={action}
          nodes={selectedRows}
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

function comparator(key: SortKey): (a: NodeRow, b: NodeRow) => number {
  const text = (n: NodeRow): string => {
    switch (key) {
      case 'name':
        return n.name ?? n.uuid;
      case 'provision_state':
        return n.provision_state;
      case 'power_state':
        return n.power_state ?? '';
      case 'driver':
        return n.driver;
      case 'updated':
        return n.provision_updated_at ?? n.created_at;
    }
  };
  const collator = new Intl.Collator(undefined, { numeric: true });
  return (a, b) => collator.compare(text(a), text(b)) || a.uuid.localeCompare(b.uuid);
}

const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The hosts a search names by MAC or IP address, asked of the API (ports
 * and IPAM hold those, not the node list): exact addresses only.
 */
function useAddressSearch(session: Session, search: string) {
  const text = search.trim();
  return useApi(
    async (signal) => {
      const found = new Set<string>();
      if (MAC.test(text)) {
        const mac = text.toLowerCase().replace(/-/g, ':');
        const { ports } = await session.client.get<{ ports: { node_uuid: string }[] }>(
          `/v1/ports?address=${encodeURIComponent(mac)}&fields=node_uuid`,
          signal,
        );
        for (const p of ports) found.add(p.node_uuid);
      } else if (IPV4.test(text) || (text.includes(':') && /^[0-9a-f:.]+$/i.test(text))) {
        const { addresses } = await session.client.get<{ addresses: { owner: string | null }[] }>(
          `/v1/ipam/addresses?address=${encodeURIComponent(text)}`,
          signal,
        );
        for (const a of addresses) if (a.owner?.startsWith('node:')) found.add(a.owner.slice('node:'.length));
      }
      return found;
    },
    [text],
  );
}
