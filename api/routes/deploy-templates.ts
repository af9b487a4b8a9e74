import { Router, type Request } from 'express';
import { z } from 'zod';
import {
  DEPLOY_STEP_INTERFACES,
  DEPLOY_TEMPLATE_PATCHABLE_FIELDS,
  DEPLOY_TEMPLATE_SORT_KEYS,
  type DeployTemplate,
} from '../../services/deploy-templates/index.js';
import { InvalidParameterValue } from '../../services/errors.js';
import { isUuidLike } from '../../services/nodes/index.js';
import type { ApiContext } from '../context.js';
import { sendError } from '../errors.js';
import { applyPatch, jsonPatchSchema } from '../json-patch.js';
import { requireEndpointMinor } from '../microversion.js';
import { nextLink, parsePage } from '../pagination.js';
import {
  DEPLOY_TEMPLATE_FIELD_VERSIONS,
  DEPLOY_TEMPLATE_LIST_FIELDS,
  serializeDeployTemplate,
} from '../serializers/deploy-template.js';
import { parseFields } from '../serializers/fields.js';
import { jsonObject, parseBoolean, parseInput } from '../validation.js';

/** The API version that brought deploy templates. */
const SINCE = 55;

const PRIORITY = 'A priority is an integer of 0 or more.';

const step = z
  .object({
    interface: z.enum(DEPLOY_STEP_INTERFACES),
    step: z.string().min(1, 'A step needs a name.'),
    args: jsonObject,
    // Ironic takes a priority as an integer or a string of digits, and keeps the integer.
    priority: z.preprocess(
      (v) => (typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v),
      z.number({ error: PRIORITY }).int(PRIORITY).min(0, PRIORITY),
    ),
  })
  .strict();

const name = z.string().max(255);
const steps = z.array(step);

const createSchema = z
  .object({
    uuid: z.string().refine(isUuidLike, 'Expected a UUID.').nullable().optional(),
    name,
    steps,
    extra: jsonObject.nullable().optional(),
  })
  .strict();

const updateSchema = z.object({ name, steps, extra: jsonObject }).strict();

/** `/v1/deploy_templates` (API 1.55). */
export function deployTemplateRoutes(ctx: ApiContext): Router {
  const router = Router();
  // As Ironic: an older version does not see the collection (404), nor may it write there (405).
  router.use((req, res, next) => {
    if (req.apiMinor >= SINCE) next();
    else if (req.method === 'GET' || req.method === 'HEAD') requireEndpointMinor(req, SINCE);
    else sendError(res, 405, 'The API version does not allow deploy templates');
  });

  router.get('/', async (req, res) => {
    res.json(await listTemplates(ctx, req, 'deploy_templates', false));
  });

  router.get('/detail', async (req, res) => {
    res.json(await listTemplates(ctx, req, 'deploy_templates/detail', true));
  });

  router.post('/', async (req, res) => {
    const template = await ctx.deployTemplates.create(parseInput(createSchema, req.body, 'deploy template'));
    res
      .status(201)
      .location(`/v1/deploy_templates/${template.uuid}`)
      .json(serializeDeployTemplate(template, req, req.apiMinor));
  });

  router.get('/:ident', async (req, res) => {
    const fields = parseFields(req.query.fields, DEPLOY_TEMPLATE_FIELD_VERSIONS, req.apiMinor);
    res.json(serializeDeployTemplate(await ctx.deployTemplates.get(req.params.ident), req, req.apiMinor, fields));
  });

  router.patch('/:ident', async (req, res) => {
    const ops = parseInput(jsonPatchSchema, req.body, 'patch');
    const template = await ctx.deployTemplates.update(req.params.ident, (current) =>
      applyPatch(
        patchableView(current),
        ops,
        {
          patchable: DEPLOY_TEMPLATE_PATCHABLE_FIELDS,
          versions: DEPLOY_TEMPLATE_FIELD_VERSIONS,
          mandatory: ['name', 'steps'],
          removedValue: () => ({}),
          // Step arguments are shown masked, so a patch may not read them either.
          secrets: { steps: [] },
          schema: updateSchema,
          what: 'deploy template',
        },
        req.apiMinor,
      ),
    );
    res.json(serializeDeployTemplate(template, req, req.apiMinor));
  });

  router.delete('/:ident', async (req, res) => {
    await ctx.deployTemplates.delete(req.params.ident);
    res.status(204).end();
  });

  return router;
}

async function listTemplates(ctx: ApiContext, req: Request, path: string, detail: boolean) {
  const fields = parseFields(req.query.fields, DEPLOY_TEMPLATE_FIELD_VERSIONS, req.apiMinor);
  const wantsDetail = detail || parseBoolean(req.query.detail, 'detail') === true;
  if (fields && wantsDetail)
    throw new InvalidParameterValue('Can not specify ?detail=True and fields in the same request.');
  const page = parsePage(req, DEPLOY_TEMPLATE_SORT_KEYS, ctx.config.api.maxLimit);
  const templates = await ctx.deployTemplates.list(page);
  const only = wantsDetail ? null : (fields ?? DEPLOY_TEMPLATE_LIST_FIELDS);
  const body: Record<string, unknown> = {
    deploy_templates: templates.map((t) => serializeDeployTemplate(t, req, req.apiMinor, only)),
  };
  const next = nextLink(
    req,
    path,
    page,
    templates.map((t) => t.uuid),
  );
  if (next) body.next = next;
  return body;
}

/** What a patch sees: the attributes it may change, with step arguments as stored. */
function patchableView(template: DeployTemplate): Record<string, unknown> {
  return { name: template.name, steps: template.steps, extra: template.extra };
}
