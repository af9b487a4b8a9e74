import { Router, type Request } from 'express';
import {
  INSPECTION_RULE_PATCHABLE_FIELDS,
  INSPECTION_RULE_SORT_KEYS,
  type InspectionRuleFields,
} from '../../services/inspection-rules/index.js';
import { InvalidParameterValue } from '../../services/errors.js';
import type { ApiContext } from '../context.js';
import { sendError } from '../errors.js';
import { applyPatch, jsonPatchSchema } from '../json-patch.js';
import { nextLink, parsePage } from '../pagination.js';
import { parseFields } from '../serializers/fields.js';
import {
  INSPECTION_RULE_FIELD_VERSIONS,
  INSPECTION_RULE_LIST_FIELDS,
  serializeInspectionRule,
} from '../serializers/inspection-rule.js';
import { jsonObject, parseBoolean, parseInput, queryString } from '../validation.js';

/** The API version that brought inspection rules. */
const SINCE = 96;
const TOO_OLD = 'The API version does not allow inspection rules';

/** The query parameters Ironic's schemas allow; any other is refused. */
const LIST_QUERY = ['detail', 'fields', 'marker', 'limit', 'phase', 'sort_dir', 'sort_key'];
const SHOW_QUERY = ['fields'];
/** Ironic's patch schema allows no operation that reads the rule (a sensitive rule's actions stay unread). */
const PATCH_OPS = ['add', 'replace', 'remove'];

/** Where a removed attribute returns to. */
const REMOVED: Readonly<Record<string, unknown>> = {
  description: null,
  priority: 0,
  phase: 'main',
  sensitive: false,
  conditions: [],
};

function checkQuery(req: Request, allowed: readonly string[]): void {
  const unknown = Object.keys(req.query).filter((k) => !allowed.includes(k));
  if (unknown.length === 0) return;
  const names = unknown.map((k) => `'${k}'`).join(', ');
  throw new InvalidParameterValue(
    `Schema error: Additional properties are not allowed (${names} ${unknown.length === 1 ? 'was' : 'were'} unexpected)`,
  );
}

/** `/v1/inspection_rules` (API 1.96). */
export function inspectionRuleRoutes(ctx: ApiContext): Router {
  const router = Router();
  // As Ironic: an older version does not see the collection (404), nor may it write there (405).
  router.use((req, res, next) => {
    if (req.apiMinor >= SINCE) next();
    else sendError(res, req.method === 'GET' || req.method === 'HEAD' ? 404 : 405, TOO_OLD);
  });

  router.get('/', async (req, res) => {
    checkQuery(req, LIST_QUERY);
    const fields = parseFields(req.query.fields, INSPECTION_RULE_FIELD_VERSIONS, req.apiMinor);
    const detail = parseBoolean(req.query.detail, 'detail') === true;
    if (fields && detail)
      throw new InvalidParameterValue('Can not specify ?detail=True and fields in the same request.');
    const page = parsePage(req, INSPECTION_RULE_SORT_KEYS, ctx.config.api.maxLimit);
    const rules = await ctx.inspectionRules.list(page, queryString(req.query.phase) ?? null);
    const only = detail ? null : (fields ?? INSPECTION_RULE_LIST_FIELDS);
    const body: Record<string, unknown> = {
      inspection_rules: rules.map((r) => serializeInspectionRule(r, req, req.apiMinor, only)),
    };
    const next = nextLink(
      req,
      'inspection_rules',
      page,
      rules.map((r) => r.uuid),
    );
    if (next) body.next = next;
    res.json(body);
  });

  router.post('/', async (req, res) => {
    const rule = await ctx.inspectionRules.create(req.body);
    res
      .status(201)
      .location(`/v1/inspection_rules/${rule.uuid}`)
      .json(serializeInspectionRule(rule, req, req.apiMinor));
  });

  router.get('/:uuid', async (req, res) => {
    checkQuery(req, SHOW_QUERY);
    const fields = parseFields(req.query.fields, INSPECTION_RULE_FIELD_VERSIONS, req.apiMinor);
    res.json(serializeInspectionRule(await ctx.inspectionRules.get(req.params.uuid), req, req.apiMinor, fields));
  });

  router.patch('/:uuid', async (req, res) => {
    const ops = parseInput(jsonPatchSchema, req.body, 'patch');
    const refused = ops.find((op) => !PATCH_OPS.includes(op.op));
    if (refused) {
      throw new InvalidParameterValue(
        `Schema error: '${refused.op}' is not one of [${PATCH_OPS.map((o) => `'${o}'`).join(', ')}]`,
      );
    }
    const rule = await ctx.inspectionRules.update(req.params.uuid, (current) =>
      applyPatch(
        patchableView(current),
        ops,
        {
          patchable: INSPECTION_RULE_PATCHABLE_FIELDS,
          versions: INSPECTION_RULE_FIELD_VERSIONS,
          mandatory: ['actions'],
          removedValue: (field) => REMOVED[field] ?? null,
          secrets: {},
          // The rule's own checks follow in the service, with Ironic's messages.
          schema: jsonObject,
          what: 'inspection rule',
        },
        req.apiMinor,
      ),
    );
    res.json(serializeInspectionRule(rule, req, req.apiMinor));
  });

  router.delete('/:uuid', async (req, res) => {
    await ctx.inspectionRules.delete(req.params.uuid);
    res.status(204).end();
  });

  return router;
}

function patchableView(rule: InspectionRuleFields): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const key of INSPECTION_RULE_PATCHABLE_FIELDS) view[key] = rule[key];
  return view;
}
