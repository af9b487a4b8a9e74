// Drill (issue 18): an all-in-one Anvil on SQLite SIGKILLed at several
// moments of a 100-host deploy wave, and started again each time. Every host
// ends active, or failed with a reason (a host whose network boot a kill cut
// boots its disk instead, never calls back, and fails at the callback
// timeout, as in Ironic); none is left locked or waiting; a second deploy of
// the failed ones, as a controller retries, takes every host to active; no
// BMC was ever given two commands at once; and IPAM neither leaked an
// address nor gave one twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/service.js';
import { startProcessProvisionRig, type ProcessProvisionRig } from './process-provision-rig.js';
import { createPool, enrollForDeploy, requestDeploy, setImage, type EnrolledHost } from './provision-rig.js';
import { drive, simHost } from './sim-nodes.js';

const HOSTS = 100;
/** When each kill comes, in ms after the wave starts or after the previous restart: early, mid and late. */
const KILLS_AFTER_MS = [1_500, 4_000, 7_000];
const FINAL = ['active', 'deploy failed'];

describe('SIGKILLs during a 100-host deploy wave (all-in-one, SQLite)', () => {
  let rig: ProcessProvisionRig;
  const hosts: EnrolledHost[] = [];

  beforeAll(async () => {
    rig = await startProcessProvisionRig({
      engine: 'sqlite',
      hosts: HOSTS,
      seed: 207,
      env: { ANVIL_DEPLOY_CALLBACK_TIMEOUT: '20', ANVIL_CONDUCTOR_HEARTBEAT_INTERVAL: '1' },
      processes: [{ name: 'anvil', role: 'all' }],
    });
    await createPool(rig.svc, 'wave', '127.207.0.0');
    for (let i = 0; i < HOSTS; i += 10) {
      hosts.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, async (_, j) => {
            const host = await enrollForDeploy(rig, i + j, (i + j) % 2 === 0 ? 'redfish' : 'ipmi', 'wave', {
              automated_clean: false,
            });
            await drive(rig.svc, host.uuid, { target: 'manage' }, 'manageable', 60_000);
            await drive(rig.svc, host.uuid, { target: 'provide' }, 'available', 60_000);
            await setImage(rig.svc, host.uuid, rig.image);
            return host;
          }),
        )),
      );
    }
  }, 300_000);

  afterAll(async () => {
    await rig?.close();
  });

  it(
    'ends every host active or failed with a reason, none stuck, no BMC given two commands at once, no address leaked or doubled',
    { timeout: 600_000 },
    async () => {
      const started = Date.now();
      await Promise.all(hosts.map((h, i) => requestDeploy(rig.svc, h.uuid, `wave-${i}`)));
      const states: string[] = [];
      for (const after of KILLS_AFTER_MS) {
        await new Promise((r) => setTimeout(r, after));
        const nodes = (await rig.svc.request('GET', '/v1/nodes?limit=1000&fields=provision_state')).body.nodes as {
          provision_state: string;
        }[];
        states.push(`${nodes.filter((n) => n.provision_state === 'active').length} active`);
        await rig.kill('anvil');
        await rig.restart('anvil');
      }

      const all = async () =>
        (await rig.svc.request('GET', '/v1/nodes/detail?limit=1000')).body.nodes as Record<string, any>[];
      const settle = () =>
        eventually(
          all,
          (ns) =>
            ns.length === HOSTS &&
            ns.every((n) => FINAL.includes(n.provision_state as string) && n.reservation === null),
          240_000,
          1_000,
        );
      const first = await settle();
      const firstMs = Date.now() - started;
      const firstActive = first.filter((n) => n.provision_state === 'active').length;
      const failed = first.filter((n) => n.provision_state !== 'active');
      for (const n of failed) expect(n.last_error, `${n.name as string} failed without a reason`).toMatch(/\S/);
      const reasons = [
        ...new Set(
          failed.map((n) =>
            String(n.last_error)
              .replace(/[0-9a-f-]{36}/g, '<uuid>')
              .slice(0, 90),
          ),
        ),
      ];

      // The controller's retries: the failed ones deployed again, with Anvil left alone this time (a retry
      // of many at once on this 2-core machine can itself time out a download: up to three rounds).
      let settled = first;
      let retries = 0;
      for (let round = 0; round < 3; round++) {
        const again = settled.filter((n) => n.provision_state !== 'active');
        if (again.length === 0) break;
        retries += again.length;
        await Promise.all(again.map((n) => requestDeploy(rig.svc, n.uuid as string, `retry-${n.name as string}`)));
        settled = await settle();
      }
      const notActive = settled
        .filter((n) => n.provision_state !== 'active')
        .map((n) => `${n.name as string}: ${n.last_error as string}`);
      // The reasons go in the message: a CI summary keeps only a failure's first line.
      expect(notActive, `not active after ${retries} redeploys: ${notActive.join(' | ')}`).toEqual([]);

      // No BMC was ever given two commands at once: Anvil holds a node's lock for each, across restarts too.
      const busiest = await Promise.all(hosts.map(async (h) => (await simHost(rig.sim, h.host.name)).maxInFlight));
      expect(Math.max(...busiest), 'most commands a BMC had in flight at once').toBe(1);

      // IPAM: one address per host, none twice, none owned by something that is not a host.
      const addresses = (await rig.svc.request('GET', '/v1/ipam/addresses?limit=1000')).body.addresses as {
        address: string;
        owner: string | null;
      }[];
      const owners = new Set(settled.map((n) => `node:${n.uuid as string}`));
      expect(new Set(addresses.map((a) => a.address)).size).toBe(addresses.length);
      expect(addresses.filter((a) => !owners.has(a.owner ?? ''))).toEqual([]);
      expect(addresses.length).toBe(HOSTS);

      console.info(
        `kill wave: ${HOSTS} hosts, ${KILLS_AFTER_MS.length} SIGKILLs (${states.join(', ')} at the kills); first pass settled in ${firstMs} ms: ${firstActive} active, ${failed.length} failed with a reason (${reasons.join(' | ')}); after ${retries} redeploys, all ${HOSTS} active ${Date.now() - started} ms after the wave began`,
      );
    },
  );
});
