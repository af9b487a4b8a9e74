import type { Request } from 'express';
import type { ClaimView, PoolUsage, PoolView } from '../../ipam/index.js';
import { baseUrl } from './links.js';

/** A count as JSON: a number while it is exact in a double, else a decimal string (an IPv6 /64 holds 2^64). */
function count(n: bigint): number | string {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

function links(req: Request, path: string) {
  const base = baseUrl(req);
  return [
    { href: `${base}/v1/${path}`, rel: 'self' },
    { href: `${base}/${path}`, rel: 'bookmark' },
  ];
}

export function serializePool(view: PoolView, req: Request, usage: PoolUsage | null = null) {
  const { record } = view;
  const body: Record<string, unknown> = {
    uuid: record.uuid,
    name: record.name,
    family: record.family,
    ...record.spec,
    created_at: record.created_at,
    updated_at: record.updated_at,
    links: links(req, `ipam/pools/${encodeURIComponent(record.name)}`),
  };
  if (usage) body.usage = { size: count(usage.size), allocated: usage.allocated, free: count(usage.free) };
  return body;
}

export function serializeClaim(claim: ClaimView, req: Request) {
  const r = claim.record;
  return {
    uuid: r.uuid,
    name: r.name,
    pool: r.pool,
    owner: r.owner,
    requested_address: r.requested_address,
    address: claim.address,
    prefix: claim.prefix,
    gateway: claim.gateway,
    dns_servers: claim.dns_servers,
    created_at: r.created_at,
    links: links(req, `ipam/pools/${encodeURIComponent(r.pool)}/claims/${encodeURIComponent(r.name)}`),
  };
}

export function serializeAddress(claim: ClaimView) {
  const r = claim.record;
  return {
    uuid: r.address_uuid,
    address: claim.address,
    family: claim.family,
    prefix: claim.prefix,
    gateway: claim.gateway,
    dns_servers: claim.dns_servers,
    pool: r.pool,
    claim: r.name,
    claim_uuid: r.uuid,
    owner: r.owner,
    created_at: r.created_at,
  };
}
