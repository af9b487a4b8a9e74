import { Router } from 'express';
import { NotFound, UnsupportedDriverExtension } from '../../services/errors.js';
import type { ApiContext } from '../context.js';
import { requireMinor } from '../microversion.js';
import { jsonObject, parseInput } from '../validation.js';

/** `PUT /v1/nodes/{id}/states/raid`: the RAID configuration the node's next RAID clean or deploy step builds. */
export function nodeRaidRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.put('/:ident/states/raid', async (req, res) => {
    const node = await ctx.nodes.get(req.params.ident);
    requireMinor(req, 12, 'Setting the target RAID configuration');
    const config = parseInput(jsonObject, req.body, 'target_raid_config');
    try {
      await ctx.nodes.setTargetRaidConfig(node.uuid, config);
    } catch (err) {
      // As Ironic: RAID is a standard interface some drivers lack, so its absence is a 404 here.
      if (err instanceof UnsupportedDriverExtension) throw new NotFound(err.message);
      throw err;
    }
    res.status(204).end();
  });

  return router;
}
