import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { pinoHttp } from 'pino-http';
import { accessControl } from './auth.js';
import type { ApiContext } from './context.js';
import { errorHandler, sendError } from './errors.js';
import { jsonBody } from './json-body.js';
import { microversionMiddleware } from './microversion.js';
import { checkPolicyCovers, POLICY, type Policy } from './policy.js';
import { allocationRoutes, nodeAllocationRoutes } from './routes/allocations.js';
import { chassisRoutes } from './routes/chassis.js';
import { conductorRoutes } from './routes/conductors.js';
import { deployTemplateRoutes } from './routes/deploy-templates.js';
import { driverRoutes } from './routes/drivers.js';
import { eventRoutes } from './routes/events.js';
import { inspectionRuleRoutes } from './routes/inspection-rules.js';
import { ipamRoutes } from './routes/ipam.js';
import { machineRoutes } from './routes/machines.js';
import { nodeActionRoutes } from './routes/node-actions.js';
import { nodeAddressRoutes } from './routes/node-addresses.js';
import { nodeConsoleRoutes } from './routes/node-console.js';
import { nodeHardwareRoutes } from './routes/node-hardware.js';
import { nodeHistoryRoutes } from './routes/node-history.js';
import { nodeRaidRoutes } from './routes/node-raid.js';
import { driverVendorPassthruRoutes, nodeVendorPassthruRoutes } from './routes/node-vendor-passthru.js';
import { nodeRoutes } from './routes/nodes.js';
import { ramdiskRoutes } from './routes/ramdisk.js';
import { nodePortgroupRoutes, portgroupRoutes } from './routes/portgroups.js';
import { nodePortRoutes, portgroupPortRoutes, portRoutes } from './routes/ports.js';
import { rootDocument, v1Routes } from './routes/root.js';
import { tokenRoutes } from './routes/tokens.js';
import { builtUiDir, uiRoutes } from './routes/ui.js';
import { nodeVolumeRoutes, volumeRoutes } from './routes/volume.js';
import { whoamiRoutes } from './routes/whoami.js';

