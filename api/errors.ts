import type { NextFunction, Request, Response } from 'express';
import { IpamError, type IpamErrorReason } from '../ipam/index.js';
import { databaseUnavailable } from '../services/db/index.js';
import { AnvilError, type ErrorKind } from '../services/errors.js';
import type { Logger } from '../services/logger.js';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  'not-acceptable': 406,
  conflict: 409,
  gone: 410,
  temporary: 503,
};

const IPAM_STATUS: Record<IpamErrorReason, number> = {
  invalid: 400,
  'not-found': 404,
  conflict: 409,
  exhausted: 409,
  busy: 503,
};

/**
 * Ironic's error body: `error_message` is itself a JSON *string* holding
 * faultcode, faultstring and debuginfo (ironicclient decodes it twice).
 */
export function sendError(res: Response, status: number, message: string): void {
  const fault = { faultcode: status >= 500 ? 'Server' : 'Client', faultstring: message, debuginfo: null };
  res
    .status(status)
    .type('application/json')
    .send(JSON.stringify({ error_message: JSON.stringify(fault) }));
}

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
  limit?: number;
  /** Set by http-errors, which the body parser raises its errors with: true for a client's mistake. */
  expose?: boolean;
}

/** The one place where errors become HTTP responses. */
export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof AnvilError) {
      sendError(res, STATUS[err.kind], err.message);
      return;
    }
    if (err instanceof IpamError) {
      sendError(res, IPAM_STATUS[err.reason], err.message);
      return;
    }
    const parser: BodyParserError = typeof err === 'object' && err !== null ? err : {};
    if (parser.type === 'entity.parse.failed') {
      sendError(res, 400, `The request body is not valid JSON: ${parser.message ?? ''}`.trim());
      return;
    }
    if (parser.type === 'entity.too.large') {
      sendError(res, 413, `The request body is larger than the limit of ${parser.limit ?? 0} bytes.`);
      return;
    }
    if (parser.type === 'encoding.unsupported' || parser.type === 'charset.unsupported') {
      sendError(res, 415, parser.message ?? 'Unsupported request encoding.');
      return;
    }
    // Any other refusal of the body parser keeps its status: a body that is not the gzip it says it is,
    // a body shorter than its Content-Length, a request aborted while it was read.
    if (parser.expose === true && parser.status !== undefined && parser.status >= 400 && parser.status < 500) {
      sendError(res, parser.status, `The request body could not be read: ${parser.message ?? 'unknown reason'}.`);
      return;
    }
    // express's router refuses a path parameter that is not valid percent-encoding with a URIError of status 400.
    if (err instanceof URIError && parser.status === 400) {
      sendError(res, 400, `The request path is not valid percent-encoding: ${err.message}.`);
      return;
    }
    const unavailable = databaseUnavailable(err);
    if (unavailable !== null) {
      log.warn({ err, req_id: req.id }, 'database unavailable');
      sendError(res, 503, unavailable);
      return;
    }
    log.error({ err, req_id: req.id }, 'unhandled error');
    sendError(res, 500, 'An internal error occurred; see the service log for details.');
  };
}
