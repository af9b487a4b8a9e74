// Simulated hosts that ask DHCP: with a DhcpClient and no httpUrl, a host
// boots only from what the answers say (next-server, boot file, the script
// URL iPXE is given) and its agent listens on the leased address. The
// client here is a stand-in that answers from a table, on loopback.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../../sim/faults/index.js';
import { startSimFleet, type SimFleet } from '../../../../../sim/fleet-runner.js';
import type { DhcpAsk, DhcpLease } from '../../../../../sim/host/boot/index.js';
import { createFleet, type SimHost } from '../../../../../sim/host/index.js';
import { eventually } from '../../support/eventually.js';
import { startFakeAnvil, type FakeAnvil } from '../../support/fake-anvil.js';
import { startTinyTftp, type TinyTftpServer } from '../../support/tftp-server.js';

const NODE = '4d1f0a2e-7c3b-4e5f-8a9b-0c1d2e3f4a5b';
/** Any 127/8 address is this machine's: the agent really binds the one "DHCP" gave. */
const LEASED = '127.0.0.77';

let tftp: TinyTftpServer;
let anvil: FakeAnvil;
let sim: SimFleet;
const asks: DhcpAsk[] = [];
/** What the stand-in DHCP server answers, by stage; an Error is a failed exchange. */
let answers: { rom: Partial<DhcpLease> | Error; ipxe: Partial<DhcpLease> | Error };

beforeAll(async () => {
  tftp = await startTinyTftp(new Map([['snponly.efi', randomBytes(4000)]]));
  anvil = await startFakeAnvil();
  anvil.files.set('/agent/kernel', randomBytes(5000));
  anvil.files.set('/agent/initrd', randomBytes(5000));
  sim = await startSimFleet({
    fleet: createFleet({ count: 1, seed: 21 }),
    random: seededRandom(5),
    boot: {
      dhcp: async (ask) => {
        asks.push(ask);
        const answer = ask.userClass === 'iPXE' ? answers.ipxe : answers.rom;
        if (answer instanceof Error) throw answer;
        return {
          address: LEASED,
          prefix: 8,
          router: null,
          serverId: '127.0.0.1',
          nextServer: '127.0.0.1',
          bootFile: null,
          hostname: null,
          interface: 'lo',
          ...answer,
        };
      },
      // Only the port: the host is told the server by DHCP.
      tftpServer: { host: '192.0.2.99', port: tftp.port },
      agent: { heartbeatIntervalMs: 40, lookupInitialMs: 10, lookupMaxMs: 40 },
      scriptSleepScale: 0.001,
    },
  });
});

afterEach(() => {
  for (const h of sim.fleet.hosts) h.powerAction('ForceOff');
  asks.length = 0;
  anvil.node = null;
  anvil.heartbeats.length = 0;
});

afterAll(async () => {
  await sim.close();
  await anvil.close();
  await tftp.close();
});

function host(): SimHost {
  return sim.fleet.hosts[0]!;
}

function mac(): string {
  return host().nics[0]!.mac;
}

function pxeOn(): void {
  host().setBootOverride({ target: 'pxe', enabled: 'once', mode: 'uefi' });
  host().powerAction('On');
}

describe('a network boot from DHCP’s answers', () => {
  it('fetches the boot file DHCP named from the next-server it named, the script iPXE was given, and runs its agent on the leased address', async () => {
    answers = {
      rom: { bootFile: 'snponly.efi' },
      ipxe: { bootFile: `${anvil.url}/boot/${mac()}.ipxe` },
    };
    anvil.scripts.set(
      mac(),
      `#!ipxe\nkernel ${anvil.url}/agent/kernel ipa-api-url=${anvil.url} BOOTIF=01-${mac().replaceAll(':', '-')}\ninitrd ${anvil.url}/agent/initrd\nboot\n`,
    );
    anvil.node = { uuid: NODE, token: 'tok-dhcp', heartbeatTimeout: 300 };
    pxeOn();
    await eventually(() => host().bootSteps.some((s) => s.kind === 'heartbeat'), 'a heartbeat');

    expect(asks.map((a) => [a.mac, a.vendorClass, a.clientArch, a.userClass])).toEqual([
      [mac(), 'PXEClient:Arch:00007:UNDI:003016', 7, null],
      [mac(), 'PXEClient:Arch:00007:UNDI:003010', 7, 'iPXE'],
    ]);
    expect(tftp.requests).toContain('tftp snponly.efi blksize=1468');
    expect(anvil.heartbeats[0]?.body.callback_url).toMatch(
      new RegExp(`^http://${LEASED.replaceAll('.', '\\.')}:\\d+$`),
    );
    const steps = host().bootSteps;
    expect(steps.map((s) => `${s.kind} ${s.outcome}`)).toEqual([
      'firmware ok',
      'dhcp ok',
      'tftp ok',
      'dhcp ok',
      'script ok',
      'kernel ok',
      'initrd ok',
      'agent ok',
      'lookup ok',
      'heartbeat ok',
    ]);
    expect(steps[1]).toMatchObject({
      source: 'dhcp://127.0.0.1',
      detail: `PXE ROM: ${LEASED}/8 on lo from 127.0.0.1, next-server 127.0.0.1, boot file snponly.efi`,
    });
    expect(steps[2]?.source).toBe(`tftp://127.0.0.1:${tftp.port}/snponly.efi`);
    expect(steps[4]?.source).toBe(`${anvil.url}/boot/${mac()}.ipxe`);
    expect(host().snapshot().agentTokens).toEqual(['tok-dhcp']);
  });

  it('leaves the boot to the disk when the PXE ROM gets no lease', async () => {
    answers = { rom: new Error('no lease on eth0 after 4 DISCOVERs'), ipxe: {} };
    const reads = tftp.requests.length;
    pxeOn();
    await eventually(() => host().bootSteps.at(-1)?.kind === 'os', 'the fall-through to the disk');
    const steps = host().bootSteps.slice(-3);
    expect(steps.map((s) => `${s.kind} ${s.outcome}`)).toEqual(['firmware ok', 'dhcp failed', 'os failed']);
    expect(steps[1]).toMatchObject({
      source: `dhcp://${mac()}`,
      detail: 'PXE ROM: no lease on eth0 after 4 DISCOVERs',
    });
    expect(tftp.requests).toHaveLength(reads);
    expect(asks).toHaveLength(1);
  });

  it('refuses an answer that names no boot file, and an iPXE answer that names no script URL', async () => {
    answers = { rom: { bootFile: null }, ipxe: {} };
    pxeOn();
    await eventually(() => host().bootSteps.at(-1)?.kind === 'os', 'the fall-through to the disk');
    expect(host().bootSteps.at(-2)).toMatchObject({
      kind: 'dhcp',
      outcome: 'failed',
      detail: 'the answer names no boot file',
    });
    host().powerAction('ForceOff');

    answers = { rom: { bootFile: 'snponly.efi' }, ipxe: { bootFile: 'snponly.efi' } };
    pxeOn();
    await eventually(() => host().bootSteps.at(-1)?.kind === 'os', 'the fall-through to the disk');
    expect(host().bootSteps.at(-2)).toMatchObject({
      kind: 'dhcp',
      outcome: 'failed',
      detail: 'iPXE was not given a script URL: snponly.efi',
    });
  });

  it('will not start without a way to find Anvil', async () => {
    await expect(startSimFleet({ fleet: createFleet({ count: 1 }), boot: {} })).rejects.toThrow(
      'a boot configuration needs httpUrl, or dhcp to learn it from',
    );
  });
});
