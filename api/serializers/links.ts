import type { Request } from 'express';

/** The service's public base URL as the client reached it, without a trailing slash. */
export function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

export function resourceLinks(req: Request, collection: string, id: string, suffix = '') {
  return resourceLinksAt(baseUrl(req), collection, id, suffix);
}

/** resourceLinks with the base URL already read: many resources of one answer share it. */
export function resourceLinksAt(base: string, collection: string, id: string, suffix = '') {
  return [
    { href: `${base}/v1/${collection}/${id}${suffix}`, rel: 'self' },
    { href: `${base}/${collection}/${id}${suffix}`, rel: 'bookmark' },
  ];
}
