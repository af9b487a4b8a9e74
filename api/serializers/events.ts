import type { Request } from 'express';
import { formatCursor, type Change, type ChangePage } from '../../services/feed/index.js';
import { baseUrl } from './links.js';

/** One change as the feed answers it, in JSON and in a stream's `data:` alike. */
export function eventView(change: Change) {
  return {
    cursor: formatCursor(change.cursor),
    kind: change.kind,
    action: change.action,
    uuid: change.data.uuid,
    data: change.data,
    created_at: change.created_at,
  };
}

/** A page of `/v1/anvil/events`: the events, the cursor to ask from next, and a `next` link when the page is full. */
export function eventsPage(req: Request, page: ChangePage, limit: number) {
  const cursor = formatCursor(page.cursor);
  return {
    events: page.changes.map(eventView),
    cursor,
    ...(page.changes.length === limit
      ? {
          next: `${baseUrl(req)}/v1/anvil/events?${new URLSearchParams({ since: cursor, limit: String(limit) }).toString()}`,
        }
      : {}),
  };
}

/** A Server-Sent Event: `id` is the cursor (what EventSource sends back as Last-Event-ID), `event` the kind and action. */
export function sseEvent(change: Change): string {
  // JSON.stringify never writes a raw line break, so the data is one `data:` line.
  return `id: ${formatCursor(change.cursor)}\nevent: ${change.kind}.${change.action}\ndata: ${JSON.stringify(eventView(change))}\n\n`;
}

/** The stream's last event when it cannot go on (a cursor pruned under a slow follower): the status a request would get. */
export function sseError(status: number, message: string): string {
  return `event: error\ndata: ${JSON.stringify({ status, faultstring: message })}\n\n`;
}
