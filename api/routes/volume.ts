import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { InvalidParameterValue } from '../../services/errors.js';
import { isUuidLike, isValidLogicalName } from '../../services/nodes/index.js';
import {
  CONNECTOR_SORT_KEYS,
  CONNECTOR_TYPES,
  TARGET_SORT_KEYS,
  type VolumeConnector,
  type VolumeFilter,
  type VolumeItem,
  type VolumeItemCreate,
  type VolumeItemUpdate,
  type VolumeService,
  type VolumeTarget,
} from '../../services/volume/index.js';
import type { ApiContext } from '../context.js';
import { applyPatch, jsonPatchSchema } from '../json-patch.js';
import { requireEndpointMinor, type Minor } from '../microversion.js';
import { nextLink, parsePage } from '../pagination.js';
import { parseFields, type FieldVersions } from '../serializers/fields.js';
import {
  CONNECTOR_FIELD_VERSIONS,
  CONNECTOR_LIST_FIELDS,
  serializeConnector,
  serializeTarget,
  TARGET_FIELD_VERSIONS,
  TARGET_LIST_FIELDS,
  VOLUME_MINOR,
  volumeDocument,
} from '../serializers/volume.js';
import { jsonObject, parseBoolean, parseInput, queryString } from '../validation.js';

const uuid = z.string().refine(isUuidLike, 'Expected a UUID.');
// As for ports, a node name is taken where Ironic wants the uuid: ironicclient passes `--node` as typed.
const nodeIdent = z.string().refine((v) => isUuidLike(v) || isValidLogicalName(v), 'Expected a node UUID or name.');
/** Ironic takes null for a document and stores it empty. */
const document = jsonObject.nullable().transform((v) => v ?? {});

// Lengths are the columns' (Ironic's): longer is refused here, not by the database.
const connectorFields = {
  node_uuid: nodeIdent,
  type: z.enum(CONNECTOR_TYPES),
  connector_id: z.string().min(1).max(255),
  extra: document.optional().transform((v) => v ?? {}),
};
const targetFields = {
  node_uuid: nodeIdent,
  volume_type: z.string().min(1).max(64),
  volume_id: z.string().min(1).max(36),
  boot_index: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
  properties: document.optional().transform((v) => v ?? {}),
  extra: document.optional().transform((v) => v ?? {}),
};
const newUuid = uuid
  .nullable()
  .optional()
  .transform((v) => v ?? undefined);

/** What differs between connectors and targets, for the routes they share. */
interface VolumeKind<T extends VolumeItem> {
  collection: 'connectors' | 'targets';
  what: string;
  service: (ctx: ApiContext) => VolumeService<T>;
  sortKeys: readonly string[];
  versions: FieldVersions;
  listFields: readonly string[];
  serialize: (item: T, req: Request, minor: Minor, only?: readonly string[] | null) => Record<string, unknown>;
  createSchema: z.ZodType<VolumeItemCreate<T>>;
  /** The whole patchable document, as it must be after a PATCH. */
  updateSchema: z.ZodType<VolumeItemUpdate<T>>;
  patchable: readonly string[];
  /** Attributes a PATCH may replace but not remove. */
  mandatory: readonly string[];
  /** What a removed attribute becomes. */
  removedValue: (field: string) => unknown;
}

const CONNECTORS: VolumeKind<VolumeConnector> = {
  collection: 'connectors',
  what: 'volume connector',
  service: (ctx) => ctx.volumeConnectors,
  sortKeys: CONNECTOR_SORT_KEYS,
  versions: CONNECTOR_FIELD_VERSIONS,
  listFields: CONNECTOR_LIST_FIELDS,
  serialize: serializeConnector,
  createSchema: z.object({ uuid: newUuid, ...connectorFields }).strict(),
  updateSchema: z.object(connectorFields).strict(),
  patchable: ['node_uuid', 'type', 'connector_id', 'extra'],
  mandatory: ['node_uuid', 'type', 'connector_id'],
  removedValue: () => ({}),
};

const TARGETS: VolumeKind<VolumeTarget> = {
  collection: 'targets',
  what: 'volume target',
  service: (ctx) => ctx.volumeTargets,
  sortKeys: TARGET_SORT_KEYS,
  versions: TARGET_FIELD_VERSIONS,
  listFields: TARGET_LIST_FIELDS,
  serialize: serializeTarget,
  createSchema: z.object({ uuid: newUuid, ...targetFields }).strict(),
  updateSchema: z.object(targetFields).strict(),
  patchable: ['node_uuid', 'volume_type', 'volume_id', 'boot_index', 'properties', 'extra'],
  mandatory: ['node_uuid', 'volume_type', 'volume_id', 'boot_index'],
  removedValue: () => ({}),
};

