import { Router, type Request, type Response } from 'express';
import { InvalidParameterValue, NodeNotFound } from '../../services/errors.js';
import {
  FAULTS,
  type Node,
  NODE_SORT_KEYS,
  type NodeFilter,
  PATCHABLE_FIELDS,
  type NodeUpdate,
  isProvisionState,
} from '../../services/nodes/index.js';
import type { ApiContext } from '../context.js';
import { applyPatch, jsonPatchSchema } from '../json-patch.js';
import { requireMinor } from '../microversion.js';
import { nextLink, parsePage } from '../pagination.js';
import { parseFields, requireFieldVersion } from '../serializers/fields.js';
import { baseUrl } from '../serializers/links.js';
import {
  NODE_FIELD_VERSIONS,
  NODE_LIST_FIELDS,
  NODE_SECRETS,
  nodeColumnsFor,
  serializeNode,
  type ListedNode,
} from '../serializers/node.js';
import { parseBoolean, parseInput, queryString } from '../validation.js';
import { nodeCreateSchema, nodeUpdateSchema } from './node-schemas.js';

/** Filters and the version each appeared in. */
const STRING_FILTERS: Record<string, number> = {
  driver: 1,
  instance_uuid: 1,
  chassis_uuid: 1,
  resource_class: 21,
  fault: 42,
  conductor_group: 46,
  owner: 50,
  description_contains: 51,
  lessee: 65,
  instance_name: 104,
};

const JSON_FIELDS = new Set(['driver_info', 'instance_info', 'properties', 'extra', 'network_data']);
const BOOLEAN_FIELDS = new Set(['disable_power_off', 'protected', 'retired', 'maintenance']);

/** A node listing scoped to one chassis: the chassis's uuid, and the collection's path for `next` links. */
export interface ChassisScope {
  chassis_uuid: string;
  path: string;
}

async function nodeView(ctx: ApiContext, req: Request) {
  return { base: baseUrl(req), minor: req.apiMinor, conductorOf: await ctx.placement.snapshot() };
}

/**
 * A page of nodes as `GET /v1/nodes[/detail]` answers it; with `scope`, only
 * a chassis's nodes, as `GET /v1/chassis/{uuid}/nodes[/detail]` answers them.
 */
export async function listNodes(ctx: ApiContext, req: Request, detail: boolean, scope?: ChassisScope) {
  const path = scope?.path ?? 'nodes';
  if (detail && req.query.fields !== undefined)
    throw new InvalidParameterValue(`The fields parameter is not allowed on /${path}/detail.`);
  const detailParam = parseBoolean(req.query.detail, 'detail');
  if (detailParam !== undefined) requireMinor(req, 43, 'The detail parameter');
  const wantsDetail = detail || detailParam === true;
  const fields = parseFields(req.query.fields, NODE_FIELD_VERSIONS, req.apiMinor);
  if (fields && wantsDetail)
    throw new InvalidParameterValue('Can not specify ?detail=True and fields in the same request.');
  const page = parsePage(req, NODE_SORT_KEYS, ctx.config.api.maxLimit);
  const conductor = queryString(req.query.conductor);
  if (conductor !== undefined) requireMinor(req, 49, 'Filtering by conductor');
  const v = await nodeView(ctx, req);
  const filter = parseNodeFilter(req);
  if (scope !== undefined) filter.chassis_uuid = scope.chassis_uuid;
  // A chassis that does not exist is 404, as in Ironic, never an empty list.
  else if (filter.chassis_uuid !== undefined) filter.chassis_uuid = (await ctx.chassis.get(filter.chassis_uuid)).uuid;
  const query = { filter, ...page };
  // The owning conductor is the hash ring's answer, not a column: filtered after the query, as in Ironic.
  const owned = <T extends { uuid: string; conductor_group: string }>(listed: T[]) =>
    conductor === undefined ? listed : listed.filter((n) => v.conductorOf(n.uuid, n.conductor_group) === conductor);
  let listed: { uuid: string }[];
  let nodes: string[];
  if (wantsDetail) {
    // Only the nodes whose row changed since they were last built are read and built again.
    const stamps = await ctx.nodes.listStamps(query);
    listed = stamps;
    nodes = await ctx.nodeDetails.details(owned(stamps), v, (ids) => ctx.nodes.getManyMasked(ids));
  } else {
    const only = fields ?? NODE_LIST_FIELDS;
    // A list of a few fields reads only the columns they need: most of a full node's cost is reading it.
    const rows: ListedNode[] = await ctx.nodes.listMasked(query, nodeColumnsFor(only));
    listed = rows;
    nodes = owned(rows).map((n) => JSON.stringify(serializeNode(n, v, only)));
  }
  // From the page as queried: a page the conductor filter thinned still leads on to the rest.
  const next = nextLink(
    req,
    detail ? `${path}/detail` : path,
    page,
    listed.map((n) => n.uuid),
  );
  // JSON text built from each node's own: a detail list's nodes come ready-made from the cache.
  return `{"nodes":[${nodes.join(',')}]${next ? `,"next":${JSON.stringify(next)}` : ''}}`;
}

/** A JSON answer already serialized, as res.json would send it. */
export function sendJson(res: Response, text: string): void {
  res.type('application/json').send(text);
}

