import { powerKey } from '../components/state.js';
import type { NodeRow } from '../fleet.js';

export interface HostFilters {
  search: string;
  provision: string;
  /** on, off or unknown. */
  power: string;
  driver: string;
  /** '', 'true' or 'false'. */
  maintenance: string;
  /** '', 'any', or a fault's name. */
  fault: string;
  /** `key=value`, or `key` for any value: the node's labels are its `extra` keys with string values. */
  label: string;
}

export const labelMatches = {
  valid: (filter: string) => /^[^=\s]+(=.*)?$/.test(filter.trim()),
  test(filter: string, extra: Record<string, unknown>): boolean {
    const [key = '', ...rest] = filter.trim().split('=');
    const value = extra[key];
    if (typeof value !== 'string') return false;
    return rest.length === 0 || value === rest.join('=');
  },
};

/** Whether a host passes every filter; `found` holds the hosts the API matched by MAC or address. */
export function hostMatcher(f: HostFilters, found: ReadonlySet<string>): (n: NodeRow) => boolean {
  const search = f.search.trim().toLowerCase();
  const label = f.label.trim();
  return (n) => {
    if (f.provision !== '' && n.provision_state !== f.provision) return false;
    if (f.power !== '' && powerKey(n.power_state) !== f.power) return false;
    if (f.driver !== '' && n.driver !== f.driver) return false;
    if (f.maintenance !== '' && String(n.maintenance) !== f.maintenance) return false;
    if (f.fault === 'any' && n.fault === null) return false;
    if (f.fault !== '' && f.fault !== 'any' && n.fault !== f.fault) return false;
    if (label !== '' && labelMatches.valid(label) && !labelMatches.test(label, n.extra)) return false;
    if (search === '') return true;
    return (
      found.has(n.uuid) ||
      n.uuid.includes(search) ||
      (n.name?.toLowerCase().includes(search) ?? false) ||
      (n.instance_uuid?.includes(search) ?? false)
    );
  };
}
