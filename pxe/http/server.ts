/**
 * The boot HTTP server (DESIGN decision 9): per-host iPXE scripts under
 * `/boot/`, and kernel, ramdisk, ISO and disk images under `/boot-files/`
 * and `/images/`, each from its configured directory, with `.sha256`
 * checksums beside every file.
 *
 * Built on node:http rather than express: every route here is about exact
 * wire behaviour (raw paths checked before any normalisation, Range and
 * conditional headers, streaming with back-pressure, HEAD), which express
 * would only wrap, and the `pxe` role can then run without the API's stack.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { BootBackend } from '../backend.js';
import { normalizeMac, type ScriptOptions, type UnknownHostPolicy } from '../ipxe/index.js';
import { ChecksumCache, ChecksumRace } from './checksums.js';
import { FileRefused, openConfined, requestSegments, type OpenedFile } from './confine.js';
import { sendFile, type Sent } from './file-response.js';
import { answerScript, bootModeOf } from './scripts.js';

export type HttpRoute = 'script' | 'images' | 'boot-files' | 'checksum' | 'other';

/** One per request, when its response has ended or the client has gone. */
export interface HttpRequestEvent {
  method: string;
  route: HttpRoute;
  /** The raw request path, without the query. */
  path: string;
  status: number;
  /** Body bytes read for the client (file routes) or sent (scripts, checksums). */
  bytes: number;
  /** False when the client went away before the response ended. */
  completed: boolean;
  durationMs: number;
}

/** Hooks for metrics and logs; the server itself neither logs nor counts. */
export interface HttpObserver {
  onRequest?(event: HttpRequestEvent): void;
  /** A failure that did not change the answer (a history record not written), or one that made it a 500. */
  onError?(error: unknown, context: string): void;
}

export interface BootHttpOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  backend: BootBackend;
  /** How hosts reach this server (`http://host:port`); its listening address when absent. */
  publicUrl?: string;
  /** The directories served under `/images/` and `/boot-files/`; a route without one answers 404. */
  imageDirs: { images?: string; bootFiles?: string };
  /** What an unknown MAC's script does; `exit` by default. */
  unknownHosts?: UnknownHostPolicy;
  script?: ScriptOptions;
  observer?: HttpObserver;
}

export interface BootHttpServer {
  /** `http://host:port` as hosts reach it: the public URL when given, else the listening address. */
  url: string;
  port: number;
  /** Stops listening and ends open connections, downloads included. */
  close(): Promise<void>;
}

const SCRIPT = /^\/boot\/([^/]+)\.ipxe$/;
const CHECKSUM_SUFFIX = '.sha256';

export async function startBootHttpServer(options: BootHttpOptions): Promise<BootHttpServer> {
  const roots = new Map<HttpRoute, string>();
  if (options.imageDirs.images) roots.set('images', await realpath(options.imageDirs.images));
  if (options.imageDirs.bootFiles) roots.set('boot-files', await realpath(options.imageDirs.bootFiles));
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  // The port may be chosen by listen, so the address (and with it boot file URLs) is known only now;
  // requests are handled from the same tick on, before any connection is read.
  const url = options.publicUrl?.replace(/\/$/, '') ?? `http://${hostInUrl}:${port}`;
  const handler = new Handler(options, roots, `${url}/boot-files/`);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => handler.handle(req, res));
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

class Handler {
  private readonly checksums = new ChecksumCache();

