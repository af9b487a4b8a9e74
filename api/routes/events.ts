import { once } from 'node:events';
import { Router, type Request, type Response } from 'express';
import { InvalidParameterValue } from '../../services/errors.js';
import { CursorExpired, parseSince } from '../../services/feed/index.js';
import type { ApiContext } from '../context.js';
import { eventsPage, sseError, sseEvent } from '../serializers/events.js';
import { queryString } from '../validation.js';

/**
 * Anvil's change feed (`/v1/anvil/events`): every change to nodes,
 * allocations and IPAM claims in commit order, each with a cursor. A long
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
    res.json(eventsPage(req, page, limit));
  });

  router.get('/stream', async (req, res) => {
    // EventSource sends the last id it saw when it reconnects: it wins over the URL's `since`.
    const since = parseSince(req.get('Last-Event-ID') ?? queryString(req.query.since));
    const limit = parseLimit(req, maxLimit);
    // Refused cursors are answered as errors before the stream starts.
    const cursor = await ctx.feed.start(since);
    const closed = abortedOnClose(res);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      // The socket goes with the stream: a server shutting down ends streams and is not held by their connections.
      Connection: 'close',
      'X-Accel-Buffering': 'no',
    });
    const send = async (text: string) => {
      if (!res.write(text)) await once(res, 'drain', { signal: closed });
    };
    try {
      await send(`: following from cursor ${cursor}\n\n`);
      for await (const page of ctx.feed.follow(cursor, limit, heartbeatSeconds * 1000, closed)) {
        await send(page.changes.length === 0 ? ': heartbeat\n\n' : page.changes.map(sseEvent).join(''));
      }
    } catch (err) {
      if (err instanceof CursorExpired) await send(sseError(410, err.message)).catch(() => undefined);
      else if (!closed.aborted) {
        ctx.log.error({ err, req_id: req.id }, 'event stream failed');
        await send(sseError(500, 'The event stream failed; reconnect with Last-Event-ID.')).catch(() => undefined);
      }
    }
    res.end();
  });

  return router;
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
