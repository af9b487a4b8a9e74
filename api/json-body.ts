import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { InvalidParameterValue } from '../services/errors.js';
import { sendError } from './errors.js';

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The deepest JSON document the API takes, counting each object or array as
 * a level. Ironic reads bodies with Python's json module, which gives up at
 * its recursion limit (about 1,000 levels); the documents its clients send
 * (nodes, inventories, deploy steps, patches) are under 10. 100 is ten times
 * what anyone sends, and far below the depth at which serializing, cloning
 * or validating a document (all recursive) would run out of stack.
 */
export const MAX_JSON_DEPTH = 100;

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * Reads a request's JSON body into `req.body`. A body that says it is
 * something else is refused with 415; one that says nothing is read as JSON,
 * as Ironic reads it. What a client sends must then be a JSON object or
 * array, no deeper than MAX_JSON_DEPTH: anything else is refused with 400
 * before a route sees it.
 */
export function jsonBody(): RequestHandler[] {
  return [
    refuseOtherMediaTypes,
    express.json({ limit: MAX_BODY_BYTES, type: () => true, strict: false }),
    checkDocument,
  ];
}

/** Methods whose body the API reads; others (a DELETE from python-ironicclient says application/octet-stream) are not judged by it. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function refuseOtherMediaTypes(req: Request, res: Response, next: NextFunction): void {
  const type = req.headers['content-type'];
  // An empty body (Content-Length: 0) needs no type, whatever it is labelled.
  const empty = req.headers['content-length'] === '0' && req.headers['transfer-encoding'] === undefined;
  if (type !== undefined && BODY_METHODS.has(req.method) && !empty && req.is(JSON_TYPES) === false) {
    sendError(res, 415, `The request body must be JSON (Content-Type: application/json), not ${type}.`);
    return;
  }
  next();
}

function checkDocument(req: Request, _res: Response, next: NextFunction): void {
  // Undefined: there was no body to read.
  const body: unknown = req.body;
  if (body === undefined) {
    next();
    return;
  }
  if (body === null || typeof body !== 'object') {
    const expected = req.method === 'PATCH' ? 'a JSON list of patch operations' : 'a JSON object';
    next(new InvalidParameterValue(`The request body must be ${expected}, not ${describe(body)}.`));
    return;
  }
  try {
    checkJsonDepth(body, 'The request body');
  } catch (err) {
    next(err);
    return;
  }
  next();
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}

/**
 * Refuses a document nested deeper than MAX_JSON_DEPTH. Walks it with a
 * stack of its own, so that a document of any depth is measured without
 * recursion. `what` names it in the error.
 */
export function checkJsonDepth(document: unknown, what: string): void {
  const pending: [unknown, number][] = [[document, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, depth] = next;
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > MAX_JSON_DEPTH) {
      throw new InvalidParameterValue(`${what} is nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays.`);
    }
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
}
