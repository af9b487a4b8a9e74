// Issue 5's fault Proofs, with the sim's fault injection: BMCs that fail a
// fifth of their requests and answer slowly, a BMC that hangs, a BMC that
// refuses the credentials, and a BMC that fails the one power check that
// follows a reboot, all driven through the REST API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { startTestService, type TestService } from '../support/service.js';
import {
  drive,
  enrollWithPorts,
  manifestHost,
  power,
  provision,
  reaches,
  settled,
  setFleetFaults,
  setHostFaults,
  simHost,
  type BmcProtocol,
} from './sim-nodes.js';

const protocolOf = (index: number): BmcProtocol => (index % 2 === 0 ? 'redfish' : 'ipmi');

describe('BMCs that fail 20% of requests and answer after 2 s', () => {
  let sim: SimFleet;
  let svc: TestService;

  beforeAll(async () => {
    sim = await startSimFleet({ fleet: createFleet({ count: 7, seed: 8 }) });
    svc = await startTestService('sqlite', {
      // One attempt must outlast an IPMI session set-up: five round trips of 2 s, and retransmissions.
      ANVIL_BMC_TIMEOUT: '30',
      // An attempt is several requests (log in, read, act), any of which may fail.
      ANVIL_BMC_ATTEMPTS: '10',
      ANVIL_BMC_RETRY_DELAY: '0.1',
      ANVIL_POWER_STATE_CHANGE_TIMEOUT: '20',
    });
  });

  afterAll(async () => {
    await svc?.close();
    await sim?.close();
  });

  /** Manage, provide, and deploy to wait call-back. */
  async function carry(uuid: string): Promise<Record<string, any>> {
    await drive(svc, uuid, { target: 'manage' }, 'manageable', 100_000);
    await drive(svc, uuid, { target: 'provide' }, 'available', 100_000);
    return drive(svc, uuid, { target: 'active' }, 'wait call-back', 100_000);
  }

  it('still takes Redfish and IPMI nodes through manage, provide and deploy, the retries getting through', async () => {
    // What the same work costs a Redfish BMC that never fails: a fixed number of requests.
    const control = manifestHost(sim, 6);
    await carry(await enrollWithPorts(svc, control, 'redfish'));
    const cleanRun = (await simHost(sim, control.name)).history.length;

    await setFleetFaults(sim, { errorRate: 0.2, latencyMs: 2000 });
    const hosts = [0, 1, 2, 3, 4, 5].map((i) => ({ host: manifestHost(sim, i), protocol: protocolOf(i) }));
    const nodes = await Promise.all(
      hosts.map(async ({ host, protocol }) => ({
        host,
        protocol,
        node: await carry(await enrollWithPorts(svc, host, protocol)),
      })),
    );

    let retried = 0;
    for (const { host, protocol, node } of nodes) {
      expect(node.last_error, host.name).toBeNull();
      expect(node.power_state, host.name).toBe('power on');
      const machine = await simHost(sim, host.name);
      expect(machine.power, host.name).toBe('On');
      expect(machine.lastBoot, host.name).toMatchObject({ device: 'pxe', outcome: 'booted' });
      expect(machine.bootCount, host.name).toBe(1);
      expect(machine.maxInFlight, host.name).toBeLessThanOrEqual(1);
      // A Redfish BMC records every request, failed ones too: each one past the clean run is a retry.
      if (protocol === 'redfish') {
        expect(machine.history.length, host.name).toBeGreaterThanOrEqual(cleanRun);
        retried += machine.history.length - cleanRun;
      }
    }
    expect(retried, 'no Redfish request failed: nothing was retried').toBeGreaterThan(0);
  });
});

