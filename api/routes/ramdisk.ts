import { Router } from 'express';
import { z } from 'zod';
import { isUuidLike, normalizeUuid } from '../../services/nodes/index.js';
import { InvalidParameterValue } from '../../services/errors.js';
import type { ApiContext } from '../context.js';
import { requireEndpointMinor } from '../microversion.js';
import { jsonObject, parseInput, queryString } from '../validation.js';

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
 * The ramdisk agent's endpoints (IPA's protocol): public, as in Ironic; the
 * agent token handed out by lookup guards the heartbeat.
 */
export function ramdiskRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/lookup', async (req, res) => {
    requireEndpointMinor(req, 22);
    const addresses = (queryString(req.query.addresses) ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    res.json(await ctx.ramdisk.lookup(addresses, uuidParam(queryString(req.query.node_uuid))));
  });

  router.post('/heartbeat/:node', async (req, res) => {
    requireEndpointMinor(req, 22);
    const beat = parseInput(heartbeatSchema, req.body, 'heartbeat');
    await ctx.ramdisk.heartbeat(req.params.node, beat);
    res.status(202).end();
  });

  router.post('/continue_inspection', async (req, res) => {
    requireEndpointMinor(req, 84);
    const data = parseInput(jsonObject, req.body, 'inspection data');
    const uuid = await ctx.ramdisk.continueInspection(data, uuidParam(queryString(req.query.node_uuid)));
    res.status(202).json({ uuid });
  });

  return router;
}

function uuidParam(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (!isUuidLike(value)) throw new InvalidParameterValue(`node_uuid must be a UUID, not ${value}.`);
  return normalizeUuid(value);
}
