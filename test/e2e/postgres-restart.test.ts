// Drill (issue 18): PostgreSQL restarted under a running multi-conductor
// deploy. A throwaway cluster of the test's own (never the machine's server)
// holds the database of an API process, a boot-services process and two
// conductors; while hosts are mid-deploy, `pg_ctl restart -m fast` cuts every
// connection. The processes reconnect, the deploys go on, and nothing is lost:
// every host ends active, unlocked, with its history whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/service.js';
import {
  startThrowawayPostgres,
  throwawayPostgresProblem,
  type ThrowawayPostgres,
} from '../support/throwaway-postgres.js';
import { startProcessProvisionRig, type ProcessProvisionRig, type ProcessSpec } from './process-provision-rig.js';
import { bootLog, createPool, enrollForDeploy, requestDeploy, setImage } from './provision-rig.js';
import { drive, historyEvents, simHost } from './sim-nodes.js';

const HOSTS = 6;
const problem = await throwawayPostgresProblem();
if (problem !== null) {
  const line = `postgres-restart drill: ${problem}`;
  if (process.env.CI === 'true') throw new Error(`${line} — refused under CI=true`);
  console.warn(`\n!!! ${line}: SKIPPED\n`);
}

describe.runIf(problem === null)('PostgreSQL restarted under a multi-conductor deploy', () => {
  let cluster: ThrowawayPostgres;
  let rig: ProcessProvisionRig;
  const conductor = (name: string): ProcessSpec => ({ name, role: 'conductor', env: { ANVIL_CONDUCTOR_NAME: name } });

  beforeAll(async () => {
    cluster = await startThrowawayPostgres();
    rig = await startProcessProvisionRig({
      engine: 'postgres',
      database: cluster.database,
      hosts: HOSTS,
      seed: 191,
      env: { ANVIL_CONDUCTOR_HEARTBEAT_INTERVAL: '1', ANVIL_CONDUCTOR_HEARTBEAT_TIMEOUT: '10' },
      processes: [
        { name: 'api', role: 'api', env: { ANVIL_CONDUCTOR_NAME: 'api-0' } },
        { name: 'pxe', role: 'pxe' },
        conductor('conductor-a'),
        conductor('conductor-b'),
      ],
    });
    await createPool(rig.svc, 'pg-restart', '127.91.0.0');
  }, 120_000);

  afterAll(async () => {
    await rig?.close();
    await cluster?.stop();
  });

  it('reconnects every process, finishes every deploy, and loses nothing', { timeout: 300_000 }, async () => {
    const uuids: string[] = [];
    for (let i = 0; i < HOSTS; i++) {
      const { uuid } = await enrollForDeploy(rig, i, i % 2 === 0 ? 'redfish' : 'ipmi', 'pg-restart', {
        automated_clean: false,
      });
      await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');
      await drive(rig.svc, uuid, { target: 'provide' }, 'available');
      await setImage(rig.svc, uuid, rig.image);
      uuids.push(uuid);
    }
    await Promise.all(uuids.map((uuid, i) => requestDeploy(rig.svc, uuid, `pg-${i}`)));
    const nodes = async () =>
      Promise.all(uuids.map(async (uuid) => (await rig.svc.request('GET', `/v1/nodes/${uuid}`)).body));
    await eventually(nodes, (ns) => ns.filter((n) => n?.provision_state === 'wait call-back').length >= 2, 60_000, 100);

    const restarted = Date.now();
    await cluster.restart();
    const downMs = Date.now() - restarted;

    let settled: Record<string, any>[];
    try {
      settled = await eventually(
        nodes,
        (ns) =>
          ns.every(
            (n) =>
              n !== null && ['active', 'deploy failed'].includes(n.provision_state as string) && n.reservation === null,
          ),
        120_000,
        500,
      );
    } catch (err) {
      // What a stuck host and the processes say, to find why.
      for (const n of await nodes()) {
        if (n.provision_state === 'active') continue;
        const host = rig.sim.manifest.hosts.find((h) => n.name.startsWith(`${h.name}-`))!;
        console.error(
          `stuck: ${n.name} ${n.provision_state} reservation=${n.reservation} ${n.last_error}\n` +
            `history:\n${(await historyEvents(rig.svc, n.uuid)).slice(-15).join('\n')}\n` +
            `boot log:\n${bootLog(await simHost(rig.sim, host.name), 20)}\n` +
            `log lines naming it:\n${rig.svc.logs
              .filter((l) => l.includes(n.uuid as string))
              .slice(-30)
              .join('\n')}`,
        );
      }
      for (const p of rig.processes.values()) console.error(`${p.name} warnings: ${p.warnings.slice(-20).join(' | ')}`);
      throw err;
    }
    const failed = settled.filter((n) => n.provision_state !== 'active');
    expect(
      failed.map((n) => `${n.name as string}: ${n.last_error as string}`),
      'every deploy finished',
    ).toEqual([]);
    const conductors = (await rig.svc.request('GET', '/v1/conductors')).body.conductors as {
      hostname: string;
      alive: boolean;
    }[];
    expect(conductors.filter((c) => c.hostname.startsWith('conductor-')).every((c) => c.alive)).toBe(true);
    for (const uuid of uuids) {
      const events = await historyEvents(rig.svc, uuid);
      // Nothing lost: the whole story is there, from the request to the end.
      expect(events.some((e) => e.includes('available -> deploying'))).toBe(true);
      expect(events.some((e) => e.includes('-> active'))).toBe(true);
    }
    console.info(
      `PostgreSQL restart under a deploy of ${HOSTS} hosts on 2 conductors: the server was back in ${downMs} ms; every host active ${Date.now() - restarted} ms after the restart began`,
    );
  });
});
