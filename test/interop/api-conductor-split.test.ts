// DESIGN decision 13, proved on a network: the API process runs in a
// namespace of its own whose only link is a veth to the conductor's side (the
// root namespace, where the Redfish sim listens on loopback). Every hardware
// endpoint works through the conductor's RPC, and the API namespace's own
// iptables counts every TCP connection it opened: to the conductor and the
// database across the veth, to itself through the test's relay, never to a BMC.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { startAnvilProcess, type AnvilProcess } from '../e2e/anvil-process.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/engines.js';
import { NsProcess, RelayedHttp, REPO } from './provision-netns-rig.js';
import { requireTool } from './tools.js';

const haveTools = requireTool('ip') && requireTool('iptables');
const postgresUp = await postgresAvailable();
if (!postgresUp) {
  const line = '!!! interop: PostgreSQL is not answering; the API/conductor split test is SKIPPED';
  if (process.env.CI === 'true') throw new Error(`${line} — refused under CI=true`);
  console.warn(line);
}

const ROOT_SIDE = '10.77.31.1';
const NS_SIDE = '10.77.31.2';
const API_PORT = 16385;
const credentials = { username: 'admin', password: 'split-secret' };

describe.skipIf(!haveTools || !postgresUp)('the API process reaches BMCs only through the conductor', () => {
  const ns = `anvil-split${process.pid}`;
  const veth = `asp${process.pid % 100000}`;
  const secretKey = randomBytes(32).toString('hex');
  let db: TestDatabase;
  let sim: SimFleet;
  let dbRelay: net.Server;
  let conductor: AnvilProcess | undefined;
  let anvilApi: NsProcess | undefined;
  let relay: NsProcess | undefined;
  let api: RelayedHttp;
  let dir = '';

  const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-split-'));
    sh('ip', 'netns', 'add', ns);
    sh('ip', 'link', 'add', `${veth}a`, 'type', 'veth', 'peer', 'name', `${veth}b`);
    sh('ip', 'link', 'set', `${veth}b`, 'netns', ns);
    sh('ip', 'addr', 'add', `${ROOT_SIDE}/30`, 'dev', `${veth}a`);
    sh('ip', 'link', 'set', `${veth}a`, 'up');
    sh('ip', '-n', ns, 'addr', 'add', `${NS_SIDE}/30`, 'dev', `${veth}b`);
    sh('ip', '-n', ns, 'link', 'set', `${veth}b`, 'up');
    sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    // Every TCP connection the API namespace opens, by where it goes: the last rule counts the rest.
    const ipt = (...args: string[]) => sh('ip', 'netns', 'exec', ns, 'iptables', ...args);
    ipt('-N', 'OPENED');
    ipt('-A', 'OUTPUT', '-p', 'tcp', '--syn', '-j', 'OPENED');
    ipt('-A', 'OPENED', '-d', `${ROOT_SIDE}/32`, '-j', 'RETURN');
    ipt('-A', 'OPENED', '-o', 'lo', '-p', 'tcp', '--dport', String(API_PORT), '-j', 'RETURN');
    ipt('-A', 'OPENED', '-j', 'RETURN');

    db = await createTestDatabase('postgres');
    // PostgreSQL listens on the root namespace's loopback: the test carries the API's connections there.
    const pg = new URL(db.url);
    dbRelay = net.createServer((client) => {
      const upstream = net.connect({ host: pg.hostname, port: Number(pg.port || 5432) });
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => dbRelay.listen(0, ROOT_SIDE, resolve));
    const relayed = new URL(db.url);
    relayed.hostname = ROOT_SIDE;
    relayed.port = String((dbRelay.address() as net.AddressInfo).port);

    sim = await startSimFleet({ fleet: createFleet({ count: 1, seed: 31 }), credentials });
    const common = {
      ANVIL_SECRET_KEY: secretKey,
      ANVIL_LOG_LEVEL: 'info',
      ANVIL_CONDUCTOR_SWEEP_INTERVAL: '0.2',
      ANVIL_BMC_TIMEOUT: '2',
      ANVIL_BMC_ATTEMPTS: '2',
    };
    conductor = await startAnvilProcess('conductor', 'conductor', {
      ...common,
      ANVIL_DATABASE_URL: db.url,
      ANVIL_DATA_DIR: path.join(dir, 'conductor'),
      ANVIL_CONDUCTOR_NAME: 'split-conductor',
      ANVIL_CONDUCTOR_RPC_HOST: ROOT_SIDE,
    });
    anvilApi = new NsProcess(
      'api',
      ns,
      [process.execPath, '--import', 'tsx', path.join(REPO, 'cli', 'anvil.ts'), 'serve', '--role', 'api'],
      {
        ...common,
        ANVIL_DATABASE_URL: relayed.toString(),
        ANVIL_DATA_DIR: path.join(dir, 'api'),
        ANVIL_CONDUCTOR_NAME: 'split-api',
        ANVIL_API_HOST: '127.0.0.1',
        ANVIL_API_PORT: String(API_PORT),
      },
    );
    await anvilApi.waitFor((l) => l.includes('anvil API listening'), 60_000, 'the API listening');
    const socket = path.join(dir, 'api.sock');
    relay = new NsProcess(
      'relay',
      ns,
      [
        process.execPath,
        '--import',
        'tsx',
        path.join(REPO, 'test', 'interop', 'provision-netns-relay.ts'),
        `${socket}=127.0.0.1:${API_PORT}`,
      ],
      {},
    );
    await relay.waitFor((l) => l.includes('"ready"'), 30_000, 'the relay ready');
    api = new RelayedHttp(socket, `http://127.0.0.1:${API_PORT}`);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await relay?.stop();
    await anvilApi?.stop();
    await conductor?.kill('SIGTERM');
    await sim?.close();
    await new Promise<void>((resolve) => (dbRelay ? dbRelay.close(() => resolve()) : resolve()));
    await db?.drop();
    spawnSync('ip', ['link', 'del', `${veth}a`]);
    spawnSync('ip', ['netns', 'del', ns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Connections opened from the API namespace: [to the conductor's side, to its own API, anywhere else]. */
  function opened(): number[] {
    const out = execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-L', 'OPENED', '-v', '-n', '-x'], {
      encoding: 'utf8',
    });
    return out
      .split('\n')
      .slice(2)
      .map((l) => l.trim().split(/\s+/))
      .filter((cols) => cols.length >= 8)
      .map((cols) => Number(cols[0]));
  }

  it('has no route from the API namespace to the BMC', () => {
    const bmc = new URL(sim.manifest.hosts[0]!.redfish.address.replace('redfish+', ''));
    // The sim listens on the root namespace's loopback, which the API namespace cannot see.
    const probe = spawnSync('ip', ['netns', 'exec', ns, 'bash', '-c', `exec 3<>/dev/tcp/${bmc.hostname}/${bmc.port}`], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(probe.status).not.toBe(0);
    expect(spawnSync('ip', ['-n', ns, 'route', 'show', 'default'], { encoding: 'utf8' }).stdout).toBe('');
  });

  it('serves boot device, firmware and virtual media, and opened no connection but to the conductor side', async () => {
    const before = opened();
    const bmc = new URL(sim.manifest.hosts[0]!.redfish.address.replace('redfish+', ''));
    const created = await api.request('POST', '/v1/nodes', {
      driver: 'redfish',
      name: 'split-0',
      driver_info: {
        redfish_address: `${bmc.protocol}//${bmc.host}`,
        redfish_system_id: bmc.pathname,
        redfish_username: credentials.username,
        redfish_password: credentials.password,
      },
    });
    expect(created.status, created.text).toBe(201);
    const uuid = created.body.uuid as string;
    const set = await api.request('PUT', `/v1/nodes/${uuid}/management/boot_device`, {
      boot_device: 'pxe',
      persistent: true,
    });
    expect(set.status, set.text).toBe(204);
    expect(sim.fleet.get('sim-0')!.boot).toMatchObject({ target: 'pxe', enabled: 'continuous' });
    expect((await api.request('GET', `/v1/nodes/${uuid}/management/boot_device`)).body).toEqual({
      boot_device: 'pxe',
      persistent: true,
    });
    const supported = await api.request('GET', `/v1/nodes/${uuid}/management/boot_device/supported`);
    expect(supported.body.supported_boot_devices).toContain('pxe');
    const firmware = await api.request('GET', `/v1/nodes/${uuid}/firmware`, undefined, '1.89');
    expect(firmware.status, firmware.text).toBe(200);
    expect(firmware.body.firmware.length).toBeGreaterThan(0);
    const image = 'http://127.0.0.1:1/split.iso';
    const inserted = await api.request(
      'POST',
      `/v1/nodes/${uuid}/vmedia`,
      { device_type: 'cdrom', image_url: image },
      '1.89',
    );
    expect(inserted.status, inserted.text).toBe(204);
    expect(sim.fleet.get('sim-0')!.media).toMatchObject({ image, inserted: true });
    expect((await api.request('DELETE', `/v1/nodes/${uuid}/vmedia`, undefined, '1.89')).status).toBe(204);
    expect(sim.fleet.get('sim-0')!.media.inserted).toBe(false);
    // Power goes through the conductor too (written as intent, done there).
    const power = await api.request('PUT', `/v1/nodes/${uuid}/states/power`, { target: 'power on' });
    expect(power.status, power.text).toBe(202);
    const deadline = Date.now() + 30_000;
    while (sim.fleet.get('sim-0')!.power !== 'On' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(sim.fleet.get('sim-0')!.power).toBe('On');
    // The conductor holds the node until it has recorded the new power state: wait for it to let go.
    while (Date.now() < deadline) {
      const node = (await api.request('GET', `/v1/nodes/${uuid}`)).body;
      if (node.reservation === null && node.target_power_state === null) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const nmis = sim.fleet.get('sim-0')!.nmiCount;
    const nmi = await api.request('PUT', `/v1/nodes/${uuid}/management/inject_nmi`, {}, '1.29');
    expect(nmi.status, nmi.text).toBe(204);
    expect(sim.fleet.get('sim-0')!.nmiCount).toBe(nmis + 1);

    const after = opened();
    expect(after[0]! - before[0]!, 'connections to the conductor side (RPC, database)').toBeGreaterThan(0);
    expect(after[1]! - before[1]!, "the test's own calls to the API").toBeGreaterThan(0);
    // (The route probe above counts there, once: hence the difference.)
    expect(after[2]! - before[2]!, 'connections anywhere else (a BMC)').toBe(0);
  });
});
