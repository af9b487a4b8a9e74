import { TemporaryFailure } from '../errors.js';
import type { NodeHistory } from '../events/history.js';
import type { Logger } from '../logger.js';
import type { NodeRepository } from '../nodes/repository.js';
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

  constructor(
    private readonly worker: Worker,
    private readonly group: string,
    private readonly membership: ConductorMembership,
    private readonly placement: Placement,
    private readonly nodes: NodeRepository,
    private readonly history: NodeHistory,
    private readonly timing: ConductorTiming,
    private readonly passes: readonly PeriodicPass[],
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.membership.register(this.worker.name, this.group);
    this.placement.invalidate();
    this.every(this.timing.heartbeatIntervalMs, 'heartbeat', () => this.membership.heartbeat(this.worker.name));
    this.every(this.timing.sweepIntervalMs, 'sweep', () => this.sweep());
    for (const pass of this.passes) {
      if (pass.intervalMs > 0) this.every(pass.intervalMs, pass.name, () => pass.run(this.isMine));
    }
    const first = this.sweep().catch((err: unknown) => this.log.error({ err }, 'first sweep failed'));
    this.running.add(first);
    void first.finally(() => this.running.delete(first));
  }

  /** Frees the locks of dead conductors, then takes the work this conductor owns. */
  async sweep(): Promise<void> {
    await this.takeOver();
    await this.worker.sweep(this.isMine);
  }

  private readonly isMine: Ownership = async (uuid, group) => {
    try {
      return (await this.placement.ownerOf(uuid, group)) === this.worker.name;
    } catch (err) {
      if (err instanceof TemporaryFailure) return false;
      throw err;
    }
  };

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled([...this.running]);
    await this.worker.drain();
    await this.membership.unregister(this.worker.name);
  }

  private async takeOver(): Promise<void> {
    const dead = (await this.membership.dead()).filter((name) => name !== this.worker.name);
    const freed = await this.nodes.releaseHeldBy(dead);
    if (freed.length === 0) return;
    this.placement.invalidate();
    for (const node of freed) {
      await this.history.record(node.id, {
        severity: 'WARNING',
        event_type: 'lock',
        event: `Lock of conductor ${node.reservation ?? ''} released: it stopped heartbeating; its work is taken over`,
      });
    }
    this.log.warn({ conductors: dead, nodes: freed.length }, 'took over the nodes of dead conductors');
  }

  private every(intervalMs: number, name: string, pass: () => Promise<void>): void {
    const schedule = () => {
      if (this.stopped) return;
      const timer = setTimeout(async () => {
        this.timers.delete(timer);
        const started = Date.now();
        const run = pass();
        this.running.add(run);
        try {
          await run;
        } catch (err) {
          this.log.error({ err, pass: name }, 'periodic pass failed');
        } finally {
          this.running.delete(run);
        }
        const took = Date.now() - started;
        if (took > intervalMs)
          this.log.warn({ pass: name, took_ms: took, interval_ms: intervalMs }, 'periodic pass overran its interval');
        schedule();
      }, intervalMs);
      timer.unref();
      this.timers.add(timer);
    };
    schedule();
  }
}
