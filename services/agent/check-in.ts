import type { Node, NodeChanges, ProvisionState } from '../nodes/index.js';

/**
 * What the agent's endpoints need of the conductors, and all they may ask:
 * record what the agent said and, when the node waits in one of
 * `resumeFrom`, move it on and hand it to its conductor. The conductor's
 * intake implements it, so the agent never reaches into the conductor.
 */
export interface AgentCheckIn {
  agentCheckedIn(
    node: Node,
    resumeFrom: readonly ProvisionState[],
    record: (fresh: Node) => NodeChanges,
  ): Promise<void>;
}
