import { Router } from 'express';
import type { ApiContext } from '../context.js';

/**
 * `GET /v1/anvil/whoami`: who the credentials sent are and what they may do,
 * so a client (the dashboard) offers only the actions the policy lets
 * through. With authentication off everyone is an anonymous admin.
 */
export function whoamiRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get('/', (req, res) => {
    res.json({ name: req.principal.name, role: req.principal.role, auth: ctx.access.authenticator.mode });
  });
  return router;
}
