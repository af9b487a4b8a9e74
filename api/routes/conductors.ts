import { Router } from 'express';
import { CONDUCTOR_SORT_KEYS } from '../../services/conductor/index.js';
import { HARDWARE_TYPES } from '../../services/drivers/index.js';
import { InvalidParameterValue } from '../../services/errors.js';
import type { ApiContext } from '../context.js';
import { requireEndpointMinor } from '../microversion.js';
import { nextLink, parsePage } from '../pagination.js';
import { CONDUCTOR_FIELD_VERSIONS, CONDUCTOR_LIST_FIELDS, serializeConductor } from '../serializers/conductor.js';
import { parseFields } from '../serializers/fields.js';
import { parseBoolean } from '../validation.js';

/**
 * `/v1/conductors` (API 1.49): every conductor that registered, the dead ones
 * with `alive: false`, as Ironic lists them. There is no `/detail` path and no
 * filter: `detail=true` or `fields=` choose what each entry shows.
 */
export function conductorRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.use((req, _res, next) => {
    requireEndpointMinor(req, 49);
    next();
  });
  // Every Anvil conductor runs the same hardware types (server/core.ts), the ones the intake hands work for.
  const drivers = HARDWARE_TYPES.map((t) => t.name)
    .filter((name) => ctx.intake.supports(name))
    .sort();

  router.get('/', async (req, res) => {
    const detail = parseBoolean(req.query.detail, 'detail');
    const fields = parseFields(req.query.fields, CONDUCTOR_FIELD_VERSIONS, req.apiMinor);
    if (fields && detail === true)
      throw new InvalidParameterValue('Can not specify ?detail=True and fields in the same request.');
    const page = parsePage(req, CONDUCTOR_SORT_KEYS, ctx.config.api.maxLimit, 'name');
    const conductors = await ctx.conductors.list(page);
    const only = detail === true ? null : (fields ?? CONDUCTOR_LIST_FIELDS);
    const body: Record<string, unknown> = {
      conductors: conductors.map((c) => serializeConductor(c, drivers, req, req.apiMinor, only)),
    };
    const next = nextLink(
      req,
      'conductors',
      page,
      conductors.map((c) => c.hostname),
    );
    if (next) body.next = next;
    res.json(body);
  });

  router.get('/:hostname', async (req, res) => {
    const fields = parseFields(req.query.fields, CONDUCTOR_FIELD_VERSIONS, req.apiMinor);
    const conductor = await ctx.conductors.get(req.params.hostname);
    res.json(serializeConductor(conductor, drivers, req, req.apiMinor, fields));
  });

  return router;
}
