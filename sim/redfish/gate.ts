import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { decidePowerDrift, decideRequest } from '../faults/index.js';
import type { SimContext } from './context.js';
import { RedfishFault, sendFault } from './errors.js';

const HOST_PATHS: RegExp[] = [
  /^\/redfish\/v1\/(?:Systems|Managers|Chassis)\/([^/]+)/,
  // FirmwareInventory and Task ids are `<host>.<local id>`.
  /^\/redfish\/v1\/UpdateService\/FirmwareInventory\/([^/]+)\.[^./]+\/?$/,
  /^\/redfish\/v1\/TaskService\/(?:Tasks|TaskMonitors)\/([^/]+)\.[^./]+\/?$/,
];

/** The host a Redfish path belongs to, or null for service-level resources. */
export function hostNameOf(path: string): string | null {
  for (const pattern of HOST_PATHS) {
    const match = pattern.exec(path);
    if (match?.[1] !== undefined) {
      try {
        return decodeURIComponent(match[1]);
      } catch {
        return null;
      }
    }
  }
  return null;
}

export interface Gate {
  handler: RequestHandler;
  /** Cancels pending latency timers so the server can close promptly. */
  stop: () => void;
}

/**
 * Stands between the network and the routes, as the BMC's own firmware does:
 * counts commands per host, then applies the faults in force (hang, error,
 * latency, power drift) before the request goes further.
 */
export function createGate(ctx: SimContext): Gate {
  const timers = new Set<NodeJS.Timeout>();
  const handler = (req: Request, res: Response, next: NextFunction): void => {
    const name = hostNameOf(req.path);
    const host = name === null ? undefined : ctx.fleet.get(name);
    if (host) {
      const end = host.beginCommand(`${req.method} ${req.path}`);
      res.once('close', end);
    }
    const faults = ctx.faults.forHost(host ? host.name : null);
    const verdict = decideRequest(faults, ctx.random);
    if (verdict.kind === 'hang') return; // the socket stays open until the client or close() gives up
    if (verdict.kind === 'error') {
      sendFault(
        res,
        verdict.status === 503
          ? new RedfishFault(503, 'ServiceTemporarilyUnavailable', 'The service is temporarily unavailable.')
          : new RedfishFault(500, 'InternalError', 'The request failed due to an internal service error.'),
      );
      return;
    }
    const proceed = (): void => {
      if (host && decidePowerDrift(faults, ctx.random)) host.drift();
      next();
    };
    if (verdict.delayMs <= 0) {
      proceed();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) proceed();
    }, verdict.delayMs);
    timers.add(timer);
  };
  return {
    handler,
    stop: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