export function createApp(ctx: ApiContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: ctx.log,
      genReqId: (_req, res) => {
        const id = `req-${randomUUID()}`;
        // Ironic's request-id middleware sends both: OpenStack-Request-Id since long ago, and
        // X-OpenStack-Request-Id (the common OpenStack name) since 1.107; neither depends on the request's version.
        res.setHeader('X-OpenStack-Request-Id', id);
        res.setHeader('OpenStack-Request-Id', id);
        return id;
      },
      // Bodies are never logged: they carry BMC credentials.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    }),
  );
  app.use(measure(ctx));
  app.use(unversioned);
  // Before the body is read: a caller without the right credentials costs no parsing.
  app.use(accessControl(ctx.access));
  app.use(jsonBody());

  app.get('/', (req, res) => {
    res.json(rootDocument(req));
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  const v1 = express.Router();
  v1.use(microversionMiddleware);
  v1.use('/', v1Routes());
  v1.use('/nodes', nodeRoutes(ctx));
  v1.use('/nodes', nodeActionRoutes(ctx));
  v1.use('/nodes', nodeConsoleRoutes(ctx));
  v1.use('/nodes', nodeRaidRoutes(ctx));
  v1.use('/nodes/:ident/ports', nodePortRoutes(ctx));
  v1.use('/nodes/:ident/portgroups', nodePortgroupRoutes(ctx));
  v1.use('/nodes/:ident/volume', nodeVolumeRoutes(ctx));
  v1.use('/nodes/:ident/history', nodeHistoryRoutes(ctx));
  v1.use('/nodes/:ident/allocation', nodeAllocationRoutes(ctx));
  v1.use('/nodes/:ident', nodeHardwareRoutes(ctx));
  v1.use('/nodes/:ident', nodeVendorPassthruRoutes(ctx));
  v1.use('/allocations', allocationRoutes(ctx));
  v1.use('/deploy_templates', deployTemplateRoutes(ctx));
  v1.use('/inspection_rules', inspectionRuleRoutes(ctx));
  v1.use('/ports', portRoutes(ctx));
  v1.use('/portgroups/:ident/ports', portgroupPortRoutes(ctx));
  v1.use('/portgroups', portgroupRoutes(ctx));
  v1.use('/chassis', chassisRoutes(ctx));
  v1.use('/volume', volumeRoutes(ctx));
  v1.use('/drivers', driverRoutes(ctx));
  v1.use('/drivers/:name', driverVendorPassthruRoutes());
  v1.use('/conductors', conductorRoutes(ctx));
  v1.use('/ipam', ipamRoutes(ctx));
  v1.use('/', ramdiskRoutes(ctx));
  v1.use('/anvil/nodes/:ident', nodeAddressRoutes(ctx));
  v1.use('/anvil/tokens', tokenRoutes(ctx));
  v1.use('/anvil/machines', machineRoutes(ctx));
  v1.use('/anvil/events', eventRoutes(ctx));
  v1.use('/anvil/whoami', whoamiRoutes(ctx));
  app.use('/v1', v1);
  app.use(uiRoutes(ctx.config.api.uiDir ?? builtUiDir()));

  app.use(unmatched(ctx.access.policy));
  app.use(errorHandler(ctx.log));
  checkPolicyCovers(app, POLICY);
  return app;
}

/** The first path segments served under `/v1`, from the policy table (which checkPolicyCovers holds equal to the routes). */
const V1_RESOURCES = new Set(
  POLICY.flatMap((rule) => {
    const resource = /^\/v1\/([^/]+)/.exec(rule.path)?.[1];
    return resource === undefined ? [] : [resource];
  }),
);

/**
 * Ironic serves a path without the version as the default version's
 * (`/nodes/x` is `/v1/nodes/x`), and bookmark links, Anvil's as Ironic's,
 * point there. Such a path is rewritten onto `/v1` before access control and
 * routing, so one route table and one policy table serve both; `/`,
 * `/healthz`, `/metrics` and any other top-level path are left alone.
 */
function unversioned(req: Request, _res: Response, next: NextFunction): void {
  // Routing is case-insensitive (express's default), so this is too.
  const resource = /^\/([^/?]+)/.exec(req.url)?.[1]?.toLowerCase();
  if (resource !== undefined && V1_RESOURCES.has(resource)) req.url = `/v1${req.url}`;
  next();
}

/**
 * A request no route took: 405 with `Allow` when the path is served with
 * other methods (`PUT /v1/nodes`), as Ironic answers; 404 otherwise. Express
 * answers HEAD wherever it answers GET, so `Allow` says so too.
 */
function unmatched(policy: Policy) {
  return (req: Request, res: Response) => {
    const methods: string[] = policy.methodsFor(req.path);
    const allowed = methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
    if (allowed.length > 0 && !allowed.includes(req.method)) {
      res.setHeader('Allow', allowed.join(', '));
      sendError(res, 405, `The method ${req.method} is not allowed for ${req.path}; it allows ${allowed.join(', ')}.`);
      return;
    }
    sendError(res, 404, `The resource could not be found: ${req.method} ${req.path}`);
  };
}

/** The matched route's pattern (`/v1/nodes/:node`), or `unmatched`; express types `req.route` as any. */
function routePattern(req: Request): string {
  const route: unknown = req.route;
  if (typeof route !== 'object' || route === null || !('path' in route)) return 'unmatched';
  return `${req.baseUrl}${String(route.path)}`;
}

/** Records each request's duration under its route pattern, so paths with ids do not explode the label set. */
function measure(ctx: ApiContext) {
  return (req: Request, res: Response, next: NextFunction) => {
    const stop = ctx.metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      const route = routePattern(req);
      stop({ route, status: String(res.statusCode) });
    });
    next();
  };
}
