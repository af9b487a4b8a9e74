import type { ZodType } from 'zod';
import {
  RedfishAuthError,
  RedfishConnectionError,
  RedfishError,
  RedfishHttpError,
  RedfishProtocolError,
  RedfishTaskError,
  RedfishTimeoutError,
} from './errors.js';
import { taskSchema } from './schemas.js';
import { Transport, type TransportResponse } from './transport.js';

export interface RedfishCredentials {
  username: string;
  password: string;
}

/** `auto`: a SessionService login, falling back to basic auth as sushy does. */
export type RedfishAuthMode = 'auto' | 'session' | 'basic';

export interface RedfishClientOptions {
  /** Scheme, host and port only, e.g. `https://10.0.0.5` or `http://127.0.0.1:8000`. */
  baseUrl: string;
  credentials: RedfishCredentials;
  auth?: RedfishAuthMode;
  /** PEM CA bundle for BMCs whose certificate a private CA signed. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Turn TLS verification off. Verification is on unless this is set. */
  insecure?: boolean;
  /** Deadline of one HTTP exchange. Default 30 s. */
  timeoutMs?: number;
}

export interface RedfishResponse {
  status: number;
  /** Parsed JSON, or null for an empty body. */
  body: unknown;
  etag: string | null;
  location: string | null;
}

export interface RequestOptions {
  timeoutMs?: number;
}

export interface PatchOptions extends RequestOptions {
  /**
   * The ETag the change is based on, sent as If-Match. When absent the
   * client reads the resource first and uses its ETag, if it has one.
   */
  etag?: string;
}

export interface TaskWaitOptions {
  /** Give up after this long. Default 30 minutes: firmware updates are slow. */
  timeoutMs?: number;
  /** Pause between polls. Default 2 s. */
  pollIntervalMs?: number;
}

export interface TaskOutcome {
  /** `Completed`, or `Done` when the monitor answered without a Task body. */
  state: string;
  messages: string[];
  body: unknown;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_SESSIONS_PATH = '/redfish/v1/SessionService/Sessions';
const TASK_FAILED = new Set(['Exception', 'Killed', 'Cancelled']);

type AuthState = { kind: 'none' } | { kind: 'basic' } | { kind: 'session'; token: string; uri: string | null };

/**
 * One BMC's Redfish service: authentication (session with basic fallback,
 * one re-login on 401), JSON in and out, typed errors, and task polling.
 * Calls are not serialised here; the conductor runs one at a time per BMC.
 */
export class RedfishClient {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly credentials: RedfishCredentials;
  private readonly mode: RedfishAuthMode;
  private readonly timeoutMs: number;
  private readonly transport: Transport;
  private auth: AuthState = { kind: 'none' };
  private login: Promise<void> | null = null;

