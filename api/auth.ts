import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthenticationFailed, roleAllows, type Authenticator, type Principal } from '../services/auth/index.js';
import { actingAs } from '../services/events/index.js';
import type { Metrics } from '../services/metrics.js';
import { sendError } from './errors.js';
import { sourceOf, type FailureThrottle } from './failure-throttle.js';
import type { Policy } from './policy.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Who made the request; anonymous for public routes and with auth `none`. */
    principal: Principal;
  }
}

const PUBLIC: Principal = { name: 'anonymous', role: 'reader' };

export interface AccessControl {
  authenticator: Authenticator;
  policy: Policy;
  /** Slows a source down after repeated failed logins, without locking the user out elsewhere. */
  throttle: FailureThrottle;
  metrics: Metrics;
}

/**
 * Authentication and the policy table, before any route runs: 401 with a
 * challenge for missing or bad credentials, 403 for a role too low. The rest
 * of the request runs as its principal, so node history records who asked.
 */
export function accessControl(access: AccessControl): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const needed = access.policy.accessFor(req.method, req.path) ?? 'reader';
    if (needed === 'public') {
      req.principal = PUBLIC;
      next();
      return;
    }
    void admit(access, req, res, needed).then(
      (principal) => {
        if (principal === null) return;
        req.principal = principal;
        // Without authentication nobody is known: history records no user, as Ironic's noauth does.
        if (access.authenticator.mode === 'none') next();
        else actingAs(principal.name, next);
      },
      (err: unknown) => next(err),
    );
  };
}

async function admit(
  access: AccessControl,
  req: Request,
  res: Response,
  needed: Principal['role'],
): Promise<Principal | null> {
  const source = sourceOf(req.socket.remoteAddress);
  await access.throttle.delayFor(source);
  let principal: Principal;
  try {
    principal = await access.authenticator.authenticate({
      authorization: req.headers.authorization,
      xAuthToken: req.get('x-auth-token'),
    });
  } catch (err) {
    if (!(err instanceof AuthenticationFailed)) throw err;
    access.metrics.authFailures.inc({ reason: err.reason });
    // A request without credentials is a client asking for the challenge, not an attack.
    if (err.reason !== 'missing') access.throttle.failed(source);
    const challenge = access.authenticator.challenge();
    // A browser answers a Basic challenge to a script's request with its own login box (and, headless,
    // leaves the request hanging): a page's script (X-Requested-With, as the dashboard sends) gets none,
    // and reads the mode from X-Anvil-Auth instead to show its own login.
    const fromScript = req.get('x-requested-with')?.toLowerCase() === 'xmlhttprequest';
    if (challenge !== null && !fromScript) res.setHeader('WWW-Authenticate', challenge);
    res.setHeader('X-Anvil-Auth', access.authenticator.mode);
    sendError(res, 401, err.message);
    return null;
  }
  access.throttle.succeeded(source);
  if (!roleAllows(principal.role, needed)) {
    sendError(
      res,
      403,
      `Access was denied: ${req.method} ${req.path} needs the ${needed} role; ${principal.name} is ${principal.role}.`,
    );
    return null;
  }
  return principal;
}
