import type { Request, Response } from 'express';
import type { FaultBook, RandomSource } from '../faults/index.js';
import type { Clock, Fleet, SimHost } from '../host/index.js';
import type { BiosRegistries } from './bios-registries.js';
import { RedfishFault } from './errors.js';
import { etagOf } from './etag.js';
import type { EventSubscriptions } from './events.js';
import type { SessionStore } from './sessions.js';

/** What every route of the Redfish face shares. */
export interface SimContext {
  fleet: Fleet;
  faults: FaultBook;
  sessions: SessionStore;
  /** false when the service offers no SessionService (basic auth only). */
  sessionsEnabled: boolean;
  credentials: { username: string; password: string };
  /** Logins and basic-auth requests refused for credentials that did not match, so a test sees a client retrying a dead password. */
  refusedLogins: number;
  random: RandomSource;
  clock: Clock;
  firmwareUpdateMs: number;
  events: EventSubscriptions;
  biosRegistries: BiosRegistries;
}

export const ROOT = '/redfish/v1';

export function systemUri(host: SimHost): string {
  return `${ROOT}/Systems/${encodeURIComponent(host.name)}`;
}

export function managerUri(host: SimHost): string {
  return `${ROOT}/Managers/${encodeURIComponent(host.name)}`;
}

export function chassisUri(host: SimHost): string {
  return `${ROOT}/Chassis/${encodeURIComponent(host.name)}`;
}

export function link(uri: string): { '@odata.id': string } {
  return { '@odata.id': uri };
}

export function hostOr404(ctx: SimContext, name: string | string[] | undefined, what: string): SimHost {
  const host = typeof name === 'string' ? ctx.fleet.get(name) : undefined;
  if (!host) throw new RedfishFault(404, 'ResourceNotFound', `The requested ${what} was not found.`);
  return host;
}

/** Sends one resource with its ETag, as every Redfish GET should. */
export function sendResource(res: Response, body: object, status = 200): void {
  res.status(status).set('OData-Version', '4.0').set('ETag', etagOf(body)).set('Cache-Control', 'no-cache').json(body);
}

export function collection(uri: string, name: string, type: string, members: string[]): object {
  return {
    '@odata.id': uri,
    '@odata.type': `#${type}.${type}`,
    Name: name,
    'Members@odata.count': members.length,
    Members: members.map(link),
  };
}

/**
 * The request body as a JSON object. An absent body is an empty object; any
 * other JSON value (array, number, string) is refused.
 */
export function bodyObject(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new RedfishFault(400, 'UnrecognizedRequestBody', 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}
