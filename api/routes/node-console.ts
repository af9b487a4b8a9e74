import { Router, type Request, type Response } from 'express';
import { consoleInfo } from '../../services/drivers/index.js';
import type { ApiContext } from '../context.js';
import { baseUrl } from '../serializers/links.js';
import { parseInput } from '../validation.js';
import { consoleSchema } from './node-schemas.js';

/**
 * A node's console: whether it is enabled and how to reach it, and turning
 * it on or off, which the owning conductor carries out (202).
 */
export function nodeConsoleRoutes(ctx: ApiContext): Router {
  const router = Router();

  const show = async (req: Request, res: Response) => {
    const node = await ctx.nodes.get(String(req.params.ident));
    // Ironic asks the interface only once the console is on: a disabled one is `null` whatever the interface.
    res.json(
      node.console_enabled
        ? { console_enabled: true, console_info: consoleInfo(node) }
        : { console_enabled: false, console_info: null },
    );
  };
  router.get('/:ident/states/console', show);
  // Ironic's controller tree also answers here, and tempest's client asks here.
  router.get('/states/console/:ident', show);

  router.put('/:ident/states/console', async (req, res) => {
    const body = parseInput(consoleSchema, req.body, 'console request');
    const node = await ctx.nodes.get(req.params.ident);
    await ctx.intake.setConsole(node, body.enabled);
    res
      .status(202)
      .location(`${baseUrl(req)}/v1/nodes/${node.uuid}/states/console`)
      .end();
  });

  return router;
}
