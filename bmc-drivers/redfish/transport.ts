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
 * HTTP(S) with keep-alive and one deadline for the whole exchange (connect,
 * headers, body), on node:http because Node 20's global fetch cannot take a
 * CA bundle without the undici package.
 */
export class Transport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly httpsAgent: https.Agent;
  private readonly maxBodyBytes: number;

  constructor(options: TransportOptions = {}) {
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      rejectUnauthorized: options.insecure !== true,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  }

  request(req: TransportRequest): Promise<TransportResponse> {
    const label = `${req.method} ${req.url.pathname}`;
    return new Promise<TransportResponse>((resolve, reject) => {
      let settled = false;
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
      const outgoing = (secure ? https : http).request(req.url, {
        method: req.method,
        headers,
        agent: secure ? this.httpsAgent : this.httpAgent,
      });
      const timer = setTimeout(() => {
        finish(new RedfishTimeoutError(`${label} got no answer within ${req.timeoutMs} ms`, req.timeoutMs));
        outgoing.destroy();
      }, req.timeoutMs);
      outgoing.on('error', (err: NodeJS.ErrnoException) => {
        finish(new RedfishConnectionError(`${label} failed: ${err.code ?? err.message}`, err.code ?? null, err));
      });
      outgoing.on('response', (res) => {
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

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
