import { TemporaryFailure } from '../errors.js';
import type { NodeHistory } from '../events/index.js';
import type { Logger } from '../logger.js';
import type { NodeRepository } from '../nodes/index.js';
import type { ConductorMembership } from './membership.js';
import type { Placement } from './placement.js';
import type { Ownership, Worker } from './worker.js';

export interface ConductorTiming {
  heartbeatIntervalMs: number;
  sweepIntervalMs: number;
}

/** A periodic pass over the nodes this conductor owns (power sync, timeouts...); interval 0 turns it off. */
export interface PeriodicPass {
  name: string;
  intervalMs: number;
  run(isMine: Ownership): Promise<void>;
}

export interface ConductorDeps {
  worker: Worker;
  group: string;
  /** Where this conductor answers the API's hardware calls, registered with its row. */
  rpcUrl: string | null;
  membership: ConductorMembership;
  placement: Placement;
  nodes: NodeRepository;
  history: NodeHistory;
  timing: ConductorTiming;
  passes: readonly PeriodicPass[];
  log: Logger;
}

/**
 * A conductor's life: it registers and heartbeats its row, and on each sweep
 * frees the locks of conductors that died, then runs the work it owns. Each
 * periodic pass is scheduled after the previous one ends, so a slow pass is
 * logged, never stacked.
 */
export class ConductorService {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Passes under way, awaited by stop(). */
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: ConductorDeps) {}

  async start(): Promise<void> {
    await this.deps.membership.register(this.deps.worker.name, this.deps.group, this.deps.rpcUrl);
    this.deps.placement.invalidate();
    this.every(this.deps.timing.heartbeatIntervalMs, 'heartbeat', () =>
      this.deps.membership.heartbeat(this.deps.worker.name),
    );
    this.every(this.deps.timing.sweepIntervalMs, 'sweep', () => this.sweep());
    for (const pass of this.deps.passes) {
      if (pass.intervalMs > 0) this.every(pass.intervalMs, pass.name, () => pass.run(this.isMine));
    }
    const first = this.sweep().catch((err: unknown) => this.deps.log.error({ err }, 'first sweep failed'));
    this.running.add(first);
    void first.finally(() => this.running.delete(first));
  }

  /** Frees the locks of dead conductors, then takes the work this conductor owns. */
  async sweep(): Promise<void> {
    await this.takeOver();
    await this.deps.worker.sweep(this.isMine);
  }

  private readonly isMine: Ownership = async (uuid, group) => {
    try {
      return (await this.deps.placement.ownerOf(uuid, group)) === this.deps.worker.name;
    } catch (err) {
      if (err instanceof TemporaryFailure) return false;
      throw err;
    }
  };

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled([...this.running]);
    await this.deps.worker.drain();
    await this.deps.membership.unregister(this.deps.worker.name);
  }

  private async takeOver(): Promise<void> {
    const dead = (await this.deps.membership.dead()).filter((name) => name !== this.deps.worker.name);
    const freed = await this.deps.nodes.releaseHeldBy(dead);
    if (freed.length === 0) return;
    this.deps.placement.invalidate();
    for (const node of freed) {
      await this.deps.history.record(node.id, {
        severity: 'WARNING',
        event_type: 'lock',
        event: `Lock of conductor ${node.reservation ?? ''} released: it stopped heartbeating; its work is taken over`,
      });
    }
    this.deps.log.warn({ conductors: dead, nodes: freed.length }, 'took over the nodes of dead conductors');
  }

  private every(intervalMs: number, name: string, pass: () => Promise<void>): void {
    const schedule = () => {
      if (this.stopped) return;
      const tick = async () => {
        this.timers.delete(timer);
        const started = Date.now();
        const run = pass();
        this.running.add(run);
        try {
          await run;
        } catch (err) {
          this.deps.log.error({ err, pass: name }, 'periodic pass failed');
        } finally {
          this.running.delete(run);
        }
        const took = Date.now() - started;
        if (took > intervalMs)
          this.deps.log.warn(
            { pass: name, took_ms: took, interval_ms: intervalMs },
            'periodic pass overran its interval',
          );
        schedule();
      };
      const timer = setTimeout(() => void tick(), intervalMs);
      timer.unref();
      this.timers.add(timer);
    };
    schedule();
  }
}
