import type { Clock } from './types.js';

export type FirmwareJobState = 'Running' | 'Completed' | 'Exception';

export interface FirmwareJobPlan {
  /** The component to update, or null when no component could be chosen. */
  componentId: string | null;
  /** The version the image carries, or null when it could not be read. */
  version: string | null;
  imageUri: string;
  durationMs: number;
}

export interface FirmwareJobStatus {
  state: FirmwareJobState;
  percentComplete: number;
  startedAt: string;
  endedAt: string | null;
  message: string;
}

/**
 * A firmware update in flight. It has no timer: its progress is computed
 * from the clock whenever someone looks, so ten thousand hosts cost nothing
 * while idle. The owning host applies the new version once it sees the job
 * completed.
 */
export class FirmwareJob {
  readonly id: number;
  readonly plan: FirmwareJobPlan;
  private readonly startedAtMs: number;
  private readonly clock: Clock;
  private appliedFlag = false;
  private finishedFlag = false;
  private readonly finishListeners: Array<(status: FirmwareJobStatus) => void> = [];

  constructor(id: number, plan: FirmwareJobPlan, clock: Clock) {
    this.id = id;
    this.plan = plan;
    this.clock = clock;
    this.startedAtMs = clock();
  }

  get applied(): boolean {
    return this.appliedFlag;
  }

  markApplied(): void {
    this.appliedFlag = true;
  }

  /**
   * Calls `listener` once, when the job is first seen ended (Completed or
   * Exception): the job keeps no timer, so that is the first status() after
   * its time is up.
   */
  onFinished(listener: (status: FirmwareJobStatus) => void): void {
    this.finishListeners.push(listener);
  }

  /** Time left until the job ends by its clock; 0 once it has. */
  get remainingMs(): number {
    return Math.max(0, this.startedAtMs + this.plan.durationMs - this.clock());
  }

  /** A plan with nothing to write ends in Exception once its time is up. */
  get failureReason(): string | null {
    if (this.plan.componentId === null) {
      return `no firmware component matches image ${this.plan.imageUri}`;
    }
    if (this.plan.version === null) {
      return `image ${this.plan.imageUri} carries no version in its file name`;
    }
    return null;
  }

  status(): FirmwareJobStatus {
    const elapsed = this.clock() - this.startedAtMs;
    const done = elapsed >= this.plan.durationMs;
    const startedAt = new Date(this.startedAtMs).toISOString();
    if (!done) {
      const percent = this.plan.durationMs <= 0 ? 99 : Math.floor((elapsed / this.plan.durationMs) * 100);
      return {
        state: 'Running',
        percentComplete: Math.min(99, Math.max(0, percent)),
        startedAt,
        endedAt: null,
        message: `updating ${this.plan.componentId ?? 'firmware'}`,
      };
    }
    const endedAt = new Date(this.startedAtMs + this.plan.durationMs).toISOString();
    const failure = this.failureReason;
    const ended: FirmwareJobStatus =
      failure !== null
        ? { state: 'Exception', percentComplete: 100, startedAt, endedAt, message: failure }
        : {
            state: 'Completed',
            percentComplete: 100,
            startedAt,
            endedAt,
            message: `${this.plan.componentId} updated to ${this.plan.version}`,
          };
    if (!this.finishedFlag) {
      this.finishedFlag = true;
      for (const listener of this.finishListeners.splice(0)) listener(ended);
    }
    return ended;
  }
}
