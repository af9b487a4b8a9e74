import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RedfishClient,
  RedfishError,
  RedfishProtocolError,
  connectRedfish,
  getPowerState,
  inspectHardware,
} from '../../../../bmc-drivers/redfish/index.js';
import { fuzz, fuzzTimeout } from '../../../support/fuzz.js';

// Anvil's Redfish client against a BMC that lies: a real HTTP server on loopback
// serving a plausible Redfish tree in which one resource is answered wrongly
// (another status, a body of the wrong shape or type, bytes that are not JSON,
// a body dripped slower than the client waits, or cut off). Whatever it does,
// each call settles within its timeout with a value or a RedfishError: never a
// TypeError, never an unhandled rejection, never a hang.

const CLIENT_TIMEOUT_MS = 300;
/** A call may take several requests, each with its own timeout: past this it hangs. */
const SETTLE_MS = 5_000;

const TREE: Record<string, unknown> = {
  '/redfish/v1': {
    '@odata.id': '/redfish/v1',
    RedfishVersion: '1.15.0',
    Systems: { '@odata.id': '/redfish/v1/Systems' },
    SessionService: { '@odata.id': '/redfish/v1/SessionService' },
    Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' } },
  },
  '/redfish/v1/Systems': { Members: [{ '@odata.id': '/redfish/v1/Systems/1' }], 'Members@odata.count': 1 },
  '/redfish/v1/Systems/1': {
    '@odata.id': '/redfish/v1/Systems/1',
    Id: '1',
    Manufacturer: 'Anvil',
    Model: 'Hostile',
    PowerState: 'On',
    Boot: { BootSourceOverrideTarget: 'None', BootSourceOverrideEnabled: 'Disabled' },
    ProcessorSummary: { Count: 2, Model: 'x86' },
    MemorySummary: { TotalSystemMemoryGiB: 16 },
    Processors: { '@odata.id': '/redfish/v1/Systems/1/Processors' },
    EthernetInterfaces: { '@odata.id': '/redfish/v1/Systems/1/EthernetInterfaces' },
    SimpleStorage: { '@odata.id': '/redfish/v1/Systems/1/SimpleStorage' },
  },
  '/redfish/v1/Systems/1/Processors': { Members: [{ '@odata.id': '/redfish/v1/Systems/1/Processors/0' }] },
  '/redfish/v1/Systems/1/Processors/0': { Id: '0', TotalCores: 8, TotalThreads: 16, Model: 'x86' },
  '/redfish/v1/Systems/1/EthernetInterfaces': {
    Members: [{ '@odata.id': '/redfish/v1/Systems/1/EthernetInterfaces/0' }],
  },
  '/redfish/v1/Systems/1/EthernetInterfaces/0': { Id: '0', MACAddress: '52:54:00:00:00:01', LinkStatus: 'LinkUp' },
  '/redfish/v1/Systems/1/SimpleStorage': { Members: [] },
  '/redfish/v1/TaskService/Tasks/1': { Id: '1', TaskState: 'Running', Messages: [] },
};
const PATHS = Object.keys(TREE);

type Wrong =
  | { kind: 'status'; status: number; body: string }
  | { kind: 'body'; body: string; contentType: string }
  | { kind: 'field'; field: string; value: unknown }
  | { kind: 'drip'; chunks: number }
  | { kind: 'cut' };

interface Lie {
  path: string;
  wrong: Wrong;
}

const weirdJson = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, '', -1, 1e308, '\u0000', [], {}, 'On; DROP', { '@odata.id': 42 }, 'x'.repeat(70_000)),
);
const wrong: fc.Arbitrary<Wrong> = fc.oneof(
  fc.record({
    kind: fc.constant('status' as const),
    status: fc.constantFrom(201, 202, 204, 301, 302, 400, 401, 403, 404, 409, 412, 500, 503),
    body: fc.oneof(
      fc.constant(''),
      weirdJson.map((v) => JSON.stringify(v) ?? ''),
    ),
  }),
  fc.record({
    kind: fc.constant('body' as const),
    body: fc.oneof(
      weirdJson.map((v) => JSON.stringify(v) ?? ''),
      fc.string({ maxLength: 200 }),
      fc.constant('{"PowerState": "On"'),
      fc.constant(`${'['.repeat(20_000)}${']'.repeat(20_000)}`),
    ),
    contentType: fc.constantFrom('application/json', 'text/html', 'application/octet-stream'),
  }),
  fc.record({
    kind: fc.constant('field' as const),
    field: fc.constantFrom('PowerState', 'Members', '@odata.id', 'MACAddress', 'TotalCores', 'TaskState', 'Systems'),
    value: weirdJson,
  }),
  fc.record({ kind: fc.constant('drip' as const), chunks: fc.integer({ min: 2, max: 6 }) }),
  fc.constant({ kind: 'cut' as const }),
);
const lie: fc.Arbitrary<Lie> = fc.record({ path: fc.constantFrom(...PATHS), wrong });

