import { Router } from 'express';
import { link, ROOT, sendResource, type SimContext } from '../context.js';

export function serviceRootRoutes(ctx: SimContext, serviceUuid: string): Router {
  const router = Router();
  router.get('/redfish', (_req, res) => {
    res.json({ v1: `${ROOT}/` });
  });
  router.get(ROOT, (_req, res) => {
    sendResource(res, {
      '@odata.type': '#ServiceRoot.v1_15_0.ServiceRoot',
      '@odata.id': `${ROOT}/`,
      Id: 'RootService',
      Name: 'Anvil Redfish simulator',
      RedfishVersion: '1.17.0',
      UUID: serviceUuid,
      Vendor: 'Anvil',
      Product: 'anvil-sim',
      Systems: link(`${ROOT}/Systems`),
      Managers: link(`${ROOT}/Managers`),
      Chassis: link(`${ROOT}/Chassis`),
      AccountService: link(`${ROOT}/AccountService`),
      EventService: link(`${ROOT}/EventService`),
      UpdateService: link(`${ROOT}/UpdateService`),
      TaskService: link(`${ROOT}/TaskService`),
      Registries: link(`${ROOT}/Registries`),
      ...(ctx.sessionsEnabled
        ? {
            SessionService: link(`${ROOT}/SessionService`),
            Links: { Sessions: link(`${ROOT}/SessionService/Sessions`) },
          }
        : { Links: {} }),
    });
  });
  router.get(`${ROOT}/odata`, (_req, res) => {
    res.json({
      '@odata.context': `${ROOT}/$metadata`,
      value: [
        'Systems',
        'Managers',
        'Chassis',
        'AccountService',
        'EventService',
        'UpdateService',
        'TaskService',
        'Registries',
        ...(ctx.sessionsEnabled ? ['SessionService'] : []),
      ].map((name) => ({ name, kind: 'Singleton', url: `${ROOT}/${name}` })),
    });
  });
  return router;
}