  constructor(options: RedfishClientOptions) {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RedfishProtocolError(`Redfish base URL must be http or https, not ${url.protocol}`);
    }
    if (url.username !== '' || url.password !== '') {
      throw new RedfishProtocolError('Redfish base URL must not carry credentials; pass them as credentials');
    }
    this.origin = url.origin;
    this.baseUrl = url.origin;
    this.credentials = { ...options.credentials };
    this.mode = options.auth ?? 'auto';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.transport = new Transport({
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.insecure === undefined ? {} : { insecure: options.insecure }),
    });
  }

  /** How the client is authenticated now: null before the first call. */
  get authMethod(): 'session' | 'basic' | null {
    return this.auth.kind === 'none' ? null : this.auth.kind;
  }

  get(path: string, options: RequestOptions = {}): Promise<RedfishResponse> {
    return this.call('GET', path, undefined, {}, options);
  }

  /** GET and check the body's shape; a mismatch is a RedfishProtocolError. */
  async getAs<T>(
    path: string,
    schema: ZodType<T>,
    options: RequestOptions = {},
  ): Promise<{ body: T; etag: string | null }> {
    const response = await this.get(path, options);
    return { body: this.parse(schema, response.body, `GET ${path}`), etag: response.etag };
  }

  post(path: string, body?: unknown, options: RequestOptions = {}): Promise<RedfishResponse> {
    return this.call('POST', path, body ?? {}, {}, options);
  }

  async patch(path: string, body: unknown, options: PatchOptions = {}): Promise<RedfishResponse> {
    const etag = options.etag ?? (await this.get(path, options)).etag;
    return this.call('PATCH', path, body, etag === null ? {} : { 'If-Match': etag }, options);
  }

  delete(path: string, options: RequestOptions = {}): Promise<RedfishResponse> {
    return this.call('DELETE', path, undefined, {}, options);
  }

  private parse<T>(schema: ZodType<T>, body: unknown, what: string): T {
    const result = schema.safeParse(body);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new RedfishProtocolError(`${what}: unexpected resource shape at ${where}: ${issue?.message ?? 'invalid'}`);
  }

  /**
   * Polls a task monitor (the Location of a 202) or a Task resource until it
   * finishes. 202 means still running; a Task body says so in TaskState;
   * any other success ends the wait.
   */
  async waitForTask(location: string, options: TaskWaitOptions = {}): Promise<TaskOutcome> {
    const timeoutMs = options.timeoutMs ?? 30 * 60_000;
    const interval = Math.max(10, options.pollIntervalMs ?? 2000);
    const deadline = Date.now() + timeoutMs;
    const maxPolls = Math.ceil(timeoutMs / interval) + 1;
    for (let poll = 0; poll < maxPolls; poll++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const outcome = await this.pollTask(location, { timeoutMs: Math.min(this.timeoutMs, remaining) });
      if (outcome !== null) return outcome;
      await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
    }
    throw new RedfishTimeoutError(`task ${location} did not finish within ${timeoutMs} ms`, timeoutMs);
  }

  /**
   * One look at a task monitor or Task: its outcome when it has finished,
   * null while it runs, RedfishTaskError when it failed. Lets a caller poll
   * a long task without holding the BMC between looks.
   */
  async pollTask(location: string, options: RequestOptions = {}): Promise<TaskOutcome | null> {
    const response = await this.get(location, options);
    const task = taskSchema.safeParse(response.body);
    const messages = task.success
      ? (task.data.Messages ?? []).map((m) => m.Message ?? m.MessageId ?? '').filter((m) => m !== '')
      : [];
    if (task.success && TASK_FAILED.has(task.data.TaskState))
      throw new RedfishTaskError(task.data.TaskState, messages, location);
    const running = response.status === 202 || (task.success && task.data.TaskState !== 'Completed');
    return running ? null : { state: task.success ? task.data.TaskState : 'Done', messages, body: response.body };
  }

  /** Ends the session, if any. Errors are swallowed: the session times out anyway. */
  async logout(): Promise<void> {
    const auth = this.auth;
    this.auth = { kind: 'none' };
    if (auth.kind !== 'session' || auth.uri === null) return;
    try {
      await this.send('DELETE', auth.uri, undefined, { 'X-Auth-Token': auth.token }, this.timeoutMs);
    } catch (err) {
      if (!(err instanceof RedfishError)) throw err;
    }
  }

  async close(): Promise<void> {
    await this.logout();
    this.transport.close();
  }

  private async call(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    options: RequestOptions,
  ): Promise<RedfishResponse> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    let relogged = false;
    for (;;) {
      const authHeaders = await this.authHeaders(timeoutMs);
      const raw = await this.send(method, path, body, { ...headers, ...authHeaders }, timeoutMs);
      if (raw.status === 401) {
        // A session can end under us (BMC reboot, idle timeout, another
        // client logging everyone out): log in once more, then give up.
        if (this.auth.kind === 'session' && !relogged) {
          relogged = true;
          this.auth = { kind: 'none' };
          continue;
        }
        throw new RedfishAuthError(`${method} ${pathOf(path)}: the BMC refused the credentials`);
      }
      return this.interpret(method, path, raw);
    }
  }

  private async authHeaders(timeoutMs: number): Promise<Record<string, string>> {
    if (this.auth.kind === 'none') {
      this.login ??= this.establish(timeoutMs).finally(() => {
        this.login = null;
      });
      await this.login;
    }
    const auth = this.auth;
    if (auth.kind === 'session') return { 'X-Auth-Token': auth.token };
    const basic = Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64');
    return { Authorization: `Basic ${basic}` };
  }

  private async establish(timeoutMs: number): Promise<void> {
    if (this.mode === 'basic') {
      this.auth = { kind: 'basic' };
      return;
    }
    try {
      const raw = await this.send(
        'POST',
        DEFAULT_SESSIONS_PATH,
        { UserName: this.credentials.username, Password: this.credentials.password },
        {},
        timeoutMs,
      );
      const token = headerOf(raw, 'x-auth-token');
      if ((raw.status === 200 || raw.status === 201) && token !== null) {
        this.auth = { kind: 'session', token, uri: headerOf(raw, 'location') };
        return;
      }
      if (this.mode === 'session') {
        if (raw.status === 401 || raw.status === 403)
          throw new RedfishAuthError('session login refused the credentials');
        if (raw.status < 400) throw new RedfishProtocolError('session login answered without an X-Auth-Token');
        this.interpret('POST', DEFAULT_SESSIONS_PATH, raw);
      }
    } catch (err) {
      // Timeouts and unreachable BMCs are not a reason to try basic auth.
      if (
        this.mode === 'session' ||
        !(err instanceof RedfishError) ||
        err instanceof RedfishTimeoutError ||
        err instanceof RedfishConnectionError
      )
        throw err;
    }
    // BMCs without a SessionService, or whose login is broken, still take
    // basic auth on every request (sushy falls back the same way).
    this.auth = { kind: 'basic' };
  }

  private send(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<TransportResponse> {
    const url = new URL(path, this.origin);
    if (url.origin !== this.origin) {
      // Credentials go to the BMC and nowhere else, whatever a Location says.
      throw new RedfishProtocolError(`refusing to follow ${url.origin}${url.pathname}: not the BMC's origin`);
    }
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return this.transport.request({
      method,
      url,
      timeoutMs,
      headers: {
        Accept: 'application/json',
        'OData-Version': '4.0',
        ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      ...(payload === undefined ? {} : { body: payload }),
    });
  }

  private interpret(method: string, path: string, raw: TransportResponse): RedfishResponse {
    const text = raw.body.toString('utf8');
    if (raw.status >= 400) {
      const detail = errorDetail(raw.status, text);
      throw new RedfishHttpError({
        status: raw.status,
        redfishMessage: this.redact(detail.message),
        messageId: detail.messageId,
        relatedProperties: detail.relatedProperties,
        method,
        path: pathOf(path),
      });
    }
    let body: unknown = null;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw new RedfishProtocolError(
          `${method} ${pathOf(path)} answered HTTP ${raw.status} with a body that is not JSON`,
        );
      }
    }
    return { status: raw.status, body, etag: headerOf(raw, 'etag'), location: headerOf(raw, 'location') };
  }

  /** A BMC may echo what it was sent; the password never reaches a message. */
  private redact(text: string): string {
    const secret = this.credentials.password;
    return secret.length > 0 ? text.split(secret).join('******') : text;
  }
}

interface ErrorDetail {
  message: string;
  messageId: string | null;
  relatedProperties: string[];
}

/** The Redfish error body (DSP0266 §9.6) in one line, tolerating anything else. */
function errorDetail(status: number, text: string): ErrorDetail {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: text.trim().slice(0, 200) || `HTTP ${status}`, messageId: null, relatedProperties: [] };
  }
  const error = record(record(parsed)?.error);
  const extended = Array.isArray(error?.['@Message.ExtendedInfo'])
    ? (error['@Message.ExtendedInfo'] as unknown[]).map(record)
    : [];
  const first = extended.find((e) => e !== null) ?? null;
  const related = extended.flatMap((e) =>
    Array.isArray(e?.RelatedProperties) ? e.RelatedProperties.filter((p): p is string => typeof p === 'string') : [],
  );
  const message = stringOf(first?.Message) ?? stringOf(error?.message) ?? `HTTP ${status}`;
  return { message, messageId: stringOf(first?.MessageId) ?? stringOf(error?.code), relatedProperties: related };
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function stringOf(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function headerOf(raw: TransportResponse, name: string): string | null {
  const value = raw.headers[name];
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

function pathOf(path: string): string {
  try {
    return new URL(path, 'http://x').pathname;
  } catch {
    return path;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