export function nodeRoutes(ctx: ApiContext): Router {
  const router = Router();
  const view = (req: Request) => nodeView(ctx, req);
  const list = (req: Request, detail: boolean) => listNodes(ctx, req, detail);

  router.get('/', async (req, res) => {
    sendJson(res, await list(req, false));
  });

  router.get('/detail', async (req, res) => {
    sendJson(res, await list(req, true));
  });

  router.post('/', async (req, res) => {
    const body = parseInput(nodeCreateSchema, req.body, 'node');
    for (const key of Object.keys(body)) requireFieldVersion(key, NODE_FIELD_VERSIONS, req.apiMinor);
    // Since 1.11 a new node starts in enroll; before, it was available at once.
    const node = await ctx.nodes.create(body, req.apiMinor >= 11 ? 'enroll' : 'available');
    res
      .status(201)
      .location(`/v1/nodes/${node.uuid}`)
      .json(serializeNode(node, await view(req)));
  });

  router.get('/:ident', async (req, res) => {
    const fields = parseFields(req.query.fields, NODE_FIELD_VERSIONS, req.apiMinor);
    if (fields !== null) {
      // As a list of these fields does: only the columns they need are read.
      const node: ListedNode = await ctx.nodes.getMasked(req.params.ident, nodeColumnsFor(fields));
      res.json(serializeNode(node, await view(req), fields));
      return;
    }
    // The whole node is what a detail list shows of it: a node polled while its row stays put is
    // answered from the detail cache, after a read of its stamp, not of the node.
    const stamp = await ctx.nodes.getStamp(req.params.ident);
    const [json] = await ctx.nodeDetails.details([stamp], await view(req), (ids) => ctx.nodes.getManyMasked(ids));
    // Deleted between the two reads.
    if (json === undefined) throw new NodeNotFound(req.params.ident);
    sendJson(res, json);
  });

  router.patch('/:ident', async (req, res) => {
    const resetInterfaces = parseBoolean(req.query.reset_interfaces, 'reset_interfaces');
    if (resetInterfaces !== undefined) requireMinor(req, 45, 'The reset_interfaces parameter');
    const ops = parseInput(jsonPatchSchema, req.body, 'patch');
    if (resetInterfaces && !ops.some((op) => op.path === '/driver' && op.op !== 'remove')) {
      throw new InvalidParameterValue(
        "The reset_interfaces parameter can only be used when changing the node's driver.",
      );
    }
    const node = await ctx.nodes.update(
      req.params.ident,
      (current) => {
        const doc = patchableView(current);
        const update = applyPatch(
          doc,
          ops,
          {
            patchable: PATCHABLE_FIELDS,
            versions: NODE_FIELD_VERSIONS,
            mandatory: ['driver'],
            removedValue,
            // What serializeNode masks: driver_internal_info is not patchable, but is named in case it becomes so.
            secrets: NODE_SECRETS,
            schema: nodeUpdateSchema,
            what: 'node',
          },
          req.apiMinor,
        ) as NodeUpdate;
        if (current.chassis_uuid !== null && update.chassis_uuid === null) {
          requireMinor(req, 25, "Removing a node's chassis_uuid");
        }
        return update;
      },
      { resetInterfaces },
    );
    res.json(serializeNode(node, await view(req)));
  });

  router.delete('/:ident', async (req, res) => {
    await ctx.nodes.delete(req.params.ident);
    res.status(204).end();
  });

  return router;
}

/** The writable attributes as a document to patch, secrets in clear (they are the client's own). */
function patchableView(node: Node): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const f of PATCHABLE_FIELDS) doc[f] = node[f];
  return doc;
}

function removedValue(field: string): unknown {
  if (JSON_FIELDS.has(field)) return {};
  if (BOOLEAN_FIELDS.has(field)) return false;
  if (field === 'conductor_group') return '';
  return null;
}

function parseNodeFilter(req: Request): NodeFilter {
  const q = req.query;
  const filter: NodeFilter = {};
  for (const [name, since] of Object.entries(STRING_FILTERS)) {
    const value = queryString(q[name]);
    if (value === undefined) continue;
    requireMinor(req, since, `Filtering by ${name}`);
    if (name === 'fault' && !(FAULTS as readonly string[]).includes(value)) {
      throw new InvalidParameterValue(
        `Unrecognized fault "${value}" is specified, allowed faults are (${FAULTS.map((f) => `'${f}'`).join(', ')})`,
      );
    }
    (filter as Record<string, unknown>)[name] = name === 'conductor_group' ? value.toLowerCase() : value;
  }
  const state = queryString(q.provision_state);
  if (state !== undefined) {
    if (!isProvisionState(state)) throw new InvalidParameterValue(`Invalid provision state: ${state}.`);
    filter.provision_state = state;
  }
  const maintenance = parseBoolean(queryString(q.maintenance), 'maintenance');
  if (maintenance !== undefined) filter.maintenance = maintenance;
  const associated = parseBoolean(queryString(q.associated), 'associated');
  if (associated !== undefined) filter.associated = associated;
  const retired = parseBoolean(queryString(q.retired), 'retired');
  if (retired !== undefined) {
    requireMinor(req, 61, 'Filtering by retired');
    filter.retired = retired;
  }
  const shard = queryString(q.shard);
  if (shard !== undefined) {
    requireMinor(req, 82, 'Filtering by shard');
    filter.shard = shard.split(',').map((s) => s.trim());
  }
  return filter;
}
