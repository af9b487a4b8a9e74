import { Router, type Request } from 'express';
import { z } from 'zod';
import { InvalidParameterValue, NotFound } from '../../services/errors.js';
import { isUuidLike, isValidLogicalName, normalizeMac, type Node } from '../../services/nodes/index.js';
import { PORT_SORT_KEYS, type PortFilter, PORT_PATCHABLE_FIELDS, type Port } from '../../services/ports/index.js';
import type { ApiContext } from '../context.js';
import { applyPatch, jsonPatchSchema, type JsonPatch } from '../json-patch.js';
import { requireEndpointMinor, requireMinor } from '../microversion.js';
import { nextLink, parsePage } from '../pagination.js';
import { parseFields, requireFieldVersion } from '../serializers/fields.js';
import { PORT_FIELD_VERSIONS, PORT_LIST_FIELDS, serializePort } from '../serializers/port.js';
import { apiBoolean, jsonObject, parseBoolean, parseInput, queryList, queryString } from '../validation.js';

const uuid = z.string().refine(isUuidLike, 'Expected a UUID.');
// ironicclient's `port create --node` passes whatever the user typed: a uuid or a node name.
const nodeIdent = z.string().refine((v) => isUuidLike(v) || isValidLogicalName(v), 'Expected a node UUID or name.');
const mac = z.string().refine((v) => normalizeMac(v) !== null, 'Expected a MAC address such as 52:54:00:12:34:56.');

const writable = {
  address: mac,
  name: z
    .string()
    .max(255)
    .regex(/^[A-Za-z0-9\-._~]*$/, 'A port name may hold only letters, digits and -._~')
    .nullable()
    .optional(),
  extra: jsonObject.optional(),
  local_link_connection: jsonObject.optional(),
  pxe_enabled: apiBoolean.optional(),
  physical_network: z.string().max(64).nullable().optional(),
  is_smartnic: apiBoolean.optional(),
  description: z.string().max(255).nullable().optional(),
  vendor: z.string().max(32).nullable().optional(),
  category: z.string().max(80).nullable().optional(),
};

const portCreateSchema = z
  .object({ uuid: uuid.optional(), node_uuid: nodeIdent, portgroup_uuid: uuid.nullable().optional(), ...writable })
  .strict();
const portUpdateSchema = z.object({ node_uuid: nodeIdent, portgroup_uuid: uuid.nullable(), ...writable }).strict();

export function portRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.json(await listPorts(ctx, req, 'ports', await portFilter(ctx, req, false), false));
  });

  router.get('/detail', async (req, res) => {
    res.json(await listPorts(ctx, req, 'ports/detail', await portFilter(ctx, req, false), true));
  });

  router.post('/', async (req, res) => {
    const body = parseInput(portCreateSchema, req.body, 'port');
    for (const key of Object.keys(body)) requireFieldVersion(key, PORT_FIELD_VERSIONS, req.apiMinor);
    const port = await ctx.ports.create(body);
    res
      .status(201)
      .location(`/v1/ports/${port.uuid}`)
      .json(serializePort(port, req, req.apiMinor));
  });

  router.get('/:ident', async (req, res) => {
    const fields = parseFields(req.query.fields, PORT_FIELD_VERSIONS, req.apiMinor);
    res.json(serializePort(await ctx.ports.get(req.params.ident), req, req.apiMinor, fields));
  });

  router.patch('/:ident', async (req, res) => {
    const ops = parseInput(jsonPatchSchema, req.body, 'patch');
    const port = await ctx.ports.update(req.params.ident, (current) => {
      const update = applyPatch(
        patchableView(current),
        ops,
        {
          patchable: PORT_PATCHABLE_FIELDS,
          versions: PORT_FIELD_VERSIONS,
          mandatory: ['address', 'node_uuid'],
          removedValue: removedPortValue,
          secrets: {},
          schema: portUpdateSchema,
          what: 'port',
        },
        req.apiMinor,
      );
      refuseGroupedPhysnetChange(req, ops, update.portgroup_uuid ?? null);
      return update;
    });
    res.json(serializePort(port, req, req.apiMinor));
  });

  router.delete('/:ident', async (req, res) => {
    await ctx.ports.delete(req.params.ident);
    res.status(204).end();
  });

  return router;
}

/** `GET /v1/nodes/{node}/ports[/detail]`: the same listing, scoped to one node. */
export function nodePortRoutes(ctx: ApiContext): Router {
  const router = Router({ mergeParams: true });
  const scoped = async (req: Request) => {
    const node = await ctx.nodes.get(String((req.params as Record<string, string>).ident));
    const filter = await portFilter(ctx, req, true);
    return filter === null ? null : { ...filter, node_id: node.id };
  };
  router.get('/', async (req, res) => {
    const ident = String((req.params as Record<string, string>).ident);
    res.json(await listPorts(ctx, req, `nodes/${ident}/ports`, await scoped(req), false));
  });
  router.get('/detail', async (req, res) => {
    const ident = String((req.params as Record<string, string>).ident);
    res.json(await listPorts(ctx, req, `nodes/${ident}/ports/detail`, await scoped(req), true));
  });
  return router;
}