let current: Lie | null = null;
let server: http.Server;
let baseUrl = '';

function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? '').split('?')[0]!.replace(/\/$/, '');
  if (req.method === 'POST' && path === '/redfish/v1/SessionService/Sessions') {
    res.writeHead(201, { 'X-Auth-Token': 'token', Location: `${path}/1`, 'Content-Type': 'application/json' });
    res.end('{}');
    return;
  }
  if (path === HUGE_PATH) {
    streamHuge(res);
    return;
  }
  const doc = TREE[path];
  const wrongHere = current !== null && current.path === path ? current.wrong : null;
  if (doc === undefined) {
    res
      .writeHead(404, { 'Content-Type': 'application/json' })
      .end('{"error":{"code":"Base.1.0.ResourceMissingAtURI"}}');
    return;
  }
  if (wrongHere === null) {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(doc));
    return;
  }
  switch (wrongHere.kind) {
    case 'status':
      res.writeHead(wrongHere.status, { 'Content-Type': 'application/json', Location: path });
      res.end(wrongHere.body);
      return;
    case 'body':
      res.writeHead(200, { 'Content-Type': wrongHere.contentType }).end(wrongHere.body);
      return;
    case 'field':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ...(doc as object), [wrongHere.field]: wrongHere.value }));
      return;
    case 'drip': {
      // Each chunk comes after the client's timeout has begun to run out: the whole never arrives in time.
      const text = JSON.stringify(doc);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(text.length) });
      let sent = 0;
      const step = Math.ceil(text.length / wrongHere.chunks);
      const timer = setInterval(() => {
        if (res.destroyed || sent >= text.length) {
          clearInterval(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(text.slice(sent, sent + step));
        sent += step;
      }, CLIENT_TIMEOUT_MS / 2);
      return;
    }
    case 'cut':
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '5000' });
      res.write(JSON.stringify(doc).slice(0, 20));
      res.socket?.destroy();
      return;
  }
}

/** A resource larger than the client takes (32 MiB by default), sent as fast as the client reads it. */
const HUGE_PATH = '/redfish/v1/Huge';
const HUGE_BYTES = 40 * 1024 * 1024;

function streamHuge(res: http.ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  let sent = 0;
  const more = (): void => {
    while (sent < HUGE_BYTES && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', more);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  more();
}

/** Runs `call` and holds the property: it settles in time with a value or a RedfishError. */
async function settles(call: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no settlement within ${SETTLE_MS} ms`)), SETTLE_MS);
  });
  try {
    await Promise.race([call(), hang]);
  } catch (error) {
    if (!(error instanceof RedfishError)) throw error;
  } finally {
    clearTimeout(timer);
  }
}

describe('the Redfish client against a hostile BMC (fuzz)', { timeout: fuzzTimeout(20_000) }, () => {
  beforeAll(async () => {
    server = http.createServer(answer);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('connects, reads power and inspects: a value or a RedfishError in time, whatever one resource answers', async () => {
    await fuzz(
      fc.asyncProperty(lie, fc.constantFrom('basic' as const, 'session' as const), async (told, auth) => {
        current = told;
        await settles(async () => {
          const system = await connectRedfish(
            `redfish+${baseUrl}/redfish/v1/Systems/1`,
            { username: 'admin', password: 'password' },
            { auth, timeoutMs: CLIENT_TIMEOUT_MS },
          );
          try {
            await getPowerState(system);
            await inspectHardware(system);
          } finally {
            await system.client.close();
          }
        });
      }),
      { runs: 40 },
    );
    current = null;
  });

  it('refuses a body larger than its limit with a RedfishProtocolError', async () => {
    const client = new RedfishClient({
      baseUrl,
      credentials: { username: 'admin', password: 'password' },
      auth: 'basic',
      timeoutMs: 10_000,
    });
    try {
      const refused = await client.get(HUGE_PATH).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(RedfishProtocolError);
      expect(String(refused)).toContain('answered more than');
    } finally {
      await client.close();
    }
  });

  it('gives up on a task monitor that answers Running forever (or lies about it) at its own deadline', async () => {
    const monitor = fc.option(fc.record({ path: fc.constant('/redfish/v1/TaskService/Tasks/1'), wrong }), {
      nil: null,
      freq: 3,
    });
    await fuzz(
      fc.asyncProperty(monitor, async (told) => {
        current = told;
        const client = new RedfishClient({
          baseUrl,
          credentials: { username: 'admin', password: 'password' },
          auth: 'basic',
          timeoutMs: CLIENT_TIMEOUT_MS,
        });
        const started = Date.now();
        try {
          await settles(() =>
            client.waitForTask('/redfish/v1/TaskService/Tasks/1', { timeoutMs: 400, pollIntervalMs: 20 }),
          );
        } finally {
          await client.close();
        }
        expect(Date.now() - started).toBeLessThan(400 + CLIENT_TIMEOUT_MS * 3);
      }),
      { runs: 15 },
    );
    current = null;
  });
});
