// The agent's calls to an API on HTTPS whose certificate a private CA
// signed: accepted with that CA (a fleet's `apiCa`, anvil-sim's --api-ca),
// refused without it, the refusal reported as a failure, not thrown.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpaApi, jsonCall } from '../../../../sim/agent/ipa-api.js';
import { makeServerCert, makeTestCa } from '../../../support/test-pki.js';

const NODE = '8a0e6d1c-3b2f-4a5e-9c7d-1e2f3a4b5c6d';
let dir: string;
let ca: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anvil-sim-api-tls-'));
  makeTestCa(dir, 'sim test CA');
  const api = makeServerCert(dir, { name: 'api', ip: '127.0.0.1', serial: '7' });
  ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
  server = createServer({ cert: readFileSync(api.cert), key: readFileSync(api.key) }, (req, res) => {
    if (req.url?.startsWith('/v1/lookup')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ node: { uuid: NODE }, config: { agent_token: 'tok-tls', heartbeat_timeout: 60 } }));
      return;
    }
    req.resume();
    res.writeHead(202).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('the agent’s calls to an https API', () => {
  it('look up and heartbeat through a dispatcher that trusts the CA', async () => {
    const dispatcher = new Agent({ connect: { ca } });
    try {
      const api = new IpaApi(url, 5_000, dispatcher);
      const signal = new AbortController().signal;
      expect(await api.lookup(['52:54:00:00:00:01'], null, signal)).toEqual({
        kind: 'found',
        answer: { nodeUuid: NODE, node: { uuid: NODE }, agentToken: 'tok-tls', heartbeatTimeoutS: 60 },
      });
      const beat = await api.heartbeat(
        NODE,
        {
          callback_url: 'http://127.0.0.1:9999',
          agent_token: 'tok-tls',
          agent_version: 'test',
          agent_status: 'start',
          agent_verify_ca: false,
        },
        signal,
      );
      expect(beat).toEqual({ status: 202 });
    } finally {
      await dispatcher.destroy();
    }
  });

  it('report a certificate nobody vouched for as a failure, without the CA', async () => {
    const answer = await jsonCall('GET', `${url}/v1/lookup`, undefined, new AbortController().signal, 5_000);
    expect(answer).toEqual({ failure: expect.stringMatching(/certificate/i) });
    const lookup = await new IpaApi(url, 5_000).lookup(['52:54:00:00:00:01'], null, new AbortController().signal);
    expect(lookup).toMatchObject({ kind: 'not-yet', detail: expect.stringMatching(/certificate/i) });
  });
});
