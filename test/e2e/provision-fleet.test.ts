// Issue 7's fleet Proof: 100 simulated hosts, half Redfish (inspected out of
// band) and half IPMI (inspected by their agent), each taken enroll → claim
// an address → manage → inspect → provide (cleaned by its agent) → deploy →
// active through the REST API by a client that keeps a bounded number of
// nodes in flight; every host really network-boots its agent, writes the
// image and boots an OS that found its own hostname and address. Then all
// are released and cleaned back to available.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inParallel, simHost } from './sim-nodes.js';
import {
  createPool,
  driveGently,
  enrollForDeploy,
  setImage,
  startProvisionRig,
  userDataFor,
  type EnrolledHost,
  type ProvisionRig,
} from './provision-rig.js';

const HOSTS = 100;
const CLIENT_CONCURRENCY = 25;
/** The whole flow for the whole fleet: under 40 s on a quiet 2-core machine; its speed is bench/provision-fleet.ts's to measure. */
const TEST_MS = 300_000;
/** Per step, per node: generous, as a fleet's steps queue behind each other. */
const STEP_MS = 60_000;
/** How often each client looks at its node: often enough, and cheap for a hundred clients. */
const POLL_MS = 250;

let rig: ProvisionRig;

beforeAll(async () => {
  rig = await startProvisionRig({
    hosts: HOSTS,
    seed: 75,
    // A hundred agents at once: heartbeats at this pace still move each wait along within a second.
    heartbeatMs: 600,
    env: { ANVIL_DEPLOY_CALLBACK_TIMEOUT: '60', ANVIL_CLEAN_CALLBACK_TIMEOUT: '60', ANVIL_INSPECT_WAIT_TIMEOUT: '60' },
  });
  await createPool(rig.svc, 'fleet', '127.75.0.0');
});

afterAll(async () => {
  await rig?.close();
});

describe('a fleet of 100 hosts provisioned with their agents', () => {
  it(
    'goes enroll → manage → inspect → provide → deploy → active in parallel, every disk holding the image and every OS its hostname and address, then deleted → available',
    { timeout: TEST_MS },
    async () => {
      const { svc } = rig;
      const phases: Record<string, number[]> = { inspect: [], provide: [], deploy: [], undeploy: [] };
      const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
        const start = Date.now();
        const out = await work();
        phases[phase]!.push(Date.now() - start);
        return out;
      };

      const started = Date.now();
      const enrolled = await inParallel(
        rig.sim.manifest.hosts,
        CLIENT_CONCURRENCY,
        async (_host, i): Promise<EnrolledHost> => {
          const ipmi = i % 2 === 1;
          const target = await enrollForDeploy(
            rig,
            i,
            ipmi ? 'ipmi' : 'redfish',
            'fleet',
            ipmi ? { inspect_interface: 'agent' } : {},
          );
          await driveGently(svc, target.uuid, { target: 'manage' }, 'manageable', STEP_MS, POLL_MS);
          await timed('inspect', () =>
            driveGently(svc, target.uuid, { target: 'inspect' }, 'manageable', STEP_MS, POLL_MS),
          );
          await timed('provide', () =>
            driveGently(svc, target.uuid, { target: 'provide' }, 'available', STEP_MS, POLL_MS),
          );
          await setImage(svc, target.uuid, rig.image);
          const configdrive = { meta_data: { hostname: `node-${i}` }, user_data: userDataFor(`node-${i}`) };
          await timed('deploy', () =>
            driveGently(svc, target.uuid, { target: 'active', configdrive }, 'active', STEP_MS, POLL_MS, '1.56'),
          );
          return target;
        },
      );
      const toActive = Date.now() - started;

      const list = await svc.request(
        'GET',
        '/v1/nodes?fields=uuid,name,provision_state,power_state,last_error&limit=1000',
      );
      expect(list.status, list.text).toBe(200);
      for (const node of list.body.nodes as Record<string, unknown>[]) {
        expect(node, String(node.name)).toMatchObject({
          provision_state: 'active',
          power_state: 'power on',
          last_error: null,
        });
      }
      // Every disk holds the image; every OS is up (it boots just after Anvil says active) with its own name and address.
      await inParallel(enrolled, 10, async (target, i) => {
        const deadline = Date.now() + 10_000;
        let seen = await simHost(rig.sim, target.host.name);
        while (seen.os?.running !== true && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          seen = await simHost(rig.sim, target.host.name);
        }
        expect(seen.disk?.sha256, target.host.name).toBe(rig.image.sha256);
        expect(seen.os, target.host.name).toMatchObject({ running: true, hostname: `node-${i}` });
        expect(
          seen.os?.addresses.map((a) => a.address),
          target.host.name,
        ).toEqual([target.address]);
      });

      const undeployStart = Date.now();
      await inParallel(enrolled, CLIENT_CONCURRENCY, (target) =>
        timed('undeploy', () => driveGently(svc, target.uuid, { target: 'deleted' }, 'available', STEP_MS, POLL_MS)),
      );
      console.log(
        `provision fleet: ${HOSTS} hosts to active in ${toActive} ms, all in ${Date.now() - started} ms, released to available in ${Date.now() - undeployStart} ms; ` +
          Object.entries(phases)
            .map(([phase, ms]) => `${phase} p50 ${percentile(ms, 0.5)} ms p95 ${percentile(ms, 0.95)} ms`)
            .join('; '),
      );
      const after = await svc.request('GET', '/v1/nodes?fields=name,provision_state,last_error&limit=1000');
      for (const node of after.body.nodes as Record<string, unknown>[]) {
        expect(node, String(node.name)).toMatchObject({ provision_state: 'available', last_error: null });
      }
      for (const target of enrolled)
        expect((await simHost(rig.sim, target.host.name)).disk, target.host.name).toBeNull();
    },
  );
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}