/** Older versions do not see `/v1/volume` at all (404), as in Ironic. */
function volumeVersion(req: Request, _res: Response, next: NextFunction): void {
  requireEndpointMinor(req, VOLUME_MINOR);
  next();
}

/** `/v1/volume`: the links document, and the connectors and targets collections (API 1.32). */
export function volumeRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.use(volumeVersion);
  router.get('/', (req, res) => {
    res.json(volumeDocument(req, null));
  });
  router.use('/connectors', collectionRoutes(ctx, CONNECTORS));
  router.use('/targets', collectionRoutes(ctx, TARGETS));
  return router;
}

/** `GET /v1/nodes/{node}/volume[/connectors|/targets]`: the same, scoped to one node. */
export function nodeVolumeRoutes(ctx: ApiContext): Router {
  const router = Router({ mergeParams: true });
  router.use(volumeVersion);
  const nodeIdent = (req: Request) => String((req.params as Record<string, string>).ident);
  router.get('/', async (req, res) => {
    // Ironic's links name the node as the request did.
    await ctx.nodes.get(nodeIdent(req));
    res.json(volumeDocument(req, nodeIdent(req)));
  });
  router.get('/connectors', async (req, res) => {
    res.json(await listForNode(ctx, req, CONNECTORS, nodeIdent(req)));
  });
  router.get('/targets', async (req, res) => {
    res.json(await listForNode(ctx, req, TARGETS, nodeIdent(req)));
  });
  return router;
}

async function listForNode<T extends VolumeItem>(ctx: ApiContext, req: Request, kind: VolumeKind<T>, ident: string) {
  const node = await ctx.nodes.get(ident);
  return listItems(ctx, req, kind, `nodes/${ident}/volume/${kind.collection}`, node.id);
}

function collectionRoutes<T extends VolumeItem>(ctx: ApiContext, kind: VolumeKind<T>): Router {
  const router = Router();
  const service = kind.service(ctx);

  router.get('/', async (req, res) => {
    const nodeIdent = queryString(req.query.node);
    const nodeId = nodeIdent === undefined ? undefined : (await ctx.nodes.get(nodeIdent)).id;
    res.json(await listItems(ctx, req, kind, `volume/${kind.collection}`, nodeId));
  });

  router.post('/', async (req, res) => {
    const item = await service.create(parseInput(kind.createSchema, req.body, kind.what));
    res
      .status(201)
      .location(`/v1/volume/${kind.collection}/${item.uuid}`)
      .json(kind.serialize(item, req, req.apiMinor));
  });

  router.get('/:uuid', async (req, res) => {
    const fields = parseFields(req.query.fields, kind.versions, req.apiMinor);
    res.json(kind.serialize(await service.get(req.params.uuid), req, req.apiMinor, fields));
  });

  router.patch('/:uuid', async (req, res) => {
    const ops = parseInput(jsonPatchSchema, req.body, 'patch');
    const item = await service.update(req.params.uuid, (current) => {
      const doc: Record<string, unknown> = {};
      for (const field of kind.patchable) doc[field] = current[field as keyof T];
      return applyPatch(
        doc,
        ops,
        {
          patchable: kind.patchable,
          versions: kind.versions,
          mandatory: kind.mandatory,
          removedValue: kind.removedValue,
          secrets: {},
          schema: kind.updateSchema,
          what: kind.what,
        },
        req.apiMinor,
      );
    });
    res.json(kind.serialize(item, req, req.apiMinor));
  });

  router.delete('/:uuid', async (req, res) => {
    await service.delete(req.params.uuid);
    res.status(204).end();
  });

  return router;
}

/** A page of items, all or one node's, with Ironic's `detail` and `fields` and the `next` link. */
async function listItems<T extends VolumeItem>(
  ctx: ApiContext,
  req: Request,
  kind: VolumeKind<T>,
  path: string,
  nodeId: number | undefined,
) {
  const fields = parseFields(req.query.fields, kind.versions, req.apiMinor);
  const detail = parseBoolean(req.query.detail, 'detail') === true;
  if (fields && detail) throw new InvalidParameterValue("Can't fetch a subset of fields with 'detail' set");
  const page = parsePage(req, kind.sortKeys, ctx.config.api.maxLimit);
  const filter: VolumeFilter = nodeId === undefined ? {} : { node_id: nodeId };
  const items = await kind.service(ctx).list({ filter, ...page });
  const only = detail ? null : (fields ?? kind.listFields);
  const body: Record<string, unknown> = {
    [kind.collection]: items.map((item) => kind.serialize(item, req, req.apiMinor, only)),
  };
  const next = nextLink(
    req,
    path,
    page,
    items.map((item) => item.uuid),
  );
  if (next) body.next = next;
  return body;
}
