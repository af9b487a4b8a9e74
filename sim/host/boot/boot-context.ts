// What every stage of one boot shares: the host, the configuration, and the
// signal that ends the boot when the host powers off or resets mid-way.
import type { SimHost } from '../host.js';
import type { BootStep } from '../types.js';
import type { ResolvedBootConfig } from './boot-config.js';

/** The boot was cut short by the host's power; nothing more is recorded for it. */
export class BootStoppedError extends Error {
  constructor() {
    super('the host powered off or reset during the boot');
    this.name = 'BootStoppedError';
  }
}

export interface BootContext {
  host: SimHost;
  config: ResolvedBootConfig;
  signal: AbortSignal;
  record(kind: BootStep['kind'], source: string, outcome: BootStep['outcome'], detail: string): void;
  /** Call after a failed await: a failure caused by the power going is no failure of the boot. */
  throwIfStopped(): void;
  sleep(ms: number): Promise<void>;
}

export function bootContext(host: SimHost, config: ResolvedBootConfig, signal: AbortSignal): BootContext {
  const throwIfStopped = (): void => {
    if (signal.aborted) throw new BootStoppedError();
  };
  return {
    host,
    config,
    signal,
    record: (kind, source, outcome, detail) => {
      if (!signal.aborted) host.recordBootStep({ kind, source, outcome, detail });
    },
    throwIfStopped,
    sleep: (ms) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) {
          reject(new BootStoppedError());
          return;
        }
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(new BootStoppedError());
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        signal.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
