// Issue 7's CLI Proof: the real `baremetal` CLI (python-ironicclient) drives
// Redfish sim hosts that really network-boot against Anvil and run the fake
// agent: enroll with ports, manage, inspect, provide (cleaned by the agent),
// set the image, deploy with a JSON config drive → active, undeploy →
// available, every wait done by the CLI's own `--wait`. Only what the CLI has
// no command for goes around it: the rig's boot files, image and IPAM pool,
// the address claim (Anvil's own API), and reading the sim's console.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollmentFromAddress } from '../../bmc-drivers/index.js';
import { simHost } from '../e2e/sim-nodes.js';
import { bootLog, createPool, osRunning, startProvisionRig, type ProvisionRig } from '../e2e/provision-rig.js';
import { requireTool } from './tools.js';

const run = promisify(execFile);
const haveCli = requireTool('baremetal');
/** Hosts driven at once, each by its own CLI processes. */
const HOSTS = 2;
/** Each `--wait`, in seconds: ironicclient polls every 2 s, so a step shows up to 2 s late. */
const WAIT = '45';

// The clients read OS_* variables; none may leak in from the environment.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));

describe.skipIf(!haveCli)('the real baremetal CLI provisions sim hosts that network-boot and run the agent', () => {
  let rig: ProvisionRig;

  beforeAll(async () => {
    rig = await startProvisionRig({ hosts: HOSTS, seed: 77 });
    await createPool(rig.svc, 'cli-prov', '127.77.0.0');
  });
  afterAll(async () => {
    await rig?.close();
  });

  async function baremetal(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run('baremetal', ['--os-endpoint', rig.svc.url, '--os-auth-type', 'none', ...args], {
        env: cleanEnv,
        timeout: 90_000,
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`baremetal ${args.join(' ')}: ${e.stderr ?? ''}${e.message}`, { cause: err });
    }
  }
  const json = async (...args: string[]) => JSON.parse(await baremetal(...args, '-f', 'json')) as Record<string, any>;

  it('enroll → manage → inspect → provide → deploy --config-drive → active with the image on disk and the hostname in the OS → undeploy → available, all with --wait', async () => {
    const started = Date.now();
    await Promise.all(
      rig.sim.manifest.hosts.map(async (host, i) => {
        const name = `cli-${host.name}`;
        const hostname = `cli-web-${i}`;
        const bmc = host.redfish;
        const { driver, driverInfo } = enrollmentFromAddress(bmc.address, {
          username: bmc.username,
          password: bmc.password,
        });
        expect(driver).toBe('redfish');
        const info = { ...driverInfo, ...rig.deployImages } as Record<string, unknown>;
        // Plain http to the sim: the CLI would send the boolean as a string; leave it at its default.
        delete info.redfish_verify_ca;
        const created = await json(
          'node',
          'create',
          '--driver',
          'redfish',
          '--name',
          name,
          '--automated-clean',
          ...Object.entries(info).flatMap(([k, v]) => ['--driver-info', `${k}=${String(v)}`]),
        );
        expect(created).toMatchObject({ driver: 'redfish', provision_state: 'enroll', automated_clean: true });
        const uuid = created.uuid as string;
        // Every port PXE-enabled (Ironic's default). `--pxe-enabled false` is not used: ironicclient sends the
        // string "false", which Ironic accepts and Anvil's port schema (a strict boolean) refuses with a 400.
        for (const mac of host.macs) await baremetal('port', 'create', mac, '--node', uuid);
        // The CLI has no IPAM: the address claim is Anvil's own API, and the sim's DHCP stand-in learns it.
        const claim = await rig.svc.request('PUT', `/v1/anvil/nodes/${uuid}/addresses`, { pools: ['cli-prov'] });
        expect(claim.status, claim.text).toBe(200);
        const v4 = (claim.body.addresses as { family: string; address: string }[]).find((a) => a.family === 'ipv4')!;
        rig.leases.set(host.macs[0]!, v4.address);

        await baremetal('node', 'manage', name, '--wait', WAIT);
        expect((await json('node', 'show', name)).provision_state).toBe('manageable');
        await baremetal('node', 'inspect', name, '--wait', WAIT);
        const inspected = await json('node', 'show', name);
        expect(inspected).toMatchObject({ provision_state: 'manageable', last_error: null });
        expect(inspected.inspection_finished_at).not.toBeNull();

        let mark = (await simHost(rig.sim, host.name)).bootSteps.length;
        await baremetal('node', 'provide', name, '--wait', WAIT);
        expect(await json('node', 'show', name)).toMatchObject({ provision_state: 'available', last_error: null });
        let seen = await simHost(rig.sim, host.name);
        expect(
          seen.bootSteps
            .slice(mark)
            .some((s) => s.kind === 'command' && s.source.includes('erase_devices_metadata') && s.outcome === 'ok'),
          bootLog(seen),
        ).toBe(true);

        await baremetal(
          'node',
          'set',
          name,
          '--instance-info',
          `image_source=${rig.image.url}`,
          '--instance-info',
          'image_os_hash_algo=sha256',
          '--instance-info',
          `image_os_hash_value=${rig.image.sha256}`,
          '--instance-info',
          'image_disk_format=raw',
        );
        await baremetal(
          'node',
          'deploy',
          name,
          '--wait',
          WAIT,
          '--config-drive',
          JSON.stringify({ meta_data: { hostname } }),
        );
        const active = await json('node', 'show', name);
        expect(active).toMatchObject({ provision_state: 'active', power_state: 'power on', last_error: null });
        seen = await osRunning(rig, host.name);
        expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
        expect(seen.disk?.imageUrl).toBe(rig.image.url);
        expect(seen.os?.hostname).toBe(hostname);
        expect(seen.os?.addresses.map((a) => a.address)).toEqual([v4.address]);

        mark = seen.bootSteps.length;
        await baremetal('node', 'undeploy', name, '--wait', WAIT);
        expect(await json('node', 'show', name)).toMatchObject({ provision_state: 'available', last_error: null });
        seen = await simHost(rig.sim, host.name);
        expect(seen.disk).toBeNull();
        expect(
          seen.bootSteps.slice(mark).some((s) => s.kind === 'command' && s.source.includes('erase_devices_metadata')),
        ).toBe(true);
      }),
    );
    const elapsed = Date.now() - started;
    console.log(`baremetal CLI provision: ${HOSTS} hosts enroll → active → available in ${elapsed} ms`);
    // About 45 s on 2 idle cores (the CLI's 2 s polling of each --wait dominates); the bound leaves room for a loaded machine.
    expect(elapsed).toBeLessThan(90_000);
  });
});
