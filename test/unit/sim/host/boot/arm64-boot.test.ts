// An aarch64 host in a fleet boots as a UEFI arm64 client: option 93 = 11
// when it asks DHCP, the arm64 loader over TFTP (the one DHCP named, or
// Anvil's default name without DHCP) and `${buildarch}` arm64 in its iPXE
// script. Its x86_64 neighbour is untouched.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../../sim/faults/index.js';
import { startSimFleet, type SimFleet } from '../../../../../sim/fleet-runner.js';
import type { DhcpAsk } from '../../../../../sim/host/boot/index.js';
import { createFleet, type SimHost } from '../../../../../sim/host/index.js';
import { eventually } from '../../support/eventually.js';
import { startFakeAnvil, type FakeAnvil } from '../../support/fake-anvil.js';
import { startTinyTftp, type TinyTftpServer } from '../../support/tftp-server.js';

const ARM64_LOADER = randomBytes(5000);
const X86_LOADER = randomBytes(3000);
/** What Anvil's DHCP names per option 93, with a non-default arm64 name to tell the two boot sources apart. */
const LOADER_BY_ARCH: Record<number, string> = { 7: 'ipxe.efi', 11: 'aa64/snp.efi' };

let tftp: TinyTftpServer;
let anvil: FakeAnvil;
let configured: SimFleet;
let asking: SimFleet;
const asks: DhcpAsk[] = [];

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const mac = (h: SimHost) => h.nics[0]!.mac;

beforeAll(async () => {
  tftp = await startTinyTftp(
    new Map([
      ['arm64/ipxe.efi', ARM64_LOADER],
      ['aa64/snp.efi', ARM64_LOADER],
      ['ipxe.efi', X86_LOADER],
    ]),
  );
  anvil = await startFakeAnvil();
  for (const arch of ['arm64', 'x86_64']) {
    anvil.files.set(`/${arch}/ipa.kernel`, randomBytes(4000));
    anvil.files.set(`/${arch}/ipa.initramfs`, randomBytes(4000));
  }
  const boot = {
    tftpServer: { host: '127.0.0.1', port: tftp.port },
    agent: { heartbeatIntervalMs: 40, lookupInitialMs: 10, lookupMaxMs: 40 },
    scriptSleepScale: 0.001,
  };
  const fleet = (prefix: string) =>
    createFleet({ count: 2, seed: 64, prefix, cpuArch: (i) => (i === 0 ? 'aarch64' : 'x86_64') });
  configured = await startSimFleet({
    fleet: fleet('cfg-'),
    random: seededRandom(1),
    boot: { ...boot, httpUrl: anvil.url },
  });
  asking = await startSimFleet({
    fleet: fleet('dhcp-'),
    random: seededRandom(2),
    boot: {
      ...boot,
      dhcp: async (ask) => {
        asks.push(ask);
        return {
          address: '127.0.0.64',
          prefix: 8,
          router: null,
          serverId: '127.0.0.1',
          nextServer: '127.0.0.1',
          bootFile:
            ask.userClass === 'iPXE' ? `${anvil.url}/boot/${ask.mac}.ipxe` : (LOADER_BY_ARCH[ask.clientArch] ?? null),
          hostname: null,
          interface: 'lo',
        };
      },
    },
  });
});

afterEach(() => {
  for (const sim of [configured, asking]) for (const h of sim.fleet.hosts) h.powerAction('ForceOff');
  asks.length = 0;
});

afterAll(async () => {
  await configured?.close();
  await asking?.close();
  await anvil?.close();
  await tftp?.close();
});

/** Boots `h` from the network into a script that picks the agent by `${buildarch}`, and waits for its agent. */
async function netbootByBuildarch(h: SimHost) {
  anvil.scripts.set(
    mac(h),
    `#!ipxe\nkernel ${anvil.url}/\${buildarch}/ipa.kernel ipa-api-url=${anvil.url}\ninitrd ${anvil.url}/\${buildarch}/ipa.initramfs\nboot\n`,
  );
  h.setBootOverride({ target: 'pxe', enabled: 'once', mode: 'uefi' });
  h.powerAction('On');
  await eventually(() => h.bootSteps.some((s) => s.kind === 'agent'), `${h.name}'s agent`);
  return h.bootSteps;
}

describe('an aarch64 sim host network-boots as UEFI arm64', () => {
  it('is built with an aarch64 CPU beside an x86_64 one', () => {
    expect(configured.fleet.hosts.map((h) => h.cpu.arch)).toEqual(['aarch64', 'x86_64']);
    expect(configured.fleet.hosts[0]!.cpu.model).toContain('Neoverse');
  });

  it('tells DHCP it is arch 11 and fetches the loader DHCP named; its neighbour says 7 and gets the x86 one', async () => {
    const [arm, x86] = asking.fleet.hosts as [SimHost, SimHost];
    const armSteps = await netbootByBuildarch(arm);
    expect(asks.map((a) => [a.vendorClass, a.clientArch, a.userClass])).toEqual([
      ['PXEClient:Arch:00011:UNDI:003016', 11, null],
      ['PXEClient:Arch:00011:UNDI:003010', 11, 'iPXE'],
    ]);
    const armTftp = armSteps.find((s) => s.kind === 'tftp');
    expect(armTftp?.source).toBe(`tftp://127.0.0.1:${tftp.port}/aa64/snp.efi`);
    expect(armTftp?.detail).toContain(`sha256 ${sha256(ARM64_LOADER)}`);
    expect(armSteps.filter((s) => s.kind === 'kernel' || s.kind === 'initrd').map((s) => s.source)).toEqual([
      `${anvil.url}/arm64/ipa.kernel`,
      `${anvil.url}/arm64/ipa.initramfs`,
    ]);

    asks.length = 0;
    const x86Steps = await netbootByBuildarch(x86);
    expect(asks.map((a) => a.clientArch)).toEqual([7, 7]);
    expect(x86Steps.find((s) => s.kind === 'tftp')?.detail).toContain(`sha256 ${sha256(X86_LOADER)}`);
    expect(x86Steps.find((s) => s.kind === 'kernel')?.source).toBe(`${anvil.url}/x86_64/ipa.kernel`);
  });

  it("fetches Anvil's default arm64 loader name without DHCP", async () => {
    const steps = await netbootByBuildarch(configured.fleet.hosts[0]!);
    const fetched = steps.find((s) => s.kind === 'tftp');
    expect(fetched?.source).toBe(`tftp://127.0.0.1:${tftp.port}/arm64/ipxe.efi`);
    expect(fetched?.outcome).toBe('ok');
    expect(tftp.requests).toContain('tftp arm64/ipxe.efi blksize=1468');
  });
});
