import { Router, type Request } from 'express';
import { z } from 'zod';
import { ALLOCATION_SORT_KEYS, type AllocationFilter } from '../../services/allocations/index.js';
import { InvalidParameterValue, NotFound } from '../../services/errors.js';
import { isUuidLike } from '../../services/nodes/index.js';
import type { ApiContext } from '../context.js';
import { applyPatch, jsonPatchSchema } from '../json-patch.js';
import { requireEndpointMinor, requireMinor } from '../microversion.js';
import { nextLink, parsePage } from '../pagination.js';
import { ALLOCATION_FIELD_VERSIONS, serializeAllocation } from '../serializers/allocation.js';
import { parseFields, requireFieldVersion } from '../serializers/fields.js';
import { jsonObject, parseInput, queryString } from '../validation.js';

/** Ironic's schema: every field may also be null, meaning absent. */
const allocationCreateSchema = z
  .object({
    uuid: z.string().refine(isUuidLike, 'Expected a UUID.').nullable().optional(),
    name: z.string().max(255).nullable().optional(),
    resource_class: z.string().max(80).nullable().optional(),
    traits: z.array(z.string()).nullable().optional(),
    candidate_nodes: z.array(z.string()).nullable().optional(),
    extra: jsonObject.nullable().optional(),
    owner: z.string().max(255).nullable().optional(),
    node: z.string().nullable().optional(),
  })
  .strict();

const allocationUpdateSchema = z.object({ name: z.string().max(255).nullable(), extra: jsonObject }).strict();

/** `/v1/allocations` (API 1.52). */
export function allocationRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.use((req, _res, next) => {
    requireEndpointMinor(req, 52);
    next();
  });

  router.get('/', async (req, res) => {
    const fields = parseFields(req.query.fields, ALLOCATION_FIELD_VERSIONS, req.apiMinor);
    const page = parsePage(req, ALLOCATION_SORT_KEYS, ctx.config.api.maxLimit);
    const filter = await allocationFilter(ctx, req);
    const items = await ctx.allocations.list({ filter, ...page });
    const body: Record<string, unknown> = {
      allocations: items.map((a) => serializeAllocation(a, req, req.apiMinor, fields)),
    };
    const next = nextLink(
      req,
      'allocations',
      page,
      items.map((a) => a.uuid),
    );
    if (next) body.next = next;
    res.json(body);
  });

  router.post('/', async (req, res) => {
    const body = parseInput(allocationCreateSchema, req.body, 'allocation');
    if (body.node && req.apiMinor < 58) {
      throw new InvalidParameterValue('Cannot set node when creating an allocation in this API version');
    }
    if (body.owner !== undefined) requireFieldVersion('owner', ALLOCATION_FIELD_VERSIONS, req.apiMinor);
    const allocation = await ctx.allocations.create(body);
    res
      .status(201)
      .location(`/v1/allocations/${allocation.uuid}`)
      .json(serializeAllocation(allocation, req, req.apiMinor));
  });

  router.get('/:ident', async (req, res) => {
    const fields = parseFields(req.query.fields, ALLOCATION_FIELD_VERSIONS, req.apiMinor);
    res.json(serializeAllocation(await ctx.allocations.get(req.params.ident), req, req.apiMinor, fields));
  });

  router.patch('/:ident', async (req, res) => {
    requireMinor(req, 57, 'Updating an allocation');
    const ops = parseInput(jsonPatchSchema, req.body, 'patch');
    const current = await ctx.allocations.get(req.params.ident);
    const changes = applyPatch(
      { name: current.name, extra: current.extra },
      ops,
      {
        patchable: ['name', 'extra'],
        versions: ALLOCATION_FIELD_VERSIONS,
        mandatory: [],
        removedValue: (f) => (f === 'extra' ? {} : null),
        secrets: {},
        schema: allocationUpdateSchema,
        what: 'allocation',
      },
      req.apiMinor,
    );
    res.json(serializeAllocation(await ctx.allocations.update(current.uuid, changes), req, req.apiMinor));
  });

  router.delete('/:ident', async (req, res) => {
    await ctx.allocations.delete(req.params.ident);
    res.status(204).end();
  });

  return router;
}

/** `GET|DELETE /v1/nodes/{node}/allocation`. */
export function nodeAllocationRoutes(ctx: ApiContext): Router {
  const router = Router({ mergeParams: true });
  router.use((req, _res, next) => {
    requireEndpointMinor(req, 52);
    next();
  });
  const ident = (req: Request) => String((req.params as Record<string, string>).ident);
  router.get('/', async (req, res) => {
    const fields = parseFields(req.query.fields, ALLOCATION_FIELD_VERSIONS, req.apiMinor);
    res.json(serializeAllocation(await ctx.allocations.forNode(ident(req)), req, req.apiMinor, fields));
  });
  router.delete('/', async (req, res) => {
    const allocation = await ctx.allocations.forNode(ident(req));
    await ctx.allocations.delete(allocation.uuid);
    res.status(204).end();
  });
  return router;
}

/** A `node` filter naming no node is a bad request, as in Ironic; an unknown `state` just matches nothing. */
async function allocationFilter(ctx: ApiContext, req: Request): Promise<AllocationFilter> {
  const filter: AllocationFilter = {};
  const node = queryString(req.query.node);
  if (node !== undefined) {
    try {
      filter.node_id = (await ctx.nodes.get(node)).id;
    } catch (err) {
      if (err instanceof NotFound) throw new InvalidParameterValue(err.message);
      throw err;
    }
  }
  for (const key of ['resource_class', 'state', 'owner'] as const) {
    const value = queryString(req.query[key]);
    if (value !== undefined) filter[key] = value;
  }
  if (filter.owner !== undefined) requireMinor(req, 60, 'Filtering by owner');
  return filter;
}
