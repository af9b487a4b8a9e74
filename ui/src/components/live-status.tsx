import type { FeedStatus } from '../feed.js';

const TEXT: Record<FeedStatus, string> = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' };

/** Whether the pages follow the change feed: a lost connection shows here until it resumes. */
export function LiveStatus({ status }: { status: FeedStatus }) {
  return (
    <span class={`live live-${status}`} data-testid="live-status" role="status" aria-live="polite">
      {TEXT[status]}
    </span>
  );
}
