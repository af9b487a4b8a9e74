import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Role, type RunningService } from '../../../server/index.js';
import { loadConfig } from '../../../services/config/index.js';
import { openDatabase } from '../../../services/db/index.js';
import { RPC_SECRET_PURPOSE, signCall } from '../../../services/rpc/index.js';
import { SecretBox } from '../../../services/secrets/index.js';
import { createLogger } from '../../../services/logger.js';
import { startSimFleet, type SimFleet } from '../../../sim/fleet-runner.js';
import { createFleet } from '../../../sim/host/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../support/engines.js';

const postgresUp = await postgresAvailable();
const credentials = { username: 'admin', password: 'sim-secret' };

/**
 * DESIGN decision 13: an `--role api` process makes no BMC call; boot device,
 * BIOS, firmware and virtual media go to the conductor that owns the node,
 * over the conductor RPC. Two processes' worth of roles share one database.
 */
for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(
    `the API's hardware calls go to the conductor [${engine}]`,
    () => {
      let db: TestDatabase;
      let sim: SimFleet;
      let conductor: RunningService;
      let api: RunningService;
      const dirs: string[] = [];
      const secretKey = randomBytes(32).toString('hex');

      async function start(role: Role, name: string, env: Record<string, string> = {}): Promise<RunningService> {
        const dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-rpc-'));
        dirs.push(dataDir);
        const config = loadConfig({
          ANVIL_API_HOST: '127.0.0.1',
          ANVIL_API_PORT: '0',
          ANVIL_DATABASE_URL: db.url,
          ANVIL_DATA_DIR: dataDir,
          ANVIL_SECRET_KEY: secretKey,
          ANVIL_CONDUCTOR_NAME: name,
          ANVIL_CONDUCTOR_SWEEP_INTERVAL: '0.2',
          ANVIL_BMC_TIMEOUT: '2',
          ANVIL_BMC_ATTEMPTS: '2',
          ANVIL_BMC_RETRY_DELAY: '0.1',
          ...env,
        });
        const quiet = new Writable({ write: (_c, _e, done) => done() });
        return startService(config, { role, log: createLogger('info', quiet) });
      }

      async function call(method: string, urlPath: string, body?: unknown) {
        const res = await fetch(`${api.url}${urlPath}`, {
          method,
          headers: { 'X-OpenStack-Ironic-API-Version': '1.89', 'Content-Type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        return { status: res.status, text, body: text ? JSON.parse(text) : null };
      }

      beforeAll(async () => {
        db = await createTestDatabase(engine);
        sim = await startSimFleet({ fleet: createFleet({ count: 2, seed: 13 }), credentials });
        conductor = await start('conductor', 'rpc-conductor');
        api = await start('api', 'rpc-api');
      });
      afterAll(async () => {
        await api?.close();
        await conductor?.close();
        await sim?.close();
        await db?.drop();
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      });

      async function redfishNode(i: number): Promise<string> {
        const host = sim.manifest.hosts[i]!;
        const url = new URL(host.redfish.address.replace('redfish+', ''));
        const res = await call('POST', '/v1/nodes', {
          driver: 'redfish',
          name: `rpc-${i}`,
          driver_info: {
            redfish_address: `${url.protocol}//${url.host}`,
            redfish_system_id: url.pathname,
            redfish_username: credentials.username,
            redfish_password: credentials.password,
          },
        });
        expect(res.status, res.text).toBe(201);
        return res.body.uuid;
      }

      it('sets and reads the boot device, firmware and virtual media through the conductor', async () => {
        const uuid = await redfishNode(0);
        const set = await call('PUT', `/v1/nodes/${uuid}/management/boot_device`, {
          boot_device: 'pxe',
          persistent: true,
        });
        expect(set.status, set.text).toBe(204);
        expect(sim.fleet.get('sim-0')!.boot).toMatchObject({ target: 'pxe', enabled: 'continuous' });
        expect((await call('GET', `/v1/nodes/${uuid}/management/boot_device`)).body).toEqual({
          boot_device: 'pxe',
          persistent: true,
        });
        const supported = await call('GET', `/v1/nodes/${uuid}/management/boot_device/supported`);
        expect(supported.body.supported_boot_devices).toContain('cdrom');
        const firmware = await call('GET', `/v1/nodes/${uuid}/firmware`);
        expect(firmware.status, firmware.text).toBe(200);
        expect(firmware.body.firmware.length).toBeGreaterThan(0);
        const image = 'http://127.0.0.1:1/data.iso';
        const inserted = await call('POST', `/v1/nodes/${uuid}/vmedia`, { device_type: 'cdrom', image_url: image });
        expect(inserted.status, inserted.text).toBe(204);
        expect(sim.fleet.get('sim-0')!.media).toMatchObject({ image, inserted: true });
        const ejected = await call('DELETE', `/v1/nodes/${uuid}/vmedia`);
        expect(ejected.status, ejected.text).toBe(204);
        expect(sim.fleet.get('sim-0')!.media.inserted).toBe(false);
      });

      it("carries the conductor's typed refusals back as Ironic's status", async () => {
        const uuid = await redfishNode(1);
        const bad = await call('PUT', `/v1/nodes/${uuid}/management/boot_device`, { boot_device: 'floppy' });
        expect(bad.status, bad.text).toBe(400);
        expect(bad.text).toContain('floppy');
      });

      it('made no BMC call in the API process: its metrics count none', async () => {
        const metrics = await (await fetch(`${api.url}/metrics`)).text();
        expect(metrics).not.toMatch(/^anvil_bmc_call_duration_seconds_count\{/m);
      });

      it('refuses an RPC not signed with the shared secret, signed for another body, or replayed after a minute', async () => {
        const handle = openDatabase(db.url);
        let rpcUrl: string;
        try {
          const row = (await handle.knex('conductors').where({ hostname: 'rpc-conductor' }).first()) as {
            rpc_url: string;
          };
          rpcUrl = row.rpc_url;
        } finally {
          await handle.close();
        }
        expect(rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const node = (await call('GET', '/v1/nodes/rpc-0')).body.uuid as string;
        const secret = SecretBox.fromKey(Buffer.from(secretKey, 'hex')).derive(RPC_SECRET_PURPOSE);
        const body = JSON.stringify({ node, args: [] });
        const send = (signature: string, sent = body) =>
          fetch(`${rpcUrl}/rpc/v1/getBootDevice`, {
            method: 'POST',
            headers: { 'x-anvil-rpc-signature': signature, 'content-type': 'application/json' },
            body: sent,
          });
        // The same call, signed right, is served: what the refusals below lack is only the signature.
        expect((await send(signCall(secret, 'getBootDevice', body))).status).toBe(200);
        expect((await send(signCall('a guess', 'getBootDevice', body))).status).toBe(401);
        expect((await send(signCall(secret, 'getBootDevice', '{}'), body)).status).toBe(401);
        expect((await send(signCall(secret, 'setBootDevice', body))).status).toBe(401);
        expect((await send(signCall(secret, 'getBootDevice', body, Date.now() - 120_000))).status).toBe(401);
        expect((await send(`Bearer ${secret}`)).status).toBe(401);
      });

      it('answers 503 naming the conductor when the owner does not answer at its address', async () => {
        const handle = openDatabase(db.url);
        try {
          const at = new Date().toISOString();
          await handle.knex('conductors').insert({
            hostname: 'rpc-ghost',
            conductor_group: 'ghosts',
            online: true,
            heartbeat_at: at,
            created_at: at,
            // Nothing listens on port 1.
            rpc_url: 'http://127.0.0.1:1',
          });
        } finally {
          await handle.close();
        }
        const res = await call('POST', '/v1/nodes', {
          driver: 'fake-hardware',
          name: 'rpc-ghosted',
          conductor_group: 'ghosts',
        });
        expect(res.status, res.text).toBe(201);
        await new Promise((r) => setTimeout(r, 1100));
        const read = await call('GET', `/v1/nodes/${res.body.uuid}/management/boot_device`);
        expect(read.status, read.text).toBe(503);
        expect(read.text).toContain('Conductor rpc-ghost at http://127.0.0.1:1 could not be reached');
      });

      it('answers 503 at once, naming the cause, when no conductor is alive', async () => {
        const uuid = (await call('GET', '/v1/nodes/rpc-0')).body.uuid as string;
        await conductor.close();
        // The API's view of live conductors is cached for a second.
        await new Promise((r) => setTimeout(r, 1100));
        const started = Date.now();
        const res = await call('GET', `/v1/nodes/${uuid}/management/boot_device`);
        expect(res.status, res.text).toBe(503);
        expect(res.text).toContain('No conductor is alive');
        expect(Date.now() - started).toBeLessThan(5000);
      });
    },
  );
}
