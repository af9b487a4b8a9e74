import { once } from 'node:events';
import { Router, type Request, type Response } from 'express';
import { InvalidParameterValue } from '../../services/errors.js';
import { CursorExpired, parseSince } from '../../services/feed/index.js';
import type { ApiContext } from '../context.js';
import { eventsPage, sseError, sseEvent } from '../serializers/events.js';
import { queryString } from '../validation.js';

/**
 * Anvil's change feed (`/v1/anvil/events`): every change to nodes,
 * allocations, IPAM claims and machines in commit order, each with a cursor. A long
 * poll (`wait`) and a Server-Sent Events stream of the same records.
 * `since` omitted reads from the oldest record kept, `since=now` only what
 * commits next; a cursor the feed no longer holds answers 410 Gone.
 */
export function eventRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { maxWaitSeconds, heartbeatSeconds } = ctx.config.feed;
  const maxLimit = ctx.config.api.maxLimit;

  router.get('/', async (req, res) => {
    const since = parseSince(queryString(req.query.since));
    const limit = parseLimit(req, maxLimit);
    const waitSeconds = parseWait(req, maxWaitSeconds);
    const page = await ctx.feed.poll(since, limit, waitSeconds * 1000, abortedOnClose(res));
    // Answered because the process is stopping: the connection goes too, instead of idling until the server gives up on it.
    if (page.feedClosed) res.set('Connection', 'close');
    res.json(eventsPage(req, page, limit));
  });

  router.get('/stream', async (req, res) => {
    // EventSource sends the last id it saw when it reconnects: it wins over the URL's `since`.
    const since = parseSince(req.get('Last-Event-ID') ?? queryString(req.query.since));
    const limit = parseLimit(req, maxLimit);
    // Refused cursors are answered as errors before the stream starts.
    const cursor = await ctx.feed.start(since);
    const clientGone = abortedOnClose(res);
    const stream = ctx.feed.follow(cursor, limit, heartbeatSeconds * 1000, clientGone);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      // The socket goes with the stream: a server shutting down ends streams and is not held by their connections.
      Connection: 'close',
      'X-Accel-Buffering': 'no',
    });
    // A client that stops reading holds the stream here until it reads again, goes, or the feed closes.
    const send = async (text: string) => {
      if (!res.write(text)) await once(res, 'drain', { signal: stream.stopped });
    };
    try {
      await send(`: following from cursor ${cursor}\n\n`);
      for await (const page of stream) {
        await send(page.changes.length === 0 ? ': heartbeat\n\n' : page.changes.map(sseEvent).join(''));
      }
    } catch (err) {
      // The last words are written without waiting: the stream ends after them either way.
      if (err instanceof CursorExpired) res.write(sseError(410, err.message));
      else if (!stream.stopped.aborted) {
        ctx.log.error({ err, req_id: req.id }, 'event stream failed');
        res.write(sseError(500, 'The event stream failed; reconnect with Last-Event-ID.'));
      }
    }
    endStream(res);
  });

  return router;
}

/** How long an ended stream may take to reach its client before the connection is cut. */
const STREAM_FLUSH_GRACE_MS = 1000;

/**
 * Ends a stream. A client that reads nothing would hold its connection (and
 * a server shutting down, which waits for every connection) as long as it
 * likes: what it has not taken within the grace time is dropped with it.
 */
function endStream(res: Response): void {
  if (res.closed) return;
  res.end();
  const cut = setTimeout(() => res.destroy(), STREAM_FLUSH_GRACE_MS);
  res.once('close', () => clearTimeout(cut));
}

/** Aborts when the client goes away (or the response is done). */
function abortedOnClose(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  return controller.signal;
}

function parseLimit(req: Request, maxLimit: number): number {
  const raw = queryString(req.query.limit);
  if (raw === undefined) return maxLimit;
  if (!/^\d+$/.test(raw)) throw new InvalidParameterValue(`Invalid limit "${raw}": expected a positive integer.`);
  const n = Number(raw);
  if (n <= 0) throw new InvalidParameterValue('Limit must be positive');
  return Math.min(n, maxLimit);
}

/** Seconds a long poll may wait; more than the setting allows waits that long. */
function parseWait(req: Request, maxSeconds: number): number {
  const raw = queryString(req.query.wait);
  if (raw === undefined) return 0;
  if (!/^\d+(\.\d+)?$/.test(raw))
    throw new InvalidParameterValue(`Invalid wait "${raw}": expected a number of seconds (at most ${maxSeconds}).`);
  return Math.min(Number(raw), maxSeconds);
}
