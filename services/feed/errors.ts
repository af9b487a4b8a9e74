import { AnvilError } from '../errors.js';

/** A `since` or `Last-Event-ID` that is not a cursor at all. */
export class InvalidCursor extends AnvilError {
  readonly kind = 'invalid';
  constructor(text: string) {
    super(
      `Invalid cursor "${text}": a cursor is the "cursor" of an event or of an answer of /v1/anvil/events ` +
        '(a non-negative integer), or "now" for only what comes next.',
    );
  }
}

/**
 * The feed no longer holds every record after the cursor (retention pruned
 * some), or never held the cursor (it is ahead of the feed: another or a
 * reset database). As with a Kubernetes watch, the consumer lists afresh.
 */
export class CursorExpired extends AnvilError {
  readonly kind = 'gone';
  constructor(cursor: number, reason: { prunedThrough: number } | { newest: number }) {
    const why =
      'prunedThrough' in reason
        ? `is older than the change feed keeps (records through ${reason.prunedThrough} were pruned)`
        : `is ahead of the change feed (its newest record is ${reason.newest}): it comes from another or a reset database`;
    super(
      `Cursor ${cursor} ${why}. Take a fresh cursor (since=now), list the resources, then follow from that cursor.`,
    );
  }
}
