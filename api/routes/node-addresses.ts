import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { parseInput } from '../validation.js';

const claimSchema = z.object({ pools: z.array(z.string().min(1)).min(1, 'Name at least one pool.') }).strict();

/**
 * Anvil's own node resources (`/v1/anvil/nodes/{node}/...`): the addresses a
 * node holds from IPAM pools, and the network_data.json rendered from them.
 */
export function nodeAddressRoutes(ctx: ApiContext): Router {
  const router = Router({ mergeParams: true });
  const ident = (req: Request) => String((req.params as Record<string, string>).ident);

  router.get('/addresses', async (req, res) => {
    res.json({ addresses: await ctx.nodeAddresses.list(ident(req)) });
  });

  /** Claims one address per named pool; idempotent, so a retry answers the same addresses. */
  router.put('/addresses', async (req, res) => {
    const body = parseInput(claimSchema, req.body, 'address claim');
    res.json({ addresses: await ctx.nodeAddresses.claim(ident(req), body.pools) });
  });

  router.delete('/addresses', async (req, res) => {
    await ctx.nodeAddresses.release(ident(req));
    res.status(204).end();
  });

  router.get('/network_data', async (req, res) => {
    res.json(await ctx.nodeAddresses.networkData(ident(req)));
  });

  return router;
}
