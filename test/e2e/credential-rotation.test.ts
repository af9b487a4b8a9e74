// Drill (issue 18): a BMC's password is rotated. Metal3's users report
// edited credentials not being picked up; here the new password is used on
// the next call, sessions are established again, and no client keeps
// hammering a BMC with a dead password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { enroll, power, provision, reaches } from './sim-nodes.js';

const OLD = 'old-password-1';
const NEW = 'new-password-2';
/** Power sync every second; three failed syncs put a node in maintenance (Ironic's default). */
const SYNC_SECONDS = 1;

let sim: SimFleet;
let svc: TestService;

beforeAll(async () => {
  sim = await startSimFleet({
    fleet: createFleet({ count: 2, seed: 31 }),
    credentials: { username: 'admin', password: OLD },
  });
  svc = await startTestService('sqlite', {
    ANVIL_LOG_LEVEL: 'warn',
    ANVIL_POWER_SYNC_INTERVAL: String(SYNC_SECONDS),
    ANVIL_POWER_SYNC_MAX_RETRIES: '3',
    ANVIL_POWER_FAILURE_RECOVERY_INTERVAL: '1',
  });
});
afterAll(async () => {
  await svc?.close();
  await sim?.close();
});

async function manageable(protocol: 'redfish' | 'ipmi', index: number): Promise<string> {
  const uuid = await enroll(svc, sim.manifest.hosts[index]!, protocol);
  expect((await provision(svc, uuid, { target: 'manage' })).status).toBe(202);
  await reaches(svc, uuid, 'manageable');
  return uuid;
}

async function node(uuid: string): Promise<Record<string, any>> {
  return (await svc.request('GET', `/v1/nodes/${uuid}`)).body;
}

async function refusedRedfishLogins(): Promise<number> {
  return ((await (await fetch(`${sim.redfish.url}/sim/v1/auth`)).json()) as { refused_logins: number }).refused_logins;
}

/** Rotates the Redfish account's password the way an operator would: over Redfish, with the old one. */
async function rotateRedfish(): Promise<void> {
  const res = await fetch(`${sim.redfish.url}/redfish/v1/AccountService/Accounts/1`, {
    method: 'PATCH',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Basic ${Buffer.from(`admin:${OLD}`).toString('base64')}`,
    },
    body: JSON.stringify({ Password: NEW }),
  });
  expect(res.status, await res.text()).toBe(200);
}

async function setPassword(uuid: string, key: 'redfish_password' | 'ipmi_password'): Promise<void> {
  const res = await svc.request('PATCH', `/v1/nodes/${uuid}`, [
    { op: 'replace', path: `/driver_info/${key}`, value: NEW },
  ]);
  expect(res.status, res.text).toBe(200);
}

describe('BMC credential rotation', () => {
  it('Redfish: a rotated password fails the sync into maintenance with a reason, a bounded number of logins is tried, and the new password in driver_info brings the node back by itself', async () => {
    const uuid = await manageable('redfish', 0);
    const before = await refusedRedfishLogins();
    const rotated = Date.now();
    await rotateRedfish();

    // The old session ended with the password: the next sync logs in again, is refused, and after three tries the node
    // goes to maintenance with the power failure fault, saying why.
    const failed = await eventually(
      () => node(uuid),
      (n) => n.maintenance === true && n.fault === 'power failure',
      20_000,
    );
    expect(failed.maintenance_reason).toMatch(/credentials|401|auth/i);

    // In maintenance, recovery probes run once a second: a few seconds must not cost the BMC a login per probe and
    // retry without bound (a BMC would lock the account out).
    const faultAfterMs = Date.now() - rotated;
    const refusedAtFault = await refusedRedfishLogins();
    await new Promise((r) => setTimeout(r, 3_000));
    const perSecond = ((await refusedRedfishLogins()) - refusedAtFault) / 3;
    expect(perSecond, 'refused logins per second while in maintenance').toBeLessThanOrEqual(3);
    expect(refusedAtFault - before).toBeGreaterThan(0);

    const patched = Date.now();
    await setPassword(uuid, 'redfish_password');
    const back = await eventually(
      () => node(uuid),
      (n) => n.maintenance === false && n.fault === null,
      20_000,
    );
    const backAfterMs = Date.now() - patched;
    expect(back.power_state).toMatch(/^power (on|off)$/);
    // The drill's figures, for bench/RESULTS.md.
    console.info(
      `credential rotation (redfish): maintenance ${faultAfterMs} ms after the rotation, ${refusedAtFault - before} refused logins by then, ${perSecond.toFixed(1)}/s in maintenance; back in service ${backAfterMs} ms after driver_info changed`,
    );
    const history = (await svc.request('GET', `/v1/nodes/${uuid}/history`, undefined, '1.78')).body.history;
    expect(history.map((h: { event: string }) => h.event)).toContain(
      `The BMC answers again (${back.power_state as string}): power failure cleared, maintenance off`,
    );

    // Nothing is stuck: a power change and a provision action go through with the new password.
    expect((await power(svc, uuid, 'power on')).status).toBe(202);
    await eventually(
      () => node(uuid),
      (n) => n.power_state === 'power on' && n.target_power_state === null,
      20_000,
    );
    expect((await provision(svc, uuid, { target: 'provide' })).status).toBe(202);
    const available = await reaches(svc, uuid, 'available', 30_000);
    expect(available.last_error).toBeNull();
    const refusedAfter = await refusedRedfishLogins();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await refusedRedfishLogins(), 'no refused logins once the new password is in').toBe(refusedAfter);
  });

  it('IPMI: the password changed on the BMC and in driver_info at once: the next call opens a session with the new one and the node never leaves service', async () => {
    const uuid = await manageable('ipmi', 1);
    const bmc = sim.ipmi[1]!;
    bmc.setPassword(NEW);
    await setPassword(uuid, 'ipmi_password');
    const attempts = bmc.stats.loginAttempts;
    const opened = bmc.stats.sessionsOpened;

    expect((await power(svc, uuid, 'power on')).status).toBe(202);
    const on = await eventually(
      () => node(uuid),
      (n) => n.power_state === 'power on' && n.target_power_state === null,
      20_000,
    );
    expect(on.last_error).toBeNull();
    expect(on.maintenance).toBe(false);
    // A new session, opened at the first try: the old password was never offered again.
    expect(bmc.stats.sessionsOpened).toBeGreaterThan(opened);
    expect(bmc.stats.loginAttempts - attempts).toBe(bmc.stats.sessionsOpened - opened);

    // Several syncs later it is still in service, on the one session.
    await new Promise((r) => setTimeout(r, 3 * SYNC_SECONDS * 1000));
    const later = await node(uuid);
    expect(later.maintenance).toBe(false);
    expect(later.fault).toBeNull();
  });
});
