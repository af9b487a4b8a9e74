import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidParameterValue, NodeNotFound } from '../errors.js';
import type { HardwareCalls } from '../hardware/index.js';
import type { Logger } from '../logger.js';
import type { NodeRepository } from '../nodes/index.js';
import {
  DISPATCH,
  encodeFailure,
  isHardwareMethod,
  RPC_PREFIX,
  SIGNATURE_HEADER,
  signatureValid,
  type RpcCall,
  type RpcFailure,
} from './protocol.js';

/** A call names a node and a handful of short arguments (an image URL at most). */
const MAX_BODY_BYTES = 64 * 1024;

export interface RpcServerDeps {
  /** The conductor's own hardware calls: they reach the BMCs. */
  hardware: HardwareCalls;
  nodes: Pick<NodeRepository, 'findByUuid'>;
  /** The bearer secret every API process derives from the shared key. */
  secret: string;
  log: Logger;
}

export interface ConductorRpcServer {
  /** The URL it listens on, as `http://host:port`. */
  url: string;
  close(): Promise<void>;
}

/**
 * The conductor's side of the API's synchronous hardware calls (DESIGN
 * decision 13), as Ironic's JSON-RPC: a small HTTP server where each call is
 * a POST naming the node; the node is read afresh here, and the answer is the
 * result or the typed error the API turns into Ironic's status.
 */
export async function startRpcServer(
  deps: RpcServerDeps,
  listen: { host: string; port: number; advertiseHost: string },
): Promise<ConductorRpcServer> {
  const server: Server = createServer((req, res) => {
    serve(deps, req, res).catch((err: unknown) => {
      deps.log.error({ err }, 'conductor RPC failed to answer');
      if (!res.headersSent) reply(res, 500, encodeFailure(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.advertiseHost.includes(':') ? `[${listen.advertiseHost}]` : listen.advertiseHost;
  return {
    url: `http://${host}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

async function serve(deps: RpcServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://rpc');
  const method = url.pathname.startsWith(RPC_PREFIX) ? url.pathname.slice(RPC_PREFIX.length) : '';
  if (req.method !== 'POST' || !isHardwareMethod(method)) {
    reply(res, 404, fault(`No such RPC: ${req.method} ${url.pathname}`));
    return;
  }
  let text: string;
  try {
    text = await readBody(req);
  } catch (err) {
    reply(res, 400, fault(err instanceof Error ? err.message : String(err)));
    return;
  }
  const signature = req.headers[SIGNATURE_HEADER];
  if (!signatureValid(typeof signature === 'string' ? signature : undefined, deps.secret, method, text)) {
    // Not Anvil's API: a caller without the shared secret learns nothing more.
    reply(res, 401, fault('The conductor RPC needs a call signed with the shared secret, within a minute.'));
    return;
  }
  let call: RpcCall;
  try {
    call = parseCall(text);
  } catch (err) {
    reply(res, 400, fault(err instanceof Error ? err.message : String(err)));
    return;
  }
  const node = await deps.nodes.findByUuid(call.node);
  if (node === null) {
    reply(res, 404, encodeFailure(new NodeNotFound(call.node)));
    return;
  }
  try {
    const result = await DISPATCH[method](deps.hardware, node, call.args);
    reply(res, 200, { result: result ?? null });
  } catch (err) {
    const failure = encodeFailure(err);
    if (failure.error.kind === null) deps.log.error({ err, node: node.uuid, method }, 'conductor RPC call failed');
    // 422: the work was refused, and the API passes the refusal on as it is.
    reply(res, failure.error.kind === null ? 500 : 422, failure);
  }
}

function parseCall(text: string): RpcCall {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new InvalidParameterValue('The RPC body is not JSON.');
  }
  if (typeof body !== 'object' || body === null) throw new InvalidParameterValue('The RPC body is not an object.');
  const { node, args } = body as Partial<RpcCall>;
  if (typeof node !== 'string' || !Array.isArray(args)) {
    throw new InvalidParameterValue('An RPC names a node (a uuid) and its args (a list).');
  }
  return { node, args };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new InvalidParameterValue('The RPC body is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A fault of the call itself, not of its work: the API answers it as its own 500. */
function fault(message: string): RpcFailure {
  return { error: { kind: null, message } };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
