import { Router, type Request } from 'express';
import { z } from 'zod';
import { ALLOCATION_STRATEGIES, PoolNotFound, type PoolSpec, type PoolView } from '../../ipam/index.js';
import type { ApiContext } from '../context.js';
import { applyPatch, jsonPatchSchema } from '../json-patch.js';
import { nextLink, parsePage } from '../pagination.js';
import { serializeAddress, serializeClaim, serializePool } from '../serializers/ipam.js';
import { parseInput, queryString } from '../validation.js';

// Names travel in URL paths, so they keep to unreserved characters.
const name = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9\-._~]+$/, 'A name may hold only letters, digits and -._~');
const address = z.string().max(64);
const rangeSchema = z
  .object({
    start: address.nullable().optional(),
    end: address.nullable().optional(),
    subnet: address.nullable().optional(),
    prefix: z.number().int().nullable().optional(),
    gateway: address.nullable().optional(),
    dns_servers: z.array(address).max(16).nullable().optional(),
  })
  .strict();
const poolFields = {
  allocation_strategy: z.enum(ALLOCATION_STRATEGIES as [string, ...string[]]).optional(),
  prefix: z.number().int().nullable().optional(),
  gateway: address.nullable().optional(),
  dns_servers: z.array(address).max(16).optional(),
  ranges: z.array(rangeSchema).min(1).max(256),
  excluded: z.array(z.string().max(130)).max(4096).optional(),
  pre_allocations: z.record(name, address).optional(),
};
const poolCreateSchema = z.object({ name, ...poolFields }).strict();
const poolUpdateSchema = z.object(poolFields).strict();
const claimCreateSchema = z
  .object({ name, address: address.nullable().optional(), owner: z.string().max(255).nullable().optional() })
  .strict();

const POOL_PATCHABLE = [
  'allocation_strategy',
  'prefix',
  'gateway',
  'dns_servers',
  'ranges',
  'excluded',
  'pre_allocations',
] as const;
const POOL_FIELD_VERSIONS = Object.fromEntries(
  ['uuid', 'name', 'family', ...POOL_PATCHABLE, 'usage', 'created_at', 'updated_at', 'links'].map((f) => [f, 1]),
);
const NAME_SORT_KEYS = ['id', 'name'] as const;
const ADDRESS_SORT_KEYS = ['id', 'address'] as const;

/** `/v1/ipam`: pools, their claims, and the addresses claims hold. */
export function ipamRoutes(ctx: ApiContext): Router {
  const router = Router();
  const maxLimit = ctx.config.api.maxLimit;

  router.get('/pools', async (req, res) => {
    const page = parsePage(req, NAME_SORT_KEYS, maxLimit);
    const pools = await ctx.ipam.listPools(page);
    const body: Record<string, unknown> = { pools: pools.map((p) => serializePool(p, req)) };
    const next = nextLink(
      req,
      'ipam/pools',
      page,
      pools.map((p) => p.record.uuid),
    );
    if (next) body.next = next;
    res.json(body);
  });

  router.post('/pools', async (req, res) => {
    const { name: poolName, ...spec } = parseInput(poolCreateSchema, req.body, 'pool');
    const view = await ctx.ipam.createPool(poolName, spec as PoolSpec);
    res
      .status(201)
      .location(`/v1/ipam/pools/${encodeURIComponent(poolName)}`)
      .json(serializePool(view, req, await ctx.ipam.usage(view)));
  });

  router.get('/pools/:pool', async (req, res) => {
    const view = await ctx.ipam.getPool(req.params.pool);
    res.json(serializePool(view, req, await ctx.ipam.usage(view)));
  });

  router.patch('/pools/:pool', async (req, res) => {
    const ops = parseInput(jsonPatchSchema, req.body, 'patch');
    const view = await ctx.ipam.updatePool(req.params.pool, (current) => {
      return applyPatch(
        patchableView(current),
        ops,
        {
          patchable: POOL_PATCHABLE,
          versions: POOL_FIELD_VERSIONS,
          mandatory: ['ranges', 'allocation_strategy'],
          removedValue: removedPoolValue,
          secrets: {},
          schema: poolUpdateSchema,
          what: 'pool',
        },
        req.apiMinor,
      ) as PoolSpec;
    });
    res.json(serializePool(view, req, await ctx.ipam.usage(view)));
  });

  router.delete('/pools/:pool', async (req, res) => {
    await ctx.ipam.deletePool(req.params.pool);
    res.status(204).end();
  });

  router.get('/pools/:pool/claims', async (req, res) => {
    const page = parsePage(req, NAME_SORT_KEYS, maxLimit);
    const claims = await ctx.ipam.listClaims(req.params.pool, page);
    const body: Record<string, unknown> = { claims: claims.map((c) => serializeClaim(c, req)) };
    const next = nextLink(
      req,
      `ipam/pools/${encodeURIComponent(req.params.pool)}/claims`,
      page,
      claims.map((c) => c.record.uuid),
    );
    if (next) body.next = next;
    res.json(body);
  });

  // Idempotent by name: 201 when this request made the claim, 200 with the same claim when it already existed.
  router.post('/pools/:pool/claims', async (req, res) => {
    const body = parseInput(claimCreateSchema, req.body, 'claim');
    const { claim, created } = await ctx.ipam.claim(req.params.pool, body);
    res
      .status(created ? 201 : 200)
      .location(
        `/v1/ipam/pools/${encodeURIComponent(claim.record.pool)}/claims/${encodeURIComponent(claim.record.name)}`,
      )
      .json(serializeClaim(claim, req));
  });

  router.get('/pools/:pool/claims/:claim', async (req, res) => {
    res.json(serializeClaim(await ctx.ipam.getClaim(req.params.pool, req.params.claim), req));
  });

  router.delete('/pools/:pool/claims/:claim', async (req, res) => {
    await ctx.ipam.release(req.params.pool, req.params.claim);
    res.status(204).end();
  });

  router.get('/addresses', async (req, res) => {
    const page = parsePage(req, ADDRESS_SORT_KEYS, maxLimit);
    const filter = addressFilter(req);
    let addresses: Awaited<ReturnType<typeof ctx.ipam.listAddresses>> = [];
    try {
      addresses = await ctx.ipam.listAddresses(filter, page);
    } catch (err) {
      // A filter naming no pool matches nothing, as a port filter naming no node does.
      if (!(err instanceof PoolNotFound)) throw err;
    }
    const body: Record<string, unknown> = { addresses: addresses.map(serializeAddress) };
    const next = nextLink(
      req,
      'ipam/addresses',
      page,
      addresses.map((a) => a.record.address_uuid),
    );
    if (next) body.next = next;
    res.json(body);
  });

  return router;
}

function addressFilter(req: Request): { pool?: string; claim?: string; owner?: string; address?: string } {
  const filter: { pool?: string; claim?: string; owner?: string; address?: string } = {};
  for (const key of ['pool', 'claim', 'owner', 'address'] as const) {
    const value = queryString(req.query[key]);
    if (value !== undefined) filter[key] = value;
  }
  return filter;
}

function patchableView(view: PoolView): Record<string, unknown> {
  return structuredClone({ ...view.record.spec });
}

/** What a removed pool attribute becomes: its default at creation. */
function removedPoolValue(field: string): unknown {
  if (field === 'dns_servers' || field === 'excluded') return [];
  if (field === 'pre_allocations') return {};
  return null;
}