  constructor(
    private readonly options: BootHttpOptions,
    private readonly roots: Map<HttpRoute, string>,
    private readonly bootFilesUrl: string,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const raw = req.url ?? '/';
    const queryAt = raw.indexOf('?');
    const rawPath = queryAt === -1 ? raw : raw.slice(0, queryAt);
    const query = new URLSearchParams(queryAt === -1 ? '' : raw.slice(queryAt + 1));
    const event: HttpRequestEvent = {
      method: req.method ?? '',
      route: 'other',
      path: rawPath,
      status: 0,
      bytes: 0,
      completed: false,
      durationMs: 0,
    };
    res.on('close', () => {
      event.completed = res.writableFinished;
      event.status ||= res.statusCode;
      event.durationMs = performance.now() - started;
      this.options.observer?.onRequest?.(event);
    });
    this.route(req, res, rawPath, query, event).catch((error: unknown) => {
      this.options.observer?.onError?.(error, `${req.method} ${rawPath}`);
      if (!res.headersSent) {
        event.status = 500;
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal error\n');
      } else {
        res.destroy();
      }
    });
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    rawPath: string,
    query: URLSearchParams,
    event: HttpRequestEvent,
  ): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      event.status = 405;
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const script = SCRIPT.exec(rawPath);
    if (script) {
      event.route = 'script';
      await this.script(req, res, script[1]!, query, event);
      return;
    }
    for (const [route, prefix] of [
      ['images', '/images/'],
      ['boot-files', '/boot-files/'],
    ] as const) {
      if (rawPath.startsWith(prefix)) {
        event.route = route;
        await this.file(req, res, route, rawPath, rawPath.slice(prefix.length), event);
        return;
      }
    }
    this.plain(res, event, 404, 'not found\n');
  }

  private async script(
    req: IncomingMessage,
    res: ServerResponse,
    encodedMac: string,
    query: URLSearchParams,
    event: HttpRequestEvent,
  ): Promise<void> {
    let mac: string | null;
    try {
      mac = normalizeMac(decodeURIComponent(encodedMac));
    } catch {
      // A malformed %-escape names no MAC either.
      mac = null;
    }
    if (mac === null) {
      this.plain(res, event, 404, 'not a MAC address\n');
      return;
    }
    const answer = await answerScript(mac, bootModeOf(query.get('platform')), {
      backend: this.options.backend,
      unknownHosts: this.options.unknownHosts ?? { kind: 'exit' },
      script: this.options.script ?? {},
      bootFilesUrl: this.bootFilesUrl,
    });
    if (answer.renderError) this.options.observer?.onError?.(answer.renderError, `script for ${mac}`);
    if (answer.known && answer.status === 200) {
      // Recorded before answering, so the node's history never lags what the host already runs.
      await this.record(mac, `/boot/${mac}.ipxe`);
    }
    // A script depends on the node's state right now: nothing may cache it.
    res.setHeader('Cache-Control', 'no-store');
    this.plain(res, event, answer.status, answer.body, req.method === 'HEAD');
  }

  private async file(
    req: IncomingMessage,
    res: ServerResponse,
    route: 'images' | 'boot-files',
    rawPath: string,
    encoded: string,
    event: HttpRequestEvent,
  ): Promise<void> {
    const root = this.roots.get(route);
    if (!root) {
      this.plain(res, event, 404, 'not served here\n');
      return;
    }
    try {
      const segments = requestSegments(encoded);
      const last = segments[segments.length - 1]!;
      if (last.endsWith(CHECKSUM_SUFFIX) && last.length > CHECKSUM_SUFFIX.length) {
        // A checksum file on disk wins; otherwise the digest of the file it names.
        const onDisk = await openConfined(root, segments).catch((error: unknown) => {
          if (error instanceof FileRefused && error.status === 404) return null;
          throw error;
        });
        if (!onDisk) {
          event.route = 'checksum';
          await this.checksum(
            req,
            res,
            root,
            [...segments.slice(0, -1), last.slice(0, -CHECKSUM_SUFFIX.length)],
            event,
          );
          return;
        }
        await this.stream(req, res, onDisk, rawPath, event);
        return;
      }
      await this.stream(req, res, await openConfined(root, segments), rawPath, event);
    } catch (error) {
      if (!(error instanceof FileRefused)) throw error;
      this.plain(res, event, error.status, `${error.message}\n`);
    }
  }

  private async stream(
    req: IncomingMessage,
    res: ServerResponse,
    file: OpenedFile,
    rawPath: string,
    event: HttpRequestEvent,
  ): Promise<void> {
    const sent: Sent = { status: 0, bytes: 0, start: 0 };
    // Read now: once the response ends, a closed socket no longer knows its peer.
    const remote = req.socket.remoteAddress;
    await sendFile(req, res, file, sent);
    event.status = sent.status;
    event.bytes = sent.bytes;
    if (
      req.method === 'GET' &&
      (sent.status === 200 || sent.status === 206) &&
      sent.start === 0 &&
      res.writableFinished
    ) {
      // Downloads carry no MAC; the client's address finds the host (it holds its lease in full DHCP mode).
      void this.recordByAddress(remote, rawPath);
    }
  }

  private async checksum(
    req: IncomingMessage,
    res: ServerResponse,
    root: string,
    segments: string[],
    event: HttpRequestEvent,
  ): Promise<void> {
    const file = await openConfined(root, segments);
    let digest: string;
    try {
      digest = await this.checksums.sha256(file.realPath, file.stats);
    } catch (error) {
      if (!(error instanceof ChecksumRace)) throw error;
      res.setHeader('Retry-After', '1');
      this.plain(res, event, 503, `${path.basename(file.realPath)} is changing; retry\n`);
      return;
    } finally {
      await file.handle.close();
    }
    res.setHeader('Cache-Control', 'no-cache');
    this.plain(res, event, 200, `${digest}  ${segments[segments.length - 1]}\n`, req.method === 'HEAD');
  }

  private plain(res: ServerResponse, event: HttpRequestEvent, status: number, body: string, headOnly = false): void {
    const bytes = Buffer.from(body, 'utf8');
    event.status = status;
    event.bytes = headOnly ? 0 : bytes.length;
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': bytes.length });
    res.end(headOnly ? undefined : bytes);
  }

  private async record(mac: string, detail: string): Promise<void> {
    try {
      await this.options.backend.recordServed(mac, { protocol: 'http', detail });
    } catch (error) {
      this.options.observer?.onError?.(error, `recording ${detail} for ${mac}`);
    }
  }

  private async recordByAddress(remote: string | undefined, detail: string): Promise<void> {
    if (!remote) return;
    const address = remote.startsWith('::ffff:') ? remote.slice('::ffff:'.length) : remote;
    try {
      await this.options.backend.recordServedTo(address, { protocol: 'http', detail });
    } catch (error) {
      this.options.observer?.onError?.(error, `recording ${detail} for ${address}`);
    }
  }
}
