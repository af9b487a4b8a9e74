// The agent's calls to an API on HTTPS whose certificate a private CA
// signed: accepted with that CA (a fleet's `apiCa`, anvil-sim's --api-ca),
// refused without it, the refusal reported as a failure, not thrown.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpaApi, jsonCall } from '../../../../sim/agent/ipa-api.js';

const NODE = '8a0e6d1c-3b2f-4a5e-9c7d-1e2f3a4b5c6d';
let dir: string;
let ca: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anvil-sim-api-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', timeout: 20_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=sim test CA',
  );
  openssl('req', ...ec, '-keyout', file('api.key'), '-out', file('api.csr'), '-subj', '/CN=api');
  writeFileSync(file('api.ext'), 'subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('api.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-set_serial',
    '7',
    '-days',
    '1',
    '-extfile',
    file('api.ext'),
    '-out',
    file('api.pem'),
  );
  ca = readFileSync(file('ca.pem'), 'utf8');
  server = createServer({ cert: readFileSync(file('api.pem')), key: readFileSync(file('api.key')) }, (req, res) => {
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
        answer: { nodeUuid: NODE, agentToken: 'tok-tls', heartbeatTimeoutS: 60 },
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
