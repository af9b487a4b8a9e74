// Node health (API 1.109) as power sync caches it from the BMC, as Ironic's
// node_cache_health does: Redfish sim hosts whose hardware verdict the sim's
// control API changes, read back through the REST API and the node's history.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { enrollmentFromAddress } from '../../../../bmc-drivers/index.js';
import { startSimFleet, type SimFleet } from '../../../../sim/fleet-runner.js';
import { createFleet } from '../../../../sim/host/index.js';
import { describeOnEngines, eventually, type TestService } from '../../../support/service.js';

const credentials = { username: 'admin', password: 'sim-password' };
let sim: SimFleet;

beforeAll(async () => {
  sim = await startSimFleet({ fleet: createFleet({ count: 2, seed: 41 }), credentials });
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(async () => {
  // Each engine's service meets the machines as they were built.
  for (const host of sim.fleet.hosts) await setSim(host.name, 'health', { health: 'OK' });
  await setSim(null, 'faults', {});
});

/** A Redfish node for sim host `i`, taken to manageable, so power sync looks after it. */
async function manageableNode(svc: TestService, i: number): Promise<{ uuid: string; host: string }> {
  const host = sim.manifest.hosts[i]!;
  return { uuid: await manageableRedfishNode(svc, host.name, host.redfish), host: host.name };
}

async function manageableRedfishNode(
  svc: TestService,
  name: string,
  bmc: { address: string; username: string; password: string },
): Promise<string> {
  const { driver, driverInfo } = enrollmentFromAddress(bmc.address, bmc);
  const res = await svc.request('POST', '/v1/nodes', { driver, name, driver_info: driverInfo });
  expect(res.status, res.text).toBe(201);
  await svc.request('PUT', `/v1/nodes/${res.body.uuid}/states/provision`, { target: 'manage' });
  await eventually(
    () => svc.request('GET', `/v1/nodes/${res.body.uuid}`),
    (r) => r.body.provision_state === 'manageable' && r.body.reservation === null,
    30_000,
  );
  return res.body.uuid as string;
}

/** The sim's control API: a host's health or faults, or (host null) the fleet's faults. */
async function setSim(host: string | null, what: 'health' | 'faults', body: unknown): Promise<void> {
  const path = host === null ? `/sim/v1/${what}` : `/sim/v1/hosts/${host}/${what}`;
  const res = await fetch(`${sim.redfish.url}${path}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

const nodeAt = async (svc: TestService, uuid: string, version: string) =>
  (await svc.request('GET', `/v1/nodes/${uuid}`, undefined, version)).body;

interface HistoryItem {
  event: string;
  event_type: string;
  severity: string;
}
const history = async (svc: TestService, uuid: string): Promise<HistoryItem[]> =>
  (await svc.request('GET', `/v1/nodes/${uuid}/history?detail=true`)).body.history;

describeOnEngines(
  'power sync caches the health the BMC reports',
  (svc) => {
    it('shows a Critical verdict from 1.109 with a history entry, an older one never, and Warning once the BMC stops answering', async () => {
      const { uuid, host } = await manageableNode(svc(), 0);
      await eventually(
        () => history(svc(), uuid),
        (h) => h.some((e) => e.event === "Node health status changed: health='OK' (previously 'None')"),
        30_000,
      );
      await setSim(host, 'health', { health: 'Critical' });
      const critical = await eventually(
        () => nodeAt(svc(), uuid, '1.109'),
        (n) => n.health === 'Critical',
        30_000,
      );
      expect(critical.power_state).not.toBeNull();
      expect(await nodeAt(svc(), uuid, '1.108')).not.toHaveProperty('health');
      expect(await nodeAt(svc(), uuid, '1.78')).not.toHaveProperty('health');
      const changes = (await history(svc(), uuid)).filter((e) => e.event_type === 'monitoring');
      expect(changes.map(({ event, severity }) => ({ event, severity }))).toEqual([
        { event: "Node health status changed: health='OK' (previously 'None')", severity: 'INFO' },
        { event: "Node health status changed: health='Critical' (previously 'OK')", severity: 'INFO' },
      ]);

      // The part is replaced: OK again. Then the BMC hangs: the node must not keep showing that OK.
      await setSim(host, 'health', { health: 'OK' });
      await eventually(
        () => nodeAt(svc(), uuid, '1.109'),
        (n) => n.health === 'OK',
        30_000,
      );
      await setSim(host, 'faults', { hang: true });
      try {
        const unreachable = await eventually(
          () => nodeAt(svc(), uuid, '1.109'),
          (n) => n.fault === 'power failure',
          30_000,
        );
        expect(unreachable.health).toBe('Warning');
      } finally {
        await setSim(host, 'faults', {});
      }
    }, 90_000);
  },
  {
    ANVIL_POWER_SYNC_INTERVAL: '0.3',
    ANVIL_POWER_SYNC_MAX_RETRIES: '2',
    ANVIL_POWER_FAILURE_RECOVERY_INTERVAL: '60',
    ANVIL_BMC_ATTEMPTS: '1',
  },
);

describeOnEngines(
  'power sync with health monitoring off',
  (svc) => {
    it('never reads the BMC’s verdict: a Critical machine shows what Anvil derives, and no health history', async () => {
      const { uuid, host } = await manageableNode(svc(), 1);
      await svc().request('PUT', `/v1/nodes/${uuid}/states/power`, { target: 'power off' });
      await eventually(
        () => svc().request('GET', `/v1/nodes/${uuid}`),
        (r) => r.body.power_state === 'power off' && r.body.target_power_state === null && r.body.reservation === null,
        30_000,
      );
      await setSim(host, 'health', { health: 'Critical' });
      // Power on behind Anvil's back: the pass that sees it runs after the verdict changed,
      // and with monitoring on would have read it before forcing the power back.
      sim.fleet.get(host)!.powerAction('On');
      await eventually(
        () => history(svc(), uuid),
        (h) =>
          h.some(
            (e) =>
              e.event ===
              'Power sync: the hardware was power on, recorded power off; the recorded state was forced onto the hardware',
          ),
        30_000,
      );
      expect((await nodeAt(svc(), uuid, '1.109')).health).toBe('OK');
      expect((await history(svc(), uuid)).filter((e) => e.event_type === 'monitoring')).toEqual([]);
    }, 60_000);
  },
  { ANVIL_POWER_SYNC_INTERVAL: '0.3', ANVIL_ENABLE_HEALTH_MONITORING: 'false' },
);

/** A one-system Redfish BMC, powered on and healthy, that counts the reads of its System. */
class CountingBmc {
  systemReads = 0;
  private readonly server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => this.answer(req, res));
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `redfish+http://127.0.0.1:${(this.server.address() as AddressInfo).port}/redfish/v1/Systems/1`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    if (req.method === 'POST' && path.endsWith('/Sessions')) {
      res.writeHead(201, { 'X-Auth-Token': 'tok', Location: '/redfish/v1/SessionService/Sessions/1' }).end('{}');
      return;
    }
    if (req.method === 'DELETE') return void res.writeHead(204).end();
    if (req.method === 'GET' && path === '/redfish/v1') {
      return this.json(res, { '@odata.id': '/redfish/v1', Systems: { '@odata.id': '/redfish/v1/Systems' } });
    }
    if (req.method === 'GET' && path === '/redfish/v1/Systems/1') {
      this.systemReads += 1;
      return this.json(res, {
        '@odata.id': '/redfish/v1/Systems/1',
        Id: '1',
        PowerState: 'On',
        Status: { State: 'Enabled', Health: 'OK' },
      });
    }
    res.writeHead(404).end();
  }

  private json(res: http.ServerResponse, body: object): void {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }
}

/** Power sync passes run so far, as /metrics counts them. */
async function syncPasses(svc: TestService): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const count = /^anvil_power_sync_pass_duration_seconds_count(?:\{[^}]*\})? (\d+)/m.exec(text);
  if (count === null) throw new Error('no power sync pass count in /metrics');
  return Number(count[1]);
}

describeOnEngines(
  'power sync reading a Redfish BMC',
  (svc) => {
    it('reads the power state and the health in one GET of the System per pass', async () => {
      const bmc = new CountingBmc();
      try {
        const address = await bmc.start();
        const uuid = await manageableRedfishNode(svc(), 'counted-bmc', { address, username: 'admin', password: 'pw' });
        await eventually(
          () => nodeAt(svc(), uuid, '1.109'),
          (n) => n.power_state === 'power on' && n.health === 'OK',
          30_000,
        );
        const [passes, reads] = [await syncPasses(svc()), bmc.systemReads];
        await new Promise((r) => setTimeout(r, 2_000));
        const [passesAfter, readsAfter] = [await syncPasses(svc()), bmc.systemReads];
        const ran = passesAfter - passes;
        expect(ran).toBeGreaterThanOrEqual(3);
        // A pass may be under way at either count: one read more or fewer, never two per pass.
        expect(readsAfter - reads).toBeGreaterThanOrEqual(ran - 1);
        expect(readsAfter - reads).toBeLessThanOrEqual(ran + 1);
      } finally {
        await bmc.close();
      }
    }, 60_000);
  },
  { ANVIL_POWER_SYNC_INTERVAL: '0.3' },
);
