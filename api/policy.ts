import type { Express } from 'express';
import { match } from 'path-to-regexp';
import type { Role } from '../services/auth/index.js';

/** Who may call a route: anyone (`public`), or a role and those above it. */
export type Access = 'public' | Role;
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface PolicyRule {
  method: Method;
  /** The route as express declares it, without a trailing slash. */
  path: string;
  access: Access;
}

const rule = (method: Method, path: string, access: Access): PolicyRule => ({ method, path, access });
const read = (path: string) => rule('GET', path, 'reader');
const operate = (method: Method, path: string) => rule(method, path, 'operator');
const vendorPassthru = (owner: string): PolicyRule[] => [
  rule('GET', `${owner}/vendor_passthru/methods`, 'admin'),
  ...(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).map((m) => rule(m, `${owner}/vendor_passthru`, 'admin')),
];

/**
 * Every route of the API and the least role that may use it, in one table
 * (Ironic's policy list, by route): `createApp` refuses to build an app with
 * a route missing here, and a test calls every entry as every role.
 */
export const POLICY: readonly PolicyRule[] = [
  // Version discovery and health, public as in Ironic; /metrics by setting (see Policy).
  rule('GET', '/', 'public'),
  rule('GET', '/healthz', 'public'),
  rule('GET', '/metrics', 'public'),
  rule('GET', '/v1', 'public'),
  // The web dashboard's files: the login page is one of them; its data comes from the API with the user's credentials.
  rule('GET', '/ui', 'public'),
  rule('GET', '/ui/*asset', 'public'),
  // The ramdisk agent's endpoints: public, guarded by the agent token.
  rule('GET', '/v1/lookup', 'public'),
  rule('POST', '/v1/heartbeat/:node', 'public'),
  rule('POST', '/v1/continue_inspection', 'public'),

  read('/v1/nodes'),
  read('/v1/nodes/detail'),
  operate('POST', '/v1/nodes'),
  read('/v1/nodes/:ident'),
  operate('PATCH', '/v1/nodes/:ident'),
  operate('DELETE', '/v1/nodes/:ident'),
  read('/v1/nodes/:ident/states'),
  operate('PUT', '/v1/nodes/:ident/states/provision'),
  operate('PUT', '/v1/nodes/:ident/states/power'),
  operate('PUT', '/v1/nodes/:ident/states/raid'),
  read('/v1/nodes/:ident/states/console'),
  read('/v1/nodes/states/console/:ident'),
  operate('PUT', '/v1/nodes/:ident/states/console'),
  read('/v1/nodes/:ident/validate'),
  operate('PUT', '/v1/nodes/:ident/maintenance'),
  operate('DELETE', '/v1/nodes/:ident/maintenance'),
  read('/v1/nodes/:ident/traits'),
  operate('PUT', '/v1/nodes/:ident/traits'),
  operate('DELETE', '/v1/nodes/:ident/traits'),
  operate('PUT', '/v1/nodes/:ident/traits/:trait'),
  operate('DELETE', '/v1/nodes/:ident/traits/:trait'),
  read('/v1/nodes/:ident/ports'),
  read('/v1/nodes/:ident/ports/detail'),
  read('/v1/nodes/:ident/portgroups'),
  read('/v1/nodes/:ident/portgroups/detail'),
  read('/v1/nodes/:ident/volume'),
  read('/v1/nodes/:ident/volume/connectors'),
  read('/v1/nodes/:ident/volume/targets'),
  read('/v1/nodes/:ident/history'),
  read('/v1/nodes/:ident/history/:event'),
  read('/v1/nodes/:ident/allocation'),
  operate('DELETE', '/v1/nodes/:ident/allocation'),
  read('/v1/nodes/:ident/management/boot_device'),
  operate('PUT', '/v1/nodes/:ident/management/boot_device'),
  read('/v1/nodes/:ident/management/boot_device/supported'),
  operate('PUT', '/v1/nodes/:ident/management/inject_nmi'),
  read('/v1/nodes/:ident/bios'),
  read('/v1/nodes/:ident/bios/:name'),
  read('/v1/nodes/:ident/firmware'),
  read('/v1/nodes/:ident/vmedia'),
  operate('POST', '/v1/nodes/:ident/vmedia'),
  operate('DELETE', '/v1/nodes/:ident/vmedia'),
  read('/v1/nodes/:ident/inventory'),
  // Ironic's baremetal:node:vendor_passthru is for admins: a subscription makes the BMC post anywhere.
  ...vendorPassthru('/v1/nodes/:ident'),

  read('/v1/ports'),
  read('/v1/ports/detail'),
  operate('POST', '/v1/ports'),
  read('/v1/ports/:ident'),
  operate('PATCH', '/v1/ports/:ident'),
  operate('DELETE', '/v1/ports/:ident'),

  read('/v1/portgroups'),
  read('/v1/portgroups/detail'),
  operate('POST', '/v1/portgroups'),
  read('/v1/portgroups/:ident'),
  operate('PATCH', '/v1/portgroups/:ident'),
  operate('DELETE', '/v1/portgroups/:ident'),
  read('/v1/portgroups/:ident/ports'),
  read('/v1/portgroups/:ident/ports/detail'),

  read('/v1/chassis'),
  read('/v1/chassis/detail'),
  operate('POST', '/v1/chassis'),
  read('/v1/chassis/:uuid'),
  operate('PATCH', '/v1/chassis/:uuid'),
  operate('DELETE', '/v1/chassis/:uuid'),
  read('/v1/chassis/:uuid/nodes'),
  read('/v1/chassis/:uuid/nodes/detail'),

  read('/v1/volume'),
  read('/v1/volume/connectors'),
  operate('POST', '/v1/volume/connectors'),
  read('/v1/volume/connectors/:uuid'),
  operate('PATCH', '/v1/volume/connectors/:uuid'),
  operate('DELETE', '/v1/volume/connectors/:uuid'),
  read('/v1/volume/targets'),
  operate('POST', '/v1/volume/targets'),
  read('/v1/volume/targets/:uuid'),
  operate('PATCH', '/v1/volume/targets/:uuid'),
  operate('DELETE', '/v1/volume/targets/:uuid'),

  read('/v1/allocations'),
  operate('POST', '/v1/allocations'),
  read('/v1/allocations/:ident'),
  operate('PATCH', '/v1/allocations/:ident'),
  operate('DELETE', '/v1/allocations/:ident'),

  read('/v1/deploy_templates'),
  read('/v1/deploy_templates/detail'),
  operate('POST', '/v1/deploy_templates'),
  read('/v1/deploy_templates/:ident'),
  operate('PATCH', '/v1/deploy_templates/:ident'),
  operate('DELETE', '/v1/deploy_templates/:ident'),

  read('/v1/inspection_rules'),
  operate('POST', '/v1/inspection_rules'),
  read('/v1/inspection_rules/:uuid'),
  operate('PATCH', '/v1/inspection_rules/:uuid'),
  operate('DELETE', '/v1/inspection_rules/:uuid'),

  read('/v1/drivers'),
  read('/v1/drivers/:name'),
  read('/v1/drivers/:name/properties'),
  read('/v1/drivers/:name/raid/logical_disk_properties'),
  ...vendorPassthru('/v1/drivers/:name'),

  read('/v1/conductors'),
  read('/v1/conductors/:hostname'),

  read('/v1/ipam/pools'),
  operate('POST', '/v1/ipam/pools'),
  read('/v1/ipam/pools/:pool'),
  operate('PATCH', '/v1/ipam/pools/:pool'),
  operate('DELETE', '/v1/ipam/pools/:pool'),
  read('/v1/ipam/pools/:pool/claims'),
  operate('POST', '/v1/ipam/pools/:pool/claims'),
  read('/v1/ipam/pools/:pool/claims/:claim'),
  operate('DELETE', '/v1/ipam/pools/:pool/claims/:claim'),
  read('/v1/ipam/addresses'),

  read('/v1/anvil/nodes/:ident/addresses'),
  operate('PUT', '/v1/anvil/nodes/:ident/addresses'),
  operate('DELETE', '/v1/anvil/nodes/:ident/addresses'),
  read('/v1/anvil/nodes/:ident/network_data'),
  read('/v1/anvil/machines'),
  operate('POST', '/v1/anvil/machines'),
  read('/v1/anvil/machines/:machine'),
  operate('PATCH', '/v1/anvil/machines/:machine'),
  operate('DELETE', '/v1/anvil/machines/:machine'),
  operate('POST', '/v1/anvil/machines/:machine/remediate'),

  read('/v1/anvil/whoami'),
  read('/v1/anvil/events'),
  read('/v1/anvil/events/stream'),

  // Tokens grant access: only admins see or make them.
  rule('GET', '/v1/anvil/tokens', 'admin'),
  rule('POST', '/v1/anvil/tokens', 'admin'),
  rule('GET', '/v1/anvil/tokens/:token', 'admin'),
  rule('DELETE', '/v1/anvil/tokens/:token', 'admin'),
];

