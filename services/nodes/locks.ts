import { NodeLocked } from '../errors.js';
import type { NodeHistory } from '../events/index.js';
import type { Metrics } from '../metrics.js';
import type { Node } from './model.js';
import type { NodeRepository } from './repository.js';

export interface NodeLocksDeps {
  nodes: NodeRepository;
  holder: string;
  history: NodeHistory;
  metrics: Metrics;
}

/**
 * Short changes under a node's exclusive lock (a conditional UPDATE of
 * `reservation`): PATCH, maintenance, deletion. A busy node answers
 * NodeLocked at once rather than queueing behind a long step.
 */
export class NodeLocks {
  readonly holder: string;

  constructor(private readonly deps: NodeLocksDeps) {
    this.holder = deps.holder;
  }

  async withLock<T>(nodeId: number, ident: string, work: () => Promise<T>): Promise<T> {
    await this.acquire(nodeId, ident);
    try {
      return await work();
    } finally {
      await this.deps.nodes.release(nodeId, this.holder);
    }
  }

  /** Takes the lock and answers the node as now held, or records the conflict and throws NodeLocked naming the holder. */
  async acquire(nodeId: number, ident: string): Promise<Node> {
    const held = await this.deps.nodes.reserve(nodeId, this.holder);
    if (held !== null) return held;
    const holder = (await this.deps.nodes.getById(nodeId)).reservation ?? 'another conductor';
    this.deps.metrics.lockConflicts.inc();
    await this.deps.history.record(nodeId, {
      severity: 'WARNING',
      event_type: 'lock',
      event: `Lock refused: held by ${holder}`,
    });
    throw new NodeLocked(ident, holder);
  }
}