/** `GET /v1/portgroups/{group}/ports[/detail]` (API 1.24): the same listing, scoped to one port group. */
export function portgroupPortRoutes(ctx: ApiContext): Router {
  const router = Router({ mergeParams: true });
  router.use((req, _res, next) => {
    requireEndpointMinor(req, 24);
    next();
  });
  const ident = (req: Request) => String((req.params as Record<string, string>).ident);
  const scoped = async (req: Request) => {
    const group = await ctx.portgroups.get(ident(req));
    const filter = await portFilter(ctx, req, true);
    return filter === null ? null : { ...filter, portgroup_id: group.id };
  };
  router.get('/', async (req, res) => {
    res.json(await listPorts(ctx, req, `portgroups/${ident(req)}/ports`, await scoped(req), false));
  });
  router.get('/detail', async (req, res) => {
    res.json(await listPorts(ctx, req, `portgroups/${ident(req)}/ports/detail`, await scoped(req), true));
  });
  return router;
}

async function listPorts(ctx: ApiContext, req: Request, path: string, filter: PortFilter | null, detail: boolean) {
  const fields = parseFields(req.query.fields, PORT_FIELD_VERSIONS, req.apiMinor);
  const wantsDetail = detail || parseBoolean(req.query.detail, 'detail') === true;
  if (fields && wantsDetail)
    throw new InvalidParameterValue('Can not specify ?detail=True and fields in the same request.');
  const page = parsePage(req, PORT_SORT_KEYS, ctx.config.api.maxLimit);
  requireFieldVersion(page.sortKey, PORT_FIELD_VERSIONS, req.apiMinor);
  // A filter that can match nothing (an empty value, an unknown MAC) gives an empty page, never every port.
  const ports = filter === null ? [] : await ctx.ports.list({ filter, ...page });
  const only = wantsDetail ? null : (fields ?? PORT_LIST_FIELDS);
  const body: Record<string, unknown> = { ports: ports.map((p) => serializePort(p, req, req.apiMinor, only)) };
  const next = nextLink(
    req,
    path,
    page,
    ports.map((p) => p.uuid),
  );
  if (next) body.next = next;
  return body;
}

/**
 * Filters `address`, `node_uuid`, `node`, `portgroup`, `conductor_groups` and
 * `description_contains`; null when the filter cannot match any port.
 * `scoped` when the path already names the node or port group.
 */
async function portFilter(ctx: ApiContext, req: Request, scoped: boolean): Promise<PortFilter | null> {
  const filter: PortFilter = {};
  const description = queryString(req.query.description_contains);
  if (description !== undefined) filter.description_contains = description;
  // Ironic takes these at any version, though they came with 1.99.
  const groups = queryList(req.query.conductor_groups);
  const portgroup = queryString(req.query.portgroup);
  const address = queryString(req.query.address);
  const nodeIdent = queryString(req.query.node_uuid) ?? queryString(req.query.node);
  if (groups.length > 0) {
    if (scoped || portgroup !== undefined || address !== undefined || nodeIdent !== undefined) {
      throw new InvalidParameterValue(
        'Filtering by conductor_groups cannot be combined with node_ident, portgroup_ident, or node address filters.',
      );
    }
    filter.conductor_groups = groups;
  }
  if (portgroup !== undefined) {
    requireMinor(req, 24, 'Filtering ports by portgroup');
    try {
      filter.portgroup_id = (await ctx.portgroups.get(portgroup)).id;
    } catch (err) {
      if (err instanceof NotFound || err instanceof InvalidParameterValue) return null;
      throw err;
    }
  }
  if (address !== undefined) {
    const normalized = normalizeMac(address);
    if (normalized === null) return null;
    filter.address = normalized;
  }
  if (nodeIdent !== undefined) {
    let node: Node;
    try {
      node = await ctx.nodes.get(nodeIdent);
    } catch (err) {
      if (err instanceof NotFound || err instanceof InvalidParameterValue) return null;
      throw err;
    }
    filter.node_id = node.id;
  }
  return filter;
}

/**
 * Since 1.102 a port in a group is on the group's physical network, which is
 * changed on the group. Ironic looks at the patch's first operation only
 * (its is_path_updated returns from the loop's first turn); so does this.
 */
function refuseGroupedPhysnetChange(req: Request, ops: JsonPatch, portgroup: string | null): void {
  const first = ops[0]?.path ?? '';
  const touches = first === '/physical_network' || first.startsWith('/physical_network/');
  if (req.apiMinor >= 102 && touches && portgroup !== null) {
    throw new InvalidParameterValue('physical_network cannot be changed while the port belongs to a portgroup.');
  }
}

/** What a removed port attribute becomes: its default at creation. */
function removedPortValue(field: string): unknown {
  if (field === 'extra' || field === 'local_link_connection') return {};
  if (field === 'pxe_enabled') return true;
  if (field === 'is_smartnic') return false;
  return null;
}

function patchableView(port: Port): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const f of PORT_PATCHABLE_FIELDS) doc[f] = port[f];
  return doc;
}
