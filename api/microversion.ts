import type { NextFunction, Request, Response } from 'express';
import { NotAcceptable, NotFound } from '../services/errors.js';

/** A microversion `1.N`, kept as its minor number: comparisons are then plain `<`. */
export type Minor = number;

export const MIN_MINOR: Minor = 1;
export const MAX_MINOR: Minor = 110;
export const MIN_VERSION = `1.${MIN_MINOR}`;
export const MAX_VERSION = `1.${MAX_MINOR}`;

declare module 'express-serve-static-core' {
  interface Request {
    /** The negotiated microversion's minor number. */
    apiMinor: Minor;
  }
}

/** A version a request asks for, and the header it was asked in (named in an error about it). */
export interface RequestedVersion {
  header: 'OpenStack-API-Version' | 'X-OpenStack-Ironic-API-Version';
  version: string;
}

/**
 * The version a request asks for: `OpenStack-API-Version: baremetal 1.N` is
 * preferred, then the legacy `X-OpenStack-Ironic-API-Version`. No header means
 * the minimum, as in Ironic; `latest` means the maximum.
 */
export function requestedVersion(headers: Request['headers']): RequestedVersion | null {
  const modern = headerValue(headers['openstack-api-version']);
  if (modern !== null) {
    for (const part of modern.split(',')) {
      const [service, version] = part.trim().split(/\s+/);
      if (service?.toLowerCase() === 'baremetal' && version !== undefined) {
        return { header: 'OpenStack-API-Version', version };
      }
    }
  }
  const legacy = headerValue(headers['x-openstack-ironic-api-version']);
  return legacy === null ? null : { header: 'X-OpenStack-Ironic-API-Version', version: legacy };
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

export function negotiate(requested: RequestedVersion | null): Minor {
  if (requested === null) return MIN_MINOR;
  const text = requested.version.trim();
  if (text.toLowerCase() === 'latest') return MAX_MINOR;
  const m = /^(\d+)\.(\d+)$/.exec(text);
  if (!m) throw new NotAcceptable(`Invalid value for ${requested.header} header: ${text}`);
  const minor = Number(m[2]);
  if (m[1] !== '1' || minor < MIN_MINOR || minor > MAX_MINOR) {
    throw new NotAcceptable(
      `Version ${text} was requested but the minor version is not supported by this service. ` +
        `The supported version range is: [${MIN_VERSION}, ${MAX_VERSION}].`,
    );
  }
  return minor;
}

/** Sets the three version headers first, so that every response carries them, errors included. */
export function microversionMiddleware(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-OpenStack-Ironic-API-Minimum-Version', MIN_VERSION);
  res.setHeader('X-OpenStack-Ironic-API-Maximum-Version', MAX_VERSION);
  res.setHeader('X-OpenStack-Ironic-API-Version', MIN_VERSION);
  try {
    req.apiMinor = negotiate(requestedVersion(req.headers));
  } catch (err) {
    next(err);
    return;
  }
  res.setHeader('X-OpenStack-Ironic-API-Version', `1.${req.apiMinor}`);
  next();
}

/** 406 unless the request's version is at least 1.`minor`. */
export function requireMinor(req: Request, minor: Minor, what: string): void {
  if (req.apiMinor < minor) {
    throw new NotAcceptable(`${what} requires API version 1.${minor} or later; the request used 1.${req.apiMinor}.`);
  }
}

/** 404 unless the request's version is at least 1.`minor`: older clients do not see newer endpoints. */
export function requireEndpointMinor(req: Request, minor: Minor): void {
  if (req.apiMinor < minor) throw new NotFound('The resource could not be found.');
}
