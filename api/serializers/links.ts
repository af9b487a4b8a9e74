import type { Request } from 'express';

/** The service's public base URL as the client reached it, without a trailing slash. */
export function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

export function resourceLinks(req: Request, collection: string, id: string, suffix = '') {
  const base = baseUrl(req);
  return [
    { href: `${base}/v1/${collection}/${id}${suffix}`, rel: 'self' },
    { href: `${base}/${collection}/${id}${suffix}`, rel: 'bookmark' },
  ];
}
