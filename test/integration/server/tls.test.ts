// HTTPS on the API from certificate files: served, refused at start when the
// certificate and key do not belong together, and replaced in a running
// service (SIGHUP, or the files changing) for new connections while a
// keep-alive connection opened before carries on with its session.
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../../server/index.js';
import { loadConfig } from '../../../services/config/index.js';
import { createTestDatabase } from '../../support/engines.js';
import { makeServerCert, makeTestCa, type ServerCert } from '../../support/test-pki.js';
import { eventually, startTestService, type TestService } from '../../support/service.js';

interface Answer {
  status: number;
  /** The serial number of the certificate the connection's TLS session was set up with. */
  serial: string;
  socket: TLSSocket;
  /** Whether the request went over a connection an earlier request had opened. */
  reused: boolean;
}

/** GET /v1 over https trusting only `ca`; `agent: false` opens a connection of its own. */
function getV1(url: string, ca: Buffer, agent: https.Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${url}/v1`, { ca, agent }, (res) => {
      const socket = res.socket as TLSSocket;
      const serial = socket.getPeerCertificate().serialNumber;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, serial, socket, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

/** Replaces a file in one step (write beside it, rename over it), as certbot and cert-manager's tools do. */
function replaceFile(target: string, from: string): void {
  const next = `${target}.next`;
  copyFileSync(from, next);
  renameSync(next, target);
}

describe('the API over HTTPS from certificate files', () => {
  let dir: string;
  let ca: Buffer;
  let first: ServerCert;
  let second: ServerCert;
  let third: ServerCert;
  /** The paths the service is configured with; the tests put other pairs there. */
  let live: { cert: string; key: string };
  let svc: TestService;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-tls-'));
    ca = readFileSync(makeTestCa(dir, 'Anvil TLS test CA'));
    first = makeServerCert(dir, { name: 'first', ip: '127.0.0.1', serial: '0x1001' });
    second = makeServerCert(dir, { name: 'second', ip: '127.0.0.1', serial: '0x2002' });
    third = makeServerCert(dir, { name: 'third', ip: '127.0.0.1', serial: '0x3003' });
    live = { cert: path.join(dir, 'tls.crt'), key: path.join(dir, 'tls.key') };
    copyFileSync(first.cert, live.cert);
    copyFileSync(first.key, live.key);
    svc = await startTestService('sqlite', { ANVIL_TLS_CERT: live.cert, ANVIL_TLS_KEY: live.key });
  });
  afterAll(async () => {
    await svc?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API on https with the configured certificate, which a client without the CA refuses', async () => {
    expect(svc.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await getV1(svc.url, ca, false);
    expect(answer).toMatchObject({ status: 200, serial: first.serial });
    await expect(
      new Promise((resolve, reject) => https.get(`${svc.url}/v1`, { agent: false }, resolve).on('error', reject)),
    ).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('on SIGHUP, new connections get the new certificate and a keep-alive connection opened before keeps working', async () => {
    const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
    try {
      const before = await getV1(svc.url, ca, keepAlive);
      expect(before).toMatchObject({ status: 200, serial: first.serial, reused: false });

      replaceFile(live.key, second.key);
      replaceFile(live.cert, second.cert);
      const reloads = svc.logs.length;
      process.kill(process.pid, 'SIGHUP');
      // Sooner than the 2 s file check could: the signal did it.
      const fresh = await eventually(
        () => getV1(svc.url, ca, false),
        (a) => a.serial === second.serial,
        1500,
        50,
      );
      expect(fresh.status).toBe(200);
      expect(
        svc.logs.slice(reloads).some((l) => l.includes('TLS certificate reloaded') && l.includes('"why":"SIGHUP"')),
      ).toBe(true);

      const after = await getV1(svc.url, ca, keepAlive);
      expect(after.reused).toBe(true);
      expect(after.socket).toBe(before.socket);
      // The same TLS session as before the reload: its certificate is the first one still.
      expect(after).toMatchObject({ status: 200, serial: first.serial });
    } finally {
      keepAlive.destroy();
    }
  });

  it('picks up replaced certificate and key files by itself within seconds', async () => {
    const started = Date.now();
    replaceFile(live.key, third.key);
    replaceFile(live.cert, third.cert);
    const fresh = await eventually(
      () => getV1(svc.url, ca, false),
      (a) => a.serial === third.serial,
      5000,
      100,
    );
    expect(fresh.status).toBe(200);
    // The files are checked every 2 s (a loaded machine may add a little).
    expect(Date.now() - started).toBeLessThan(4500);
    await eventually(
      async () => svc.logs.some((l) => l.includes('TLS certificate reloaded') && l.includes('"why":"file changed"')),
      (seen) => seen,
      1000,
    );
  });

  it('keeps the certificate in use when the new files do not belong together, and says so', async () => {
    const reloads = svc.logs.length;
    replaceFile(live.key, first.key);
    replaceFile(live.cert, second.cert);
    process.kill(process.pid, 'SIGHUP');
    await eventually(
      async () => svc.logs.slice(reloads).some((l) => l.includes('TLS certificate NOT reloaded')),
      (seen) => seen,
      1000,
    );
    expect((await getV1(svc.url, ca, false)).serial).toBe(third.serial);
    // Put a good pair back so the file watcher has nothing left to complain about.
    replaceFile(live.key, third.key);
    replaceFile(live.cert, third.cert);
  });

  it('refuses to start with a certificate that does not match its key, naming both files', async () => {
    const db = await createTestDatabase('sqlite');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-tls-data-'));
    try {
      const config = loadConfig({
        ANVIL_API_HOST: '127.0.0.1',
        ANVIL_API_PORT: '0',
        ANVIL_HTTP_PORT: '0',
        ANVIL_TFTP_PORT: 'off',
        ANVIL_DATABASE_URL: db.url,
        ANVIL_DATA_DIR: dataDir,
        ANVIL_LOG_LEVEL: 'silent',
        ANVIL_TLS_CERT: first.cert,
        ANVIL_TLS_KEY: second.key,
      });
      const refused = await startService(config).then(
        async (service) => {
          await service.close();
          return null;
        },
        (err: unknown) => err as Error,
      );
      expect(refused?.message).toContain(
        `the TLS certificate ${first.cert} and key ${second.key} cannot be used together`,
      );
    } finally {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
