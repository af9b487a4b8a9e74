import { Router } from 'express';
import { decideAuthRefused } from '../../faults/index.js';
import { credentialsMatch } from '../auth.js';
import { bodyObject, collection, ROOT, sendResource, type SimContext } from '../context.js';
import { RedfishFault } from '../errors.js';
import type { SimSession } from '../sessions.js';

const SERVICE = `${ROOT}/SessionService`;
const SESSIONS = `${SERVICE}/Sessions`;

function sessionBody(session: SimSession): object {
  return {
    '@odata.type': '#Session.v1_7_0.Session',
    '@odata.id': `${SESSIONS}/${session.id}`,
    Id: session.id,
    Name: `Session of ${session.username}`,
    UserName: session.username,
    CreatedTime: new Date(session.createdAt).toISOString(),
  };
}

export function sessionServiceRoutes(ctx: SimContext): Router {
  const router = Router();
  router.get(SERVICE, (_req, res) => {
    sendResource(res, {
      '@odata.type': '#SessionService.v1_1_9.SessionService',
      '@odata.id': SERVICE,
      Id: 'SessionService',
      Name: 'Session Service',
      ServiceEnabled: true,
      SessionTimeout: ctx.sessions.timeoutSeconds,
      Sessions: { '@odata.id': SESSIONS },
    });
  });
  router.get(SESSIONS, (_req, res) => {
    sendResource(
      res,
      collection(
        SESSIONS,
        'Sessions',
        'SessionCollection',
        ctx.sessions.list().map((s) => `${SESSIONS}/${s.id}`),
      ),
    );
  });
  router.post(SESSIONS, (req, res) => {
    const body = bodyObject(req);
    for (const key of ['UserName', 'Password']) {
      if (body[key] === undefined) {
        throw new RedfishFault(400, 'ActionParameterMissing', `The property ${key} is required to create a session.`, [
          `#/${key}`,
        ]);
      }
    }
    if (decideAuthRefused(ctx.faults.forHost(null)) || !credentialsMatch(ctx, body.UserName, body.Password)) {
      ctx.refusedLogins++;
      throw new RedfishFault(401, 'NoValidSession', 'The credentials supplied were not accepted.');
    }
    const session = ctx.sessions.create(String(body.UserName));
    res.status(201).set('X-Auth-Token', session.token).set('Location', `${SESSIONS}/${session.id}`);
    sendResource(res, sessionBody(session), 201);
  });
  router.get(`${SESSIONS}/:id`, (req, res) => {
    const session = ctx.sessions.get(req.params.id);
    if (!session) throw new RedfishFault(404, 'ResourceNotFound', 'The requested session was not found.');
    sendResource(res, sessionBody(session));
  });
  router.delete(`${SESSIONS}/:id`, (req, res) => {
    if (!ctx.sessions.delete(req.params.id))
      throw new RedfishFault(404, 'ResourceNotFound', 'The requested session was not found.');
    res.status(204).end();
  });
  return router;
}
