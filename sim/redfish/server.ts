import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { FaultBook, type RandomSource } from '../faults/index.js';
import type { Clock, Fleet } from '../host/index.js';
import { authenticate } from './auth.js';
import { BiosRegistries } from './bios-registries.js';
import type { SimContext } from './context.js';
import { RedfishFault, sendFault } from './errors.js';
import { DEFAULT_DELIVERY, EventSubscriptions, type DeliveryOptions } from './events.js';
import { createGate } from './gate.js';
import { accountServiceRoutes } from './routes/account-service.js';
import { biosRoutes } from './routes/bios.js';
import { chassisRoutes } from './routes/chassis.js';
import { CONTROL_ROOT, controlRoutes } from './routes/control.js';
import { eventServiceRoutes } from './routes/event-service.js';
import { managerRoutes } from './routes/managers.js';
import { memoryRoutes } from './routes/memory.js';
import { registryRoutes } from './routes/registries.js';
import { serviceRootRoutes } from './routes/service-root.js';
import { sessionServiceRoutes } from './routes/session-service.js';
import { storageRoutes } from './routes/storage.js';
import { systemPartRoutes } from './routes/system-parts.js';
import { systemRoutes } from './routes/systems.js';
import { taskServiceRoutes } from './routes/task-service.js';
import { updateServiceRoutes } from './routes/update-service.js';
import { SessionStore } from './sessions.js';

export interface RedfishSimOptions {
  fleet: Fleet;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port, read it back from `port`. */
  port?: number;
  /** One account for the whole service, as sushy-tools has. Default admin/password. */
  credentials?: { username: string; password: string };
  /** Serve https with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Offer a SessionService; without it clients must use basic auth. Default true. */
  sessions?: boolean;
  sessionTimeoutSeconds?: number;
  /** How long a SimpleUpdate task runs. Default 2000 ms. */
  firmwareUpdateMs?: number;
  /** How events are sent to subscribers: retries, their interval, the deadline of one POST. */
  eventDelivery?: Partial<DeliveryOptions>;
  faults?: FaultBook;
  random?: RandomSource;
  clock?: Clock;
}

export interface RedfishSim {
  /** e.g. `http://127.0.0.1:41234`, without a trailing slash. */
  url: string;
  port: number;
  fleet: Fleet;
  faults: FaultBook;
  sessions: SessionStore;
  close(): Promise<void>;
}

const REDFISH_PREFIX = '/redfish';

function onlyRedfish(handler: (req: Request, res: Response, next: NextFunction) => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.path === REDFISH_PREFIX || req.path.startsWith(`${REDFISH_PREFIX}/`)) handler(req, res, next);
    else next();
  };
}

/** body-parser marks its errors with `type` and an HTTP `status`. */
function parserError(err: unknown): { type: string; status: number } | null {
  if (typeof err !== 'object' || err === null) return null;
  const { type, status } = err as { type?: unknown; status?: unknown };
  return typeof type === 'string' && typeof status === 'number' ? { type, status } : null;
}

function toFault(err: unknown): RedfishFault {
  if (err instanceof RedfishFault) return err;
  const parsed = parserError(err);
  if (parsed?.type === 'entity.parse.failed') {
    return new RedfishFault(
      400,
      'MalformedJSON',
      'The request body submitted was malformed JSON and could not be parsed by the receiving service.',
    );
  }
  if (parsed && parsed.status >= 400 && parsed.status < 500) {
    return new RedfishFault(parsed.status, 'GeneralError', `The request body was refused (${parsed.type}).`);
  }
  return new RedfishFault(500, 'InternalError', 'The request failed due to an internal service error.');
}

function buildRedfishApp(ctx: SimContext): { app: express.Express; stop: () => void } {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const json = express.json({ type: () => true, limit: '1mb' });
  const gate = createGate(ctx);

  app.use(CONTROL_ROOT, json);
  app.use(controlRoutes(ctx));
  app.use(onlyRedfish(gate.handler));
  app.use(onlyRedfish(authenticate(ctx)));
  app.use(json);
  app.use(serviceRootRoutes(ctx, randomUUID()));
  if (ctx.sessionsEnabled) app.use(sessionServiceRoutes(ctx));
  app.use(systemRoutes(ctx));
  app.use(systemPartRoutes(ctx));
  app.use(memoryRoutes(ctx));
  app.use(chassisRoutes(ctx));
  app.use(storageRoutes(ctx));
  app.use(biosRoutes(ctx));
  app.use(registryRoutes(ctx));
  app.use(managerRoutes(ctx));
  app.use(updateServiceRoutes(ctx));
  app.use(taskServiceRoutes(ctx));
  app.use(accountServiceRoutes(ctx));
  app.use(eventServiceRoutes(ctx));
  app.use((req: Request) => {
    throw new RedfishFault(404, 'ResourceNotFound', `The resource at ${req.path} was not found.`);
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendFault(res, toFault(err));
  });
  return { app, stop: gate.stop };
}

/** Starts one HTTP(S) endpoint serving the Redfish tree of every host of the fleet. */
export async function startRedfishSim(options: RedfishSimOptions): Promise<RedfishSim> {
  const clock = options.clock ?? Date.now;
  const sessions = new SessionStore(options.sessionTimeoutSeconds ?? 1800, clock);
  const faults = options.faults ?? new FaultBook();
  const events = new EventSubscriptions(clock, { ...DEFAULT_DELIVERY, ...options.eventDelivery });
  const ctx: SimContext = {
    fleet: options.fleet,
    faults,
    sessions,
    sessionsEnabled: options.sessions ?? true,
    credentials: options.credentials ?? { username: 'admin', password: 'password' },
    refusedLogins: 0,
    random: options.random ?? Math.random,
    clock,
    firmwareUpdateMs: options.firmwareUpdateMs ?? 2000,
    events,
    biosRegistries: new BiosRegistries(options.fleet),
  };
  const { app, stop } = buildRedfishApp(ctx);
  const server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, app)
    : http.createServer(app);
  const bind = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  events.watch(options.fleet);
  const port = (server.address() as AddressInfo).port;
  const hostPart = bind.includes(':') ? `[${bind}]` : bind;
  return {
    url: `${options.tls ? 'https' : 'http'}://${hostPart}:${port}`,
    port,
    fleet: options.fleet,
    faults,
    sessions,
    close: async () => {
      stop();
      events.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Hung requests (the hang fault) and idle keep-alive sockets would hold close() forever.
      server.closeAllConnections();
      await closed;
    },
  };
}
