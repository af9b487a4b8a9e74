export { recordClaimChanges } from './claim-changes.js';
export { formatCursor, parseSince } from './cursor.js';
export { CursorExpired, InvalidCursor } from './errors.js';
export { ChangeFeed } from './feed.js';
export {
  type Change,
  type ChangeKind,
  type ChangePage,
  type FeedFollow,
  type NewChange,
  type PollAnswer,
} from './model.js';
export { ChangeRecorder } from './recorder.js';
export { pruneChanges } from './retention.js';
export {
  ALLOCATION_FEED_COLUMNS,
  allocationChange,
  allocationRowChange,
  NODE_FEED_COLUMNS,
  nodeChange,
  nodeChanges,
  touchesNodeFeed,
} from './snapshots.js';
