import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseRedfishAddress,
  RedfishClient,
  RedfishError,
  RedfishHttpError,
  RedfishProtocolError,
} from '../../../../bmc-drivers/redfish/index.js';
import { systemSchema } from '../../../../bmc-drivers/redfish/schemas.js';

// Whatever a broken BMC answers, the client ends in a value or a typed error.

let answer: { status: number; body: Buffer } = { status: 200, body: Buffer.from('{}') };
let server: http.Server;
let client: RedfishClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.endsWith('/Sessions')) {
        res.writeHead(201, { 'X-Auth-Token': 't', Location: '/redfish/v1/SessionService/Sessions/1' }).end('{}');
        return;
      }
      res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new RedfishClient({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { username: 'u', password: 'p4ss' },
    timeoutMs: 2000,
  });
});

afterAll(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const statuses = fc.constantFrom(200, 201, 202, 204, 400, 403, 404, 409, 412, 500, 503);
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify({ error: v }))),
  fc
    .record({
      Id: fc.jsonValue({ maxDepth: 1 }),
      PowerState: fc.jsonValue({ maxDepth: 1 }),
      Boot: fc.jsonValue({ maxDepth: 2 }),
    })
    .map((v) => Buffer.from(JSON.stringify(v))),
);

describe('Redfish client properties', () => {
  it('turns any answer into a value or a typed RedfishError, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(statuses, bodies, async (status, body) => {
        answer = { status, body };
        try {
          const { body: system } = await client.getAs('/redfish/v1/Systems/1', systemSchema);
          expect(status).toBeLessThan(400);
          expect(typeof system.Id).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(RedfishError);
          if (status >= 400) expect(err).toBeInstanceOf(RedfishHttpError);
          else expect(err).toBeInstanceOf(RedfishProtocolError);
          expect((err as Error).message).not.toContain('p4ss');
        }
      }),
      { numRuns: 150 },
    );
  });

  it('never puts the password in an error message, even when the BMC echoes it', async () => {
    answer = { status: 400, body: Buffer.from(JSON.stringify({ error: { message: 'bad password p4ss for u' } })) };
    const err = await client.get('/redfish/v1/Systems/1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedfishHttpError);
    expect((err as RedfishHttpError).redfishMessage).toBe('bad password ****** for u');
  });

  it('parses any address into a typed result or a RedfishProtocolError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (address) => {
        try {
          const parsed = parseRedfishAddress(address);
          expect(parsed.baseUrl).toMatch(/^https?:\/\//);
        } catch (err) {
          expect(err).toBeInstanceOf(RedfishProtocolError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads redfish+http, redfish:// and bare hosts like Ironic', () => {
    expect(parseRedfishAddress('redfish+http://127.0.0.1:8000/redfish/v1/Systems/sim-0')).toEqual({
      baseUrl: 'http://127.0.0.1:8000',
      systemPath: '/redfish/v1/Systems/sim-0',
    });
    expect(parseRedfishAddress('redfish://10.0.0.5/redfish/v1/Systems/System.Embedded.1/')).toEqual({
      baseUrl: 'https://10.0.0.5',
      systemPath: '/redfish/v1/Systems/System.Embedded.1',
    });
    expect(parseRedfishAddress('10.0.0.6')).toEqual({ baseUrl: 'https://10.0.0.6', systemPath: null });
    expect(() => parseRedfishAddress('redfish+http://admin:pw@10.0.0.5/')).toThrow(RedfishProtocolError);
    expect(() => parseRedfishAddress('ipmi://10.0.0.5')).toThrow(RedfishProtocolError);
  });
});
