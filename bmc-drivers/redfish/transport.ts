import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { RedfishConnectionError, RedfishProtocolError, RedfishTimeoutError } from './errors.js';

export interface TransportOptions {
  /** PEM CA bundle to verify the BMC's certificate with. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Skip TLS verification; for BMCs with self-signed certificates an operator chose to trust. */
  insecure?: boolean;
  /** Largest response body accepted. */
  maxBodyBytes?: number;
}

export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const DEFAULT_MAX_BODY = 32 * 1024 * 1024;
/**
 * Connections to one BMC service at once, over every client of it. A BMC of
 * one machine never sees more than two (its node's lock serializes the
 * rest); a service of many systems (sushy-tools, a chassis manager) gets as
 * many as its nodes' work needs, so that one system that hangs does not hold
 * up the others behind a handful of connections.
 */
const MAX_SOCKETS_PER_SERVICE = 32;
/**
 * How long an idle connection is kept when the BMC gives no Keep-Alive
 * hint. Node 20's agent reads a BMC's `Keep-Alive: timeout=N` and closes a
 * second before the BMC would, but only when it has a timeout of its own.
 */
const IDLE_CONNECTION_MS = 30_000;
/** Methods that may be sent again when a kept connection turned out closed. */
const IDEMPOTENT_READS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
/** How a write on a connection the peer already closed fails. */
const CLOSED_UNDER_US: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

interface SharedAgent {
  agent: http.Agent;
  users: number;
}

/**
 * One keep-alive pool per BMC service (origin and TLS settings), shared by
 * every client of it. A multi-system service (sushy-tools, a chassis
 * manager) is many nodes behind one origin; with a pool per node, a power
 * sync pass longer than the service's keep-alive window found every node's
 * connection closed and opened them all again, pass after pass. Shared, the
 * pool stays in use and its connections stay open. Ironic shares its sushy
 * connection between nodes of one BMC address the same way.
 */
const agents = new Map<string, SharedAgent>();

function acquireAgent(url: URL, options: TransportOptions): { key: string; agent: http.Agent } {
  const secure = url.protocol === 'https:';
  const key = `${url.origin} ${secure ? tlsKey(options) : ''}`;
  let shared = agents.get(key);
  if (shared === undefined) {
    const common = { keepAlive: true, maxSockets: MAX_SOCKETS_PER_SERVICE, timeout: IDLE_CONNECTION_MS };
    const agent = secure
      ? new https.Agent({
          ...common,
          rejectUnauthorized: options.insecure !== true,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
        })
      : new http.Agent(common);
    shared = { agent, users: 0 };
    agents.set(key, shared);
  }
  shared.users += 1;
  return { key, agent: shared.agent };
}

function releaseAgent(key: string): void {
  const shared = agents.get(key);
  if (shared === undefined) return;
  shared.users -= 1;
  if (shared.users > 0) return;
  agents.delete(key);
  shared.agent.destroy();
}

function tlsKey(options: TransportOptions): string {
  const hash = createHash('sha256').update(options.insecure === true ? 'insecure' : 'verify');
  const cas = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  for (const ca of cas) hash.update('\0').update(ca);
  return hash.digest('hex');
}

/** Closes the idle connections of a pool: they have idled at least as long as one the BMC just closed. */
function dropIdle(agent: http.Agent): void {
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

/** A failure that says the BMC had closed a kept connection before our request reached it. */
class ClosedConnection extends RedfishConnectionError {}

/**
 * HTTP(S) with keep-alive and one deadline for the whole exchange (connect,
 * headers, body), on node:http because Node 20's global fetch cannot take a
 * CA bundle without the undici package. A read sent on a kept connection the
 * BMC had closed meanwhile is sent once more, on a fresh connection.
 */
export class Transport {
  private readonly options: TransportOptions;
  private readonly maxBodyBytes: number;
  /** The shared pool of each origin this transport has talked to. */
  private readonly leases = new Map<string, { key: string; agent: http.Agent }>();

  constructor(options: TransportOptions = {}) {
    this.options = options;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    const agent = this.agentFor(req.url);
    const deadline = Date.now() + req.timeoutMs;
    try {
      return await this.exchange(req, agent, req.timeoutMs);
    } catch (err) {
      if (!(err instanceof ClosedConnection) || !IDEMPOTENT_READS.has(req.method)) throw err;
      // Once only, with the pool's idle connections dropped so that it goes
      // out on a new connection (or one another request has just used): if
      // that fails too, it is the BMC's answer.
      dropIdle(agent);
      return this.exchange(req, agent, Math.max(1, deadline - Date.now()));
    }
  }

  private agentFor(url: URL): http.Agent {
    let lease = this.leases.get(url.origin);
    if (lease === undefined) {
      lease = acquireAgent(url, this.options);
      this.leases.set(url.origin, lease);
    }
    return lease.agent;
  }

  private exchange(req: TransportRequest, agent: http.Agent, timeoutMs: number): Promise<TransportResponse> {
    const label = `${req.method} ${req.url.pathname}`;
    return new Promise<TransportResponse>((resolve, reject) => {
      let settled = false;
      let answered = false;
      const finish = (error: Error | null, response?: TransportResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(response as TransportResponse);
      };
      const secure = req.url.protocol === 'https:';
      const headers: Record<string, string> = { ...req.headers };
      if (req.body !== undefined) headers['Content-Length'] = String(req.body.length);
      const outgoing = (secure ? https : http).request(req.url, { method: req.method, headers, agent });
      const timer = setTimeout(() => {
        finish(new RedfishTimeoutError(`${label} got no answer within ${req.timeoutMs} ms`, req.timeoutMs));
        outgoing.destroy();
      }, timeoutMs);
      outgoing.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? null;
        const message = `${label} failed: ${code ?? err.message}`;
        const closed = outgoing.reusedSocket && !answered && code !== null && CLOSED_UNDER_US.has(code);
        finish(closed ? new ClosedConnection(message, code, err) : new RedfishConnectionError(message, code, err));
      });
      outgoing.on('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxBodyBytes) {
            finish(new RedfishProtocolError(`${label} answered more than ${this.maxBodyBytes} bytes`));
            res.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err: NodeJS.ErrnoException) => {
          finish(new RedfishConnectionError(`${label} broke off: ${err.code ?? err.message}`, err.code ?? null, err));
        });
        res.on('close', () => {
          if (!res.complete) finish(new RedfishConnectionError(`${label} answer was cut off`, null, null));
        });
        res.on('end', () => {
          finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      outgoing.end(req.body);
    });
  }

  /** Gives back this transport's share of each pool; the last user's release closes its connections. */
  close(): void {
    for (const lease of this.leases.values()) releaseAgent(lease.key);
    this.leases.clear();
  }
}