describe('a BMC that hangs', () => {
  const TIMEOUT_S = 2;
  const ATTEMPTS = 2;
  let sim: SimFleet;
  let svc: TestService;

  beforeAll(async () => {
    sim = await startSimFleet({ fleet: createFleet({ count: 4, seed: 9 }) });
    svc = await startTestService('sqlite', {
      ANVIL_BMC_TIMEOUT: String(TIMEOUT_S),
      ANVIL_BMC_ATTEMPTS: String(ATTEMPTS),
      ANVIL_BMC_RETRY_DELAY: '0.1',
    });
  });

  afterAll(async () => {
    await svc?.close();
    await sim?.close();
  });

  it('fails that node back to enroll within its timeout, with an error naming the BMC, while the other nodes reach their targets', async () => {
    const hung = [0, 1].map((i) => ({ host: manifestHost(sim, i), protocol: protocolOf(i) }));
    const healthy = [2, 3].map((i) => ({ host: manifestHost(sim, i), protocol: protocolOf(i) }));
    for (const { host } of hung) await setHostFaults(sim, host.name, { hang: true });
    const hungNodes = await Promise.all(
      hung.map(async (h) => ({ ...h, uuid: await enrollWithPorts(svc, h.host, h.protocol) })),
    );
    const healthyNodes = await Promise.all(
      healthy.map(async (h) => ({ ...h, uuid: await enrollWithPorts(svc, h.host, h.protocol) })),
    );

    const started = Date.now();
    for (const { uuid } of [...hungNodes, ...healthyNodes])
      expect((await provision(svc, uuid, { target: 'manage' })).status).toBe(202);

    // The healthy nodes go all the way to wait call-back while the hung BMCs still have not answered.
    await Promise.all(
      healthyNodes.map(async ({ uuid }) => {
        await reaches(svc, uuid, 'manageable');
        await drive(svc, uuid, { target: 'provide' }, 'available');
        const node = await drive(svc, uuid, { target: 'active' }, 'wait call-back');
        expect(node.last_error).toBeNull();
      }),
    );
    for (const { uuid } of hungNodes) {
      expect((await svc.request('GET', `/v1/nodes/${uuid}`)).body.provision_state).toBe('verifying');
    }

    // Each attempt gets the timeout, with one short back-off between them; two seconds of slack for a busy machine.
    const bound = TIMEOUT_S * ATTEMPTS * 1000 + 2000;
    for (const { host, protocol, uuid } of hungNodes) {
      const node = await reaches(svc, uuid, 'enroll', bound);
      const elapsed = Date.now() - started;
      expect(elapsed, host.name).toBeGreaterThanOrEqual(TIMEOUT_S * ATTEMPTS * 1000);
      expect(elapsed, host.name).toBeLessThan(bound);
      const bmc = protocol === 'redfish' ? `/redfish/v1/Systems/${host.name}` : new URL(host.ipmi.address).host;
      expect(node.last_error).toMatch(
        new RegExp(
          `^Failed to verify the BMC for node ${uuid}: ${protocol} get_power_state on .*${bmc.replaceAll('.', '\\.')}`,
        ),
      );
      expect(node.last_error).toMatch(
        new RegExp(`failed after ${ATTEMPTS} attempts: (.*: )?no answer within \\d+ ms$`),
      );
    }

    // Once the BMC answers again, the same request goes through.
    for (const { host, uuid } of hungNodes) {
      await setHostFaults(sim, host.name, {});
      const node = await drive(svc, uuid, { target: 'manage' }, 'manageable');
      expect(node.last_error).toBeNull();
    }
    for (const { host } of [...hung, ...healthy])
      expect((await simHost(sim, host.name)).maxInFlight, host.name).toBeLessThanOrEqual(1);
  });
});

