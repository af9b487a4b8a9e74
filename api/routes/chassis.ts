import { Router, type Request } from 'express';
import { z } from 'zod';
import { CHASSIS_PATCHABLE_FIELDS, CHASSIS_SORT_KEYS, type Chassis } from '../../services/chassis/index.js';
import { InvalidParameterValue, NotAcceptable } from '../../services/errors.js';
import { isUuidLike } from '../../services/nodes/index.js';
import type { ApiContext } from '../context.js';
import { applyPatch, jsonPatchSchema } from '../json-patch.js';
import { nextLink, parsePage } from '../pagination.js';
import { CHASSIS_FIELD_VERSIONS, CHASSIS_LIST_FIELDS, serializeChassis } from '../serializers/chassis.js';
import { parseFields } from '../serializers/fields.js';
import { asText, jsonObject, parseBoolean, parseInput } from '../validation.js';
import { listNodes, sendJson } from './nodes.js';

const writable = {
  description: z.string().max(255, 'Must be at most 255 characters.').nullable().optional(),
  // Ironic takes null for "none"; Anvil keeps an empty object then, as it does for every JSON attribute.
  extra: jsonObject
    .nullable()
    .optional()
    .transform((v) => (v === null ? {} : v)),
};

const chassisCreateSchema = z
  .object({ uuid: z.string().refine(isUuidLike, 'Expected a UUID.').nullable().optional(), ...writable })
  .strict();
const chassisUpdateSchema = z.object(writable).strict();

export function chassisRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.json(await listChassis(ctx, req, false));
  });

  router.get('/detail', async (req, res) => {
    res.json(await listChassis(ctx, req, true));
  });

  router.post('/', async (req, res) => {
    const { uuid, ...rest } = parseInput(chassisCreateSchema, req.body, 'chassis');
    const chassis = await ctx.chassis.create({ ...rest, ...(uuid ? { uuid } : {}) });
    res
      .status(201)
      .location(`/v1/chassis/${chassis.uuid}`)
      .json(serializeChassis(chassis, req, req.apiMinor));
  });

  router.get('/:uuid', async (req, res) => {
    const fields = chassisFields(req);
    res.json(serializeChassis(await ctx.chassis.get(req.params.uuid), req, req.apiMinor, fields));
  });

  router.patch('/:uuid', async (req, res) => {
    const ops = parseInput(jsonPatchSchema, req.body, 'patch');
    const chassis = await ctx.chassis.update(req.params.uuid, (current) =>
      applyPatch(
        patchableView(current),
        ops,
        {
          patchable: CHASSIS_PATCHABLE_FIELDS,
          versions: CHASSIS_FIELD_VERSIONS,
          mandatory: [],
          removedValue: (field) => (field === 'extra' ? {} : null),
          secrets: {},
          schema: chassisUpdateSchema,
          what: 'chassis',
        },
        req.apiMinor,
      ),
    );
    res.json(serializeChassis(chassis, req, req.apiMinor));
  });

  router.delete('/:uuid', async (req, res) => {
    await ctx.chassis.delete(req.params.uuid);
    res.status(204).end();
  });

  // The node listing, scoped to the chassis: 404 for a chassis that does not exist.
  const scope = async (req: Request<{ uuid: string }>) => {
    const chassis = await ctx.chassis.get(req.params.uuid);
    return { chassis_uuid: chassis.uuid, path: `chassis/${chassis.uuid}/nodes` };
  };
  router.get('/:uuid/nodes', async (req, res) => {
    sendJson(res, await listNodes(ctx, req, false, await scope(req)));
  });
  router.get('/:uuid/nodes/detail', async (req, res) => {
    sendJson(res, await listNodes(ctx, req, true, await scope(req)));
  });

  return router;
}

/** `GET /v1/chassis[/detail]`: Ironic's list shows uuid and description; detail or `?detail=true` (1.43) all fields. */
async function listChassis(ctx: ApiContext, req: Request, detail: boolean) {
  let wantsDetail = detail;
  let fields: string[] | null = null;
  if (!detail) {
    const detailParam = parseBoolean(req.query.detail, 'detail');
    // Ironic's wording and status: 400, not 406, for ?detail before 1.43.
    if (detailParam !== undefined && req.apiMinor < 43)
      throw new InvalidParameterValue(`Invalid query parameter ?detail=${asText(req.query.detail)} received.`);
    wantsDetail = detailParam === true;
    fields = chassisFields(req);
    if (fields && wantsDetail)
      throw new InvalidParameterValue('Can not specify ?detail=True and fields in the same request.');
  } else if (req.query.fields !== undefined || req.query.detail !== undefined) {
    throw new InvalidParameterValue('The fields and detail parameters are not allowed on /chassis/detail.');
  }
  const page = parsePage(req, CHASSIS_SORT_KEYS, ctx.config.api.maxLimit);
  const chassis = await ctx.chassis.list(page);
  const only = wantsDetail ? null : (fields ?? CHASSIS_LIST_FIELDS);
  const body: Record<string, unknown> = {
    chassis: chassis.map((c) => serializeChassis(c, req, req.apiMinor, only)),
  };
  const next = nextLink(
    req,
    detail ? 'chassis/detail' : 'chassis',
    page,
    chassis.map((c) => c.uuid),
  );
  if (next) body.next = next;
  return body;
}

/** `?fields=`, which Ironic takes from 1.8. */
function chassisFields(req: Request): string[] | null {
  if (req.query.fields !== undefined && req.apiMinor < 8) {
    throw new NotAcceptable(
      `The fields parameter requires API version 1.8 or later; the request used 1.${req.apiMinor}.`,
    );
  }
  return parseFields(req.query.fields, CHASSIS_FIELD_VERSIONS, req.apiMinor);
}

function patchableView(chassis: Chassis): Record<string, unknown> {
  return { description: chassis.description, extra: chassis.extra };
}
