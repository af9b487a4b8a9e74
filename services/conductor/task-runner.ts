import { NodeLocked, NoFreeConductorWorker } from '../errors.js';
import type { NodeRepository } from '../nodes/repository.js';
import type { NodeHistory } from '../events/history.js';
import type { Logger } from '../logger.js';

/**
 * Runs work on nodes under their exclusive lock (a conditional UPDATE of
 * `reservation`), with a bound on how many run at once. The lock is taken
 * before the caller answers, so a second request against a busy node gets
 * 409 NodeLocked at once, and released when the work ends, however it ends.
 */
export class TaskRunner {
  private running = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly nodes: NodeRepository,
    readonly host: string,
    private readonly workers: number,
    private readonly history: NodeHistory,
    private readonly log: Logger,
  ) {}

  /** Takes the lock on `nodeId` and reserves a worker; throws NodeLocked or NoFreeConductorWorker. */
  async acquire(nodeId: number, ident: string): Promise<NodeLease> {
    if (this.running >= this.workers) throw new NoFreeConductorWorker();
    this.running++;
    try {
      await this.reserve(nodeId, ident);
      return new NodeLease(this, nodeId);
    } catch (err) {
      this.running--;
      throw err;
    }
  }

  /**
   * Runs a short synchronous change (PATCH, maintenance, delete) under the
   * node's lock. It needs no worker: it ends before the request is answered.
   */
  async withLock<T>(nodeId: number, ident: string, work: () => Promise<T>): Promise<T> {
    await this.reserve(nodeId, ident);
    try {
      return await work();
    } finally {
      await this.nodes.release(nodeId, this.host);
    }
  }

  /** Runs `work` in the background under `lease`, releasing both lock and worker afterwards. */
  spawn(lease: NodeLease, work: () => Promise<void>): void {
    const task = (async () => {
      try {
        await work();
      } catch (err) {
        this.log.error({ err, node_id: lease.nodeId }, 'node task failed');
      } finally {
        await lease.release();
      }
    })();
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async reserve(nodeId: number, ident: string): Promise<void> {
    if (await this.nodes.reserve(nodeId, this.host)) return;
    const holder = (await this.nodes.getById(nodeId)).reservation ?? 'another conductor';
    await this.history.record(nodeId, { severity: 'WARNING', event_type: 'lock', event: `Lock refused: held by ${holder}` });
    throw new NodeLocked(ident, holder);
  }

  /** Waits for background work, e.g. before closing the database. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** @internal used by NodeLease */
  async releaseLease(nodeId: number): Promise<void> {
    this.running--;
    try {
      await this.nodes.release(nodeId, this.host);
    } catch (err) {
      this.log.error({ err, node_id: nodeId }, 'could not release node lock');
    }
  }
}

/** A held node lock; release it exactly once. */
export class NodeLease {
  private released = false;
  constructor(
    private readonly runner: TaskRunner,
    readonly nodeId: number,
  ) {}

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.runner.releaseLease(this.nodeId);
  }
}