describe('a BMC that refuses the credentials', () => {
  const REDFISH_PASSWORD = 'Rf-S3cret-9';
  let sim: SimFleet;
  let svc: TestService;

  beforeAll(async () => {
    sim = await startSimFleet({
      fleet: createFleet({ count: 2, seed: 10 }),
      credentials: { username: 'admin', password: REDFISH_PASSWORD },
    });
    svc = await startTestService('sqlite', { ANVIL_BMC_ATTEMPTS: '3' });
  });

  afterAll(async () => {
    await svc?.close();
    await sim?.close();
  });

  it('fails verifying back to enroll at the first refusal, naming authentication and never the password', async () => {
    for (const [index, protocol] of [
      [0, 'redfish'],
      [1, 'ipmi'],
    ] as const) {
      const host = manifestHost(sim, index);
      const password = protocol === 'redfish' ? host.redfish.password : host.ipmi.password;
      await setHostFaults(sim, host.name, { refuseAuth: true });
      const uuid = await enrollWithPorts(svc, host, protocol);

      const node = await drive(svc, uuid, { target: 'manage' }, 'enroll');
      expect(node.last_error, protocol).toMatch(
        new RegExp(`^Failed to verify the BMC for node ${uuid}: BMC authentication failed`),
      );
      // Retrying refused credentials locks BMC accounts: one attempt only.
      expect(node.last_error, protocol).not.toContain('attempts');
      expect(node.last_error, protocol).not.toContain(password);
      expect(node.driver_info[`${protocol}_password`]).toBe('******');
      expect(node.power_state).toBeNull();
      expect(svc.logs.filter((line) => line.includes(password))).toEqual([]);
    }
  });
});

describe('a BMC that fails the first power check after a reboot', () => {
  let sim: SimFleet;
  let svc: TestService;
  /** The host whose next power check after a reboot fails, once. */
  let armed: { name: string; rebootSeen: (commands: string[]) => boolean } | null = null;

  beforeAll(async () => {
    sim = await startSimFleet({
      fleet: createFleet({ count: 2, seed: 11 }),
      // Only the armed host has an error rate, so only its requests draw: the
      // first one after the reboot is failed, every other one goes through.
      random: () => {
        const host = armed === null ? undefined : sim.fleet.get(armed.name);
        if (armed === null || host === undefined || !armed.rebootSeen(host.history.map((c) => c.command))) return 0.99;
        armed = null;
        return 0;
      },
    });
    svc = await startTestService('sqlite', { ANVIL_BMC_ATTEMPTS: '3', ANVIL_POWER_STATE_CHANGE_TIMEOUT: '5' });
  });

  afterAll(async () => {
    await svc?.close();
    await sim?.close();
  });

  it('does not send the reboot twice when deploying a running node: the one boot it makes is the PXE boot', async () => {
    const cases = [
      // Over Redfish the failed request is itself recorded: the GET right after the reset.
      {
        index: 0,
        protocol: 'redfish' as const,
        rebootSeen: (c: string[]) =>
          c.at(-2)?.endsWith('/Actions/ComputerSystem.Reset') === true && c.at(-1)?.startsWith('GET') === true,
      },
      // Over IPMI a command failed with a completion code is never carried out, so never recorded.
      { index: 1, protocol: 'ipmi' as const, rebootSeen: (c: string[]) => c.at(-1) === 'IPMI Chassis Control cycle' },
    ];
    for (const { index, protocol, rebootSeen } of cases) {
      const host = manifestHost(sim, index);
      const uuid = await enrollWithPorts(svc, host, protocol);
      await drive(svc, uuid, { target: 'manage' }, 'manageable');
      expect((await power(svc, uuid, 'power on')).status).toBe(202);
      expect((await settled(svc, uuid)).power_state).toBe('power on');
      await drive(svc, uuid, { target: 'provide' }, 'available');
      const before = await simHost(sim, host.name);
      expect(before.power).toBe('On');

      armed = { name: host.name, rebootSeen };
      await setHostFaults(sim, host.name, { errorRate: 0.5 });
      const node = await drive(svc, uuid, { target: 'active' }, 'wait call-back');
      await setHostFaults(sim, host.name, {});
      expect(armed, `${protocol}: the power check after the reboot was never failed`).toBeNull();

      expect(node.last_error).toBeNull();
      const after = await simHost(sim, host.name);
      expect(after.bootCount - before.bootCount, protocol).toBe(1);
      expect(after.lastBoot, protocol).toMatchObject({ device: 'pxe', outcome: 'booted' });
    }
  });
});
