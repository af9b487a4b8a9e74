// A stand-in for Anvil's HTTP side in sim tests: boot scripts per MAC,
// files with Range support (kernels, ramdisks, images, ISOs), and the agent
// API (lookup, heartbeat, continue_inspection), every request recorded in
// order so a test can read the boot sequence back.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeNode {
  uuid: string;
  token: string;
  heartbeatTimeout: number;
}

export interface Heartbeat {
  uuid: string;
  body: Record<string, unknown>;
}

export interface FakeAnvil {
  url: string;
  /** `GET /path` (with ` bytes=a-b` for Range reads), in arrival order; shared with the TFTP server when given. */
  events: string[];
  scripts: Map<string, string>;
  files: Map<string, Buffer>;
  /** The node lookup finds for any MAC; null answers 404. */
  node: FakeNode | null;
  /** Answer 404 to this many more lookups before finding the node. */
  lookupMisses: number;
  heartbeats: Heartbeat[];
  /** The query of every lookup. */
  lookups: URLSearchParams[];
  inspections: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startFakeAnvil(events: string[] = []): Promise<FakeAnvil> {
  const anvil: FakeAnvil = {
    url: '',
    events,
    scripts: new Map(),
    files: new Map(),
    node: null,
    lookupMisses: 0,
    heartbeats: [],
    lookups: [],
    inspections: [],
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  const server = http.createServer((req, res) => {
    handle(anvil, req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  anvil.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return anvil;
}

async function handle(anvil: FakeAnvil, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const range = req.headers.range;
  anvil.events.push(`${req.method ?? ''} ${url.pathname}${range ? ` ${range}` : ''}`);
  const body = await readBody(req);
  const script = /^\/boot\/(.+)\.ipxe$/.exec(url.pathname);
  if (req.method === 'GET' && script) {
    const text = anvil.scripts.get(script[1] as string);
    if (text === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'Content-Type': 'text/plain' }).end(text);
    return;
  }
  if (req.method === 'GET' && url.pathname === '/v1/lookup') {
    anvil.lookups.push(url.searchParams);
    if (anvil.node === null || anvil.lookupMisses > 0) {
      anvil.lookupMisses = Math.max(0, anvil.lookupMisses - 1);
      json(res, 404, { error_message: '{"faultstring": "Node not found"}' });
      return;
    }
    json(res, 200, {
      node: { uuid: anvil.node.uuid, properties: {}, instance_info: {}, driver_internal_info: {} },
      config: {
        heartbeat_timeout: anvil.node.heartbeatTimeout,
        agent_token: anvil.node.token,
        agent_token_required: true,
      },
    });
    return;
  }
  const beat = /^\/v1\/heartbeat\/([^/]+)$/.exec(url.pathname);
  if (req.method === 'POST' && beat) {
    anvil.heartbeats.push({
      uuid: beat[1] as string,
      body: JSON.parse(body.toString('utf8')) as Record<string, unknown>,
    });
    res.writeHead(202).end();
    return;
  }
  if (req.method === 'POST' && url.pathname === '/v1/continue_inspection') {
    anvil.inspections.push(JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    json(res, 200, { uuid: anvil.node?.uuid ?? null });
    return;
  }
  const file = anvil.files.get(url.pathname);
  if (req.method === 'GET' && file !== undefined) {
    const match = range ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
    if (match) {
      const start = Number(match[1]);
      const end = Math.min(Number(match[2]), file.length - 1);
      res.writeHead(206, {
        'Content-Range': `bytes ${start}-${end}/${file.length}`,
        'Content-Length': end - start + 1,
      });
      res.end(file.subarray(start, end + 1));
    } else {
      res.writeHead(200, { 'Content-Length': file.length }).end(file);
    }
    return;
  }
  res.writeHead(404).end();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
