import { Router, type Request } from 'express';
import { InvalidParameterValue } from '../../services/errors.js';
import type { HistoryEntry } from '../../services/events/index.js';
import { isUuidLike } from '../../services/nodes/index.js';
import type { ApiContext } from '../context.js';
import { requireEndpointMinor } from '../microversion.js';
import { baseUrl, resourceLinks } from '../serializers/links.js';
import { parseBoolean, queryString } from '../validation.js';

/** `GET /v1/nodes/{node}/history[/{event}]` (API 1.78). */
export function nodeHistoryRoutes(ctx: ApiContext): Router {
  const router = Router({ mergeParams: true });
  router.use((req, _res, next) => {
    requireEndpointMinor(req, 78);
    next();
  });

  const view = (req: Request, nodeUuid: string, e: HistoryEntry, detail: boolean) => {
    const out: Record<string, unknown> = {
      uuid: e.uuid,
      created_at: e.created_at,
      severity: e.severity,
      event: e.event,
      links: resourceLinks(req, 'nodes', nodeUuid, `/history/${e.uuid}`),
    };
    if (detail) Object.assign(out, { event_type: e.event_type, conductor: e.conductor, user: e.user });
    return out;
  };

  router.get('/', async (req, res) => {
    const node = await ctx.nodes.get(String((req.params as Record<string, string>).ident));
    const detail = parseBoolean(req.query.detail, 'detail') ?? false;
    const rawLimit = queryString(req.query.limit);
    const limit = rawLimit === undefined ? ctx.config.api.maxLimit : Number(rawLimit);
    if (!Number.isInteger(limit) || limit <= 0) throw new InvalidParameterValue('Limit must be a positive integer');
    const marker = queryString(req.query.marker);
    if (marker !== undefined && !isUuidLike(marker))
      throw new InvalidParameterValue(`Invalid marker ${marker}: expected a UUID.`);
    const entries = await ctx.history.list(node.id, Math.min(limit, ctx.config.api.maxLimit), marker);
    const body: Record<string, unknown> = { history: entries.map((e) => view(req, node.uuid, e, detail)) };
    if (entries.length === Math.min(limit, ctx.config.api.maxLimit)) {
      const last = entries[entries.length - 1]!;
      body.next = `${baseUrl(req)}/v1/nodes/${node.uuid}/history?limit=${limit}&marker=${last.uuid}${detail ? '&detail=True' : ''}`;
    }
    res.json(body);
  });

  router.get('/:event', async (req, res) => {
    const node = await ctx.nodes.get(String((req.params as Record<string, string>).ident));
    res.json(view(req, node.uuid, await ctx.history.get(node.id, String(req.params.event)), true));
  });

  return router;
}
