import { FAILED_STATES } from './node-goals.js';
import { nodeLabel, type NodeRecord } from './node-record.js';

/** What `anvil fleet status` reports: the fleet at a glance. */
export interface FleetSummary {
  total: number;
  /** Provision state → how many nodes rest in (or move through) it. */
  by_state: Record<string, number>;
  /** BMC health: power states read, maintenance, and faults (e.g. "power failure" when a BMC stops answering). */
  bmc: { power: Record<string, number>; maintenance: number; faults: Record<string, number> };
  /** Nodes in a failure state or carrying a last_error. */
  failed: { name: string; uuid: string; provision_state: string; last_error: string | null }[];
}

/** Pure: the summary of a fleet listing. */
export function summarizeFleet(nodes: readonly NodeRecord[]): FleetSummary {
  const byState: Record<string, number> = {};
  const power: Record<string, number> = {};
  const faults: Record<string, number> = {};
  let maintenance = 0;
  const failed: FleetSummary['failed'] = [];
  for (const node of nodes) {
    byState[node.provision_state] = (byState[node.provision_state] ?? 0) + 1;
    const powerState = node.power_state ?? 'unknown';
    power[powerState] = (power[powerState] ?? 0) + 1;
    if (node.maintenance) maintenance++;
    if (node.fault !== null) faults[node.fault] = (faults[node.fault] ?? 0) + 1;
    if (FAILED_STATES.has(node.provision_state) || node.last_error !== null) {
      failed.push({
        name: nodeLabel(node),
        uuid: node.uuid,
        provision_state: node.provision_state,
        last_error: node.last_error,
      });
    }
  }
  return { total: nodes.length, by_state: byState, bmc: { power, maintenance, faults }, failed };
}
