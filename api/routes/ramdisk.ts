import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { isUuidLike, normalizeUuid } from '../../services/nodes/index.js';
import { AnvilError, InvalidParameterValue } from '../../services/errors.js';
import type { ApiContext } from '../context.js';
import { FailureThrottle, sourceOf, waitTurn, type FailureThrottleOptions } from '../failure-throttle.js';
import { requireEndpointMinor } from '../microversion.js';
import { parseInput, queryString } from '../validation.js';
import { inspectionDataSchema } from './inspection-data.js';

const heartbeatSchema = z
  .object({
    callback_url: z.url({ protocol: /^https?$/, error: 'callback_url must be the http(s) URL the agent listens on.' }),
    agent_token: z.string().optional(),
    agent_version: z.string().max(255).optional(),
    agent_verify_ca: z.union([z.boolean(), z.string()]).optional(),
    agent_status: z.string().max(64).optional(),
    agent_status_message: z.string().max(1024).optional(),
  })
  .strict();

/**
 * How refused agent requests slow their source down. An honest agent fails
 * rarely (a lookup that comes before its node is ready, a heartbeat racing
 * the end of a step) and its next success clears it; a scan of MACs or a
 * guess at tokens gets to the 5 s cap within a dozen tries: about one try
 * per 5 s per connection instead of hundreds per second.
 */
export const AGENT_FAILURE_THROTTLE: FailureThrottleOptions = {
  freeFailures: 5,
  windowSeconds: 60,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
};

/**
 * The ramdisk agent's endpoints (IPA's protocol): public, as in Ironic; the
 * agent token handed out by lookup guards the heartbeat. Each source first
 * waits what its recent refusals have earned (FailureThrottle).
 */
export function ramdiskRoutes(ctx: ApiContext): Router {
  const router = Router();
  const throttle = new FailureThrottle(AGENT_FAILURE_THROTTLE);

  /**
   * Runs `work` for the request's source after its earned delay. A refusal
   * counts against the source; what proves the caller is the node's own
   * agent (`proven`: a token issued, a heartbeat accepted, inspection data
   * taken) clears it. A lookup answered with the token masked does neither,
   * or a known MAC could be used to wipe out the failures of a scan.
   * Null, with nothing done or sent, when the client hung up while it waited.
   */
  async function guarded<T>(
    req: Request,
    res: Response,
    work: () => Promise<T>,
    proven: (result: T) => boolean,
  ): Promise<{ result: T } | null> {
    const source = sourceOf(req.ip ?? req.socket.remoteAddress);
    if (!(await waitTurn(throttle, source, res))) return null;
    let result: T;
    try {
      result = await work();
    } catch (err) {
      if (isRefusal(err)) throttle.failed(source);
      throw err;
    }
    if (proven(result)) throttle.succeeded(source);
    return { result };
  }

  router.get('/lookup', async (req, res) => {
    const served = await guarded(
      req,
      res,
      async () => {
        requireEndpointMinor(req, 22);
        const addresses = (queryString(req.query.addresses) ?? '')
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean);
        return ctx.ramdisk.lookup(addresses, uuidParam(queryString(req.query.node_uuid)));
      },
      (result) => result.tokenIssued,
    );
    if (served !== null) res.json(served.result.answer);
  });

  router.post('/heartbeat/:node', async (req, res) => {
    const served = await guarded(
      req,
      res,
      async () => {
        requireEndpointMinor(req, 22);
        const beat = parseInput(heartbeatSchema, req.body, 'heartbeat');
        await ctx.ramdisk.heartbeat(req.params.node, beat);
      },
      () => true,
    );
    if (served !== null) res.status(202).end();
  });

  router.post('/continue_inspection', async (req, res) => {
    const served = await guarded(
      req,
      res,
      async () => {
        requireEndpointMinor(req, 84);
        const data = parseInput(inspectionDataSchema, req.body, 'inspection data');
        return ctx.ramdisk.continueInspection(data, uuidParam(queryString(req.query.node_uuid)));
      },
      () => true,
    );
    if (served !== null) res.status(202).json({ uuid: served.result });
  });

  return router;
}

/**
 * What counts as a failure: any refusal of the request itself (bad input,
 * no such node, wrong token). Not a busy node (409) or an overloaded
 * conductor (503), which honest agents meet too and simply retry.
 */
function isRefusal(err: unknown): boolean {
  return err instanceof AnvilError && err.kind !== 'conflict' && err.kind !== 'temporary';
}

function uuidParam(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (!isUuidLike(value)) throw new InvalidParameterValue(`node_uuid must be a UUID, not ${value}.`);
  return normalizeUuid(value);
}
