import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { decideAuthRefused } from '../faults/index.js';
import { ROOT, type SimContext } from './context.js';
import { RedfishFault } from './errors.js';
import { hostNameOf } from './gate.js';

/** Resources DSP0266 lets anyone read, and the login itself. */
function isPublic(req: Request): boolean {
  const path = req.path.replace(/\/+$/, '');
  if (req.method === 'GET' && (path === '/redfish' || path === ROOT || path === `${ROOT}/odata`)) return true;
  return req.method === 'POST' && path === `${ROOT}/SessionService/Sessions`;
}

export function credentialsMatch(ctx: SimContext, username: unknown, password: unknown): boolean {
  if (typeof username !== 'string' || typeof password !== 'string') return false;
  return safeEqual(username, ctx.credentials.username) && safeEqual(password, ctx.credentials.password);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function unauthorized(res: Response): RedfishFault {
  res.set('WWW-Authenticate', 'Basic realm="Anvil Redfish simulator"');
  return new RedfishFault(401, 'NoValidSession', 'There is no valid session established with the implementation.');
}

/** X-Auth-Token from a session, or HTTP basic, on every non-public resource. */
export function authenticate(ctx: SimContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (isPublic(req)) {
      next();
      return;
    }
    const refused = decideAuthRefused(ctx.faults.forHost(hostNameOf(req.path)));
    const token = req.get('X-Auth-Token');
    if (!refused && token !== undefined && ctx.sessionsEnabled && ctx.sessions.use(token)) {
      next();
      return;
    }
    const header = req.get('Authorization');
    if (!refused && token === undefined && header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0 && credentialsMatch(ctx, decoded.slice(0, colon), decoded.slice(colon + 1))) {
        next();
        return;
      }
      ctx.refusedLogins++;
    }
    throw unauthorized(res);
  };
}
