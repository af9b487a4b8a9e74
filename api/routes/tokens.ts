import { Router } from 'express';
import { z } from 'zod';
import { ROLES, type ApiToken } from '../../services/auth/index.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../validation.js';

const tokenCreateSchema = z
  .object({
    role: z.enum(ROLES),
    description: z.string().max(255).optional(),
    /** Seconds until the token expires; none: it never does. */
    expires_in: z
      .number()
      .int()
      .positive()
      .max(10 * 365 * 86_400)
      .optional(),
  })
  .strict();

/** `/v1/anvil/tokens`: bearer tokens for `ANVIL_AUTH=token`; the secret is shown once, in the answer to create. */
export function tokenRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    res.json({ tokens: (await ctx.tokens.list()).map(serializeToken) });
  });

  router.post('/', async (req, res) => {
    const spec = parseInput(tokenCreateSchema, req.body, 'token');
    const { token, secret } = await ctx.tokens.create({
      role: spec.role,
      ...(spec.description === undefined ? {} : { description: spec.description }),
      ...(spec.expires_in === undefined ? {} : { expiresInSeconds: spec.expires_in }),
    });
    ctx.log.info({ token: token.uuid, role: token.role, by: req.principal.name }, 'API token created');
    res.status(201).json({ ...serializeToken(token), token: secret });
  });

  router.get('/:token', async (req, res) => {
    res.json(serializeToken(await ctx.tokens.get(req.params.token)));
  });

  router.delete('/:token', async (req, res) => {
    const token = await ctx.tokens.revoke(req.params.token);
    ctx.log.info({ token: token.uuid, by: req.principal.name }, 'API token revoked');
    res.status(204).end();
  });

  return router;
}

function serializeToken(token: ApiToken) {
  return {
    uuid: token.uuid,
    role: token.role,
    description: token.description,
    created_at: token.created_at,
    expires_at: token.expires_at,
    revoked_at: token.revoked_at,
  };
}
