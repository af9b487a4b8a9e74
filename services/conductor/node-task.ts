import { revokeAgentOnExit } from '../agent/index.js';
import type { HistoryEvent, NodeHistory } from '../events/index.js';
import type { Metrics } from '../metrics.js';
import {
  type Node,
  type NodeChanges,
  type NodeRepository,
  FAILURE_STATES,
  transition,
  type ProvisionEvent,
} from '../nodes/index.js';
import type { NodeTask } from './hardware-runtime.js';

/** A NodeTask over the repository: each event is a table transition, persisted and recorded in history. */
export function createNodeTask(initial: Node, nodes: NodeRepository, history: NodeHistory, metrics: Metrics): NodeTask {
  let node = initial;
  return {
    get node() {
      return node;
    },
    async fire(event: ProvisionEvent, changes: NodeChanges = {}) {
      const next = transition(node.provision_state, event, node.target_provision_state);
      const now = new Date().toISOString();
      const extra: NodeChanges = {};
      if (node.provision_state === 'inspecting' || node.provision_state === 'inspect wait') {
        extra.inspection_finished_at = now;
      }
      if (node.provision_state === 'deleting' && next.state !== 'deleting') {
        // Torn down, whatever the outcome: the instance is gone from the node (Ironic's _do_node_tear_down).
        extra.instance_info = {};
        extra.instance_uuid = null;
      }
      const from = node.provision_state;
      const write = revokeAgentOnExit(node, {
        ...extra,
        ...changes,
        provision_state: next.state,
        target_provision_state: next.target,
        provision_updated_at: now,
      });
      const failed = (FAILURE_STATES as readonly string[]).includes(next.state) || event === 'fail';
      const lastError = 'last_error' in write ? write.last_error : node.last_error;
      const why = failed && lastError ? `: ${lastError}` : '';
      // The transition and its history entry commit together.
      node = await nodes.update(
        node.id,
        write,
        history.rowsFor([
          {
            severity: failed ? 'ERROR' : 'INFO',
            event_type: 'provisioning',
            event: `${from} -> ${next.state} (${event})${why}`,
          },
        ]),
      );
      metrics.transitions.inc({ state: next.state });
    },
    async update(changes: NodeChanges, event?: HistoryEvent) {
      const started = startedStep(node, changes);
      const entries: HistoryEvent[] = [];
      if (started !== null) entries.push({ severity: 'INFO', event_type: 'provisioning', event: started });
      if (event !== undefined) entries.push(event);
      node = await nodes.update(node.id, changes, entries.length === 0 ? undefined : history.rowsFor(entries));
    },
  };
}

const STEP_FIELDS = { clean_step: 'Clean', deploy_step: 'Deploy', service_step: 'Service' } as const;

/** "Deploy step deploy.write_image started" when `changes` moves a sequence to a new step; null otherwise. */
function startedStep(node: Node, changes: NodeChanges): string | null {
  for (const [field, kind] of Object.entries(STEP_FIELDS) as [keyof typeof STEP_FIELDS, string][]) {
    const step = changes[field];
    if (step === undefined || typeof step.step !== 'string') continue;
    if (JSON.stringify(step) === JSON.stringify(node[field])) continue;
    return `${kind} step ${String(step.interface)}.${step.step} started`;
  }
  return null;
}