/** A route as express holds it. */
export interface Route {
  method: string;
  path: string;
}

/** Where a request stands in the policy table. */
export class Policy {
  private readonly matchers: { rule: PolicyRule; matches: (path: string) => boolean }[];

  constructor(
    rules: readonly PolicyRule[],
    private readonly options: { metricsPublic: boolean },
  ) {
    this.matchers = rules.map((r) => {
      const m = match(r.path, { decode: false });
      return { rule: r, matches: (path: string) => m(path) !== false };
    });
  }

  /** The access a request needs; null for a path no route serves (it is then authenticated, and answered 404). */
  accessFor(method: string, path: string): Access | null {
    const wanted = method === 'HEAD' ? 'GET' : method;
    const found = this.matchers.find((m) => m.rule.method === wanted && m.matches(normalize(path)))?.rule;
    if (found === undefined) return null;
    if (found.path === '/metrics' && !this.options.metricsPublic) return 'reader';
    return found.access;
  }

  /** The methods some route serves `path` with, in the table's order; none for a path no route serves. */
  methodsFor(path: string): Method[] {
    const methods = this.matchers.filter((m) => m.matches(normalize(path))).map((m) => m.rule.method);
    return [...new Set(methods)];
  }
}

/** Every route an express app serves, with its full path. */
export function routesOf(app: Express): Route[] {
  const routes: Route[] = [];
  walk(app.router.stack, '', routes);
  return routes;
}

