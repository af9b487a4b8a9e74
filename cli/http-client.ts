import { readFileSync } from 'node:fs';
import { Agent, fetch, type Response } from 'undici';
import { ApiError, Unreachable, UsageError } from './errors.js';
import type { Credentials } from './settings.js';

/** Every request asks for Anvil's newest microversion, so every field and endpoint is there. */
const API_VERSION = '1.110';
const REQUEST_TIMEOUT_MS = 60_000;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A JSON Patch (RFC 6902) operation, as Anvil's PATCH endpoints take them. */
export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** Anvil's REST API over HTTP: JSON in and out, Ironic error bodies turned into ApiError. */
export class AnvilClient {
  private readonly authorization: string | null;
  private readonly dispatcher: Agent | undefined;

  constructor(
    readonly baseUrl: string,
    credentials: Credentials = null,
    /** PEM CA certificates to trust for https, besides the system's. */
    cacert: string | null = null,
  ) {
    this.authorization =
      credentials === null
        ? null
        : credentials.kind === 'token'
          ? `Bearer ${credentials.token}`
          : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    this.dispatcher = cacert === null ? undefined : new Agent({ connect: { ca: readCa(cacert) } });
  }

  /** `signal`: the caller gives up (Ctrl-C while following), besides the request's own timeout. */
  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, undefined, signal);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  patch<T>(path: string, ops: PatchOp[]): Promise<T> {
    return this.request<T>('PATCH', path, ops);
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }

  /** GET that answers null for a 404, for lookups where absence is an answer. */
  async find<T>(path: string): Promise<T | null> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }

  /** Every item of a paginated listing, following `next` links. */
  async listAll<T>(path: string, key: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | null = path;
    // Bounded: a server that keeps answering `next` cannot keep the CLI forever.
    for (let page = 0; next !== null && page < 10_000; page++) {
      const body: Record<string, unknown> = await this.get<Record<string, unknown>>(next);
      const batch = body[key];
      if (!Array.isArray(batch)) throw new ApiError(200, `unexpected answer from ${path}: no "${key}" list`);
      items.push(...(batch as T[]));
      next = typeof body.next === 'string' && batch.length > 0 ? relativeTo(this.baseUrl, body.next) : null;
    }
    return items;
  }

  async request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = {
      'X-OpenStack-Ironic-API-Version': API_VERSION,
      Accept: 'application/json',
    };
    if (this.authorization !== null) headers.Authorization = this.authorization;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal:
          signal === undefined
            ? AbortSignal.timeout(REQUEST_TIMEOUT_MS)
            : AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        ...(this.dispatcher === undefined ? {} : { dispatcher: this.dispatcher }),
      });
    } catch (err) {
      throw new Unreachable(`cannot reach Anvil at ${this.baseUrl}: ${networkReason(err)}`);
    }
    const text = await res.text();
    if (!res.ok) throw new ApiError(res.status, faultOf(res.status, text));
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(
        res.status,
        `Anvil at ${this.baseUrl} answered ${method} ${path} with something that is not JSON`,
      );
    }
  }
}

/** Ironic's body: `error_message` is a JSON string holding faultstring; anything else is shown as it came. */
function faultOf(status: number, text: string): string {
  let faultstring: string | null = null;
  try {
    const outer = JSON.parse(text) as { error_message?: unknown };
    if (typeof outer.error_message === 'string') {
      try {
        const inner = JSON.parse(outer.error_message) as { faultstring?: unknown };
        faultstring = typeof inner.faultstring === 'string' ? inner.faultstring : outer.error_message;
      } catch {
        faultstring = outer.error_message;
      }
    }
  } catch {
    faultstring = null;
  }
  const message = faultstring ?? (text.trim().split('\n')[0]?.slice(0, 200) || `HTTP ${status}`);
  if (status === 401)
    return `Anvil refused the credentials (HTTP 401): ${message.replace(/\.$/, '')}; check --token or --username/--password (ANVIL_TOKEN, ANVIL_USERNAME, ANVIL_PASSWORD) or the config file`;
  if (status === 403) return `not allowed (HTTP 403): ${message}`;
  return message;
}

function networkReason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** A `next` link is absolute; keep only its path and query so requests stay on the configured endpoint. */
function relativeTo(baseUrl: string, link: string): string {
  const url = new URL(link, baseUrl);
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  const path = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname;
  return `${path}${url.search}`;
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the CA file ${file}: ${(err as Error).message}`);
  }
}
