import { databaseUnavailable } from './unavailable.js';

/**
 * Runs a read again while the database cannot serve (a restart, a failover:
 * databaseUnavailable), backing off from 100 ms to 2 s, for at most
 * `withinMs`; then, or for any other error, the error stands. For callers that
 * cannot ask their client to come back later, such as a host's firmware
 * fetching its boot script: a second's restart must not fail its boot.
 */
export async function outlastOutage<T>(read: () => Promise<T>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await read();
    } catch (err) {
      if (databaseUnavailable(err) === null || Date.now() + delay > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
