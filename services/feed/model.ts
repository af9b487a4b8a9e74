/**
 * What the change feed holds. A new kind of resource joins the feed by its
 * name here and by its repository calling `ChangeRecorder.record` in the
 * transactions that write it.
 */
export const CHANGE_KINDS = ['node', 'allocation', 'ipam_claim', 'machine'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export const CHANGE_ACTIONS = ['created', 'updated', 'deleted'] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

/**
 * The object as the feed shows it: the fields a controller needs to follow
 * it without reading it back. A `deleted` change carries the last state.
 */
export type ChangeData = { uuid: string } & Record<string, unknown>;

/** A change about to be recorded. */
export interface NewChange {
  kind: ChangeKind;
  action: ChangeAction;
  data: ChangeData;
}

/** A recorded change: `cursor` orders the feed, in commit order. */
export interface Change extends NewChange {
  cursor: number;
  created_at: string;
}

/** A page of the feed: the changes after a cursor, and the cursor to ask from next. */
export interface ChangePage {
  changes: Change[];
  cursor: number;
}

/** A long poll's answer: its page, and whether the wait ended because the feed closed (the process is stopping). */
export interface PollAnswer extends ChangePage {
  feedClosed: boolean;
}

/**
 * A follow of the feed: its pages as they commit, and the signal that stops
 * it (the follower's own, or the feed closing), for a follower that is busy
 * elsewhere when the feed closes.
 */
export interface FeedFollow extends AsyncGenerator<ChangePage> {
  readonly stopped: AbortSignal;
}

/** Where a reader starts: after a cursor, at the oldest record kept, or at the newest (only what comes next). */
export type Since = number | 'oldest' | 'now';
