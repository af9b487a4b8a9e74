import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who a piece of work is done for, carried along the async calls of a request
 * (and the conductor work it starts in the same process), so node history
 * records the user or token behind each action without every service passing it on.
 */
const actor = new AsyncLocalStorage<string>();

export function actingAs<T>(who: string, work: () => T): T {
  return actor.run(who, work);
}

export function currentActor(): string | null {
  return actor.getStore() ?? null;
}