/** Refuses an app whose routes the table does not cover exactly, so no route is ever served without a rule. */
export function checkPolicyCovers(app: Express, rules: readonly PolicyRule[]): void {
  const declared = new Set(rules.map((r) => `${r.method} ${r.path}`));
  const served = new Set(routesOf(app).map((r) => `${r.method} ${r.path}`));
  const missing = [...served].filter((r) => !declared.has(r));
  const stale = [...declared].filter((r) => !served.has(r));
  if (missing.length > 0 || stale.length > 0) {
    throw new Error(
      `the API's policy table does not match its routes: no rule for ${missing.join(', ') || 'none'}; no route for ${stale.join(', ') || 'none'}`,
    );
  }
}

/** Express (router 2) keeps each layer's declared path in `rawPath`, and a mounted router's layers in `handle.stack`. */
function walk(stack: readonly unknown[], prefix: string, out: Route[]): void {
  for (const layer of stack) {
    if (typeof layer !== 'object' || layer === null) continue;
    const { route, handle, rawPath } = layer as { route?: unknown; handle?: unknown; rawPath?: unknown };
    if (isRoute(route)) {
      const path = normalize(`${prefix}${route.path}`);
      for (const [method, on] of Object.entries(route.methods))
        if (on && method !== '_all') out.push({ method: method.toUpperCase(), path });
    } else if (typeof handle === 'function' && 'stack' in handle && Array.isArray(handle.stack)) {
      walk(handle.stack as unknown[], `${prefix}${typeof rawPath === 'string' && rawPath !== '/' ? rawPath : ''}`, out);
    }
  }
}

function isRoute(value: unknown): value is { path: string; methods: Record<string, boolean> } {
  return typeof value === 'object' && value !== null && 'path' in value && 'methods' in value;
}

/** A path as the table writes it: no trailing slash but for the root. */
function normalize(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
