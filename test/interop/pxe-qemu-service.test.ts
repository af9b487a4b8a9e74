// Issue 6's network boot proof against the composed service, not the
// protocol servers alone: the API and a conductor run in this process
// (`startService`, role `all` with TFTP off), and `anvil serve --role pxe`
// runs as a second process inside a network namespace this test creates,
// sharing the same SQLite file (WAL). Everything the operator does goes
// through the REST API; everything the machine gets comes from the pxe
// process; what was served to whom is read back from the node's history.
//
// The segment (see dhcp-netns.ts): a switch namespace with a bridge
// (forward_delay 0), the pxe process in its own namespace on a veth
// (10.79.0.1/24), a client namespace for udhcpc, a namespace for dnsmasq
// sending IPv6 router advertisements only (RA-only: no DHCPv4, no DHCPv6),
// which saves iPXE's ~13 s wait for them, and a tap on the bridge for the
// QEMU VM, run in the switch namespace that owns the tap. Traffic stays on
// loopback and inside these namespaces.
//
// The VM (QEMU TCG, SeaBIOS, Debian's ipxe-qemu e1000 ROM) boots twice:
//  1. from its NIC ROM, which *is* iPXE: its DHCP requests carry user class
//     `iPXE`, so Anvil answers with the per-host script URL at once and there
//     is no TFTP step (DHCP → HTTP script → agent kernel → ramdisk);
//  2. as a firmware PXE client would (no such ROM exists for QEMU here):
//     Debian's ipxe.lkrn asks DHCP without the iPXE user class and boots the
//     file the answer names, so the whole chain of DESIGN decision 9 runs:
//     DHCP → TFTP undionly.kpxe → that iPXE's own DHCP → HTTP script →
//     agent kernel → ramdisk.
// A third test has busybox udhcpc get an idle node's IPAM static lease and
// boot file, and busybox tftp fetch that file, and an unknown MAC get nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollmentFromAddress } from '../../bmc-drivers/index.js';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { drive, enroll, manifestHost, simHost } from '../e2e/sim-nodes.js';
import { startTestService, type TestService } from '../support/service.js';
import { ip, Lan, removeStaleNamespaces, requireNetns } from './dhcp-netns.js';
import { requireFile, requireTool, stopGroup } from './tools.js';

const E1000_ROM = '/usr/lib/ipxe/qemu/pxe-e1000.rom';
const LKRN = '/usr/lib/ipxe/ipxe.lkrn';
const UNDIONLY = '/usr/lib/ipxe/undionly.kpxe';
const ready =
  requireTool('qemu-system-x86_64') &&
  requireTool('ip') &&
  requireTool('busybox') && // udhcpc and tftp
  requireTool('dnsmasq') && // IPv6 router advertisements only
  requireFile(E1000_ROM) &&
  requireFile(LKRN) &&
  requireFile(UNDIONLY) &&
  requireFile('/dev/net/tun') &&
  requireNetns();

const REPO = resolve(import.meta.dirname, '../..');
const PXE_IP = '10.79.0.1';
const HTTP_PORT = 8080;
const BOOT_URL = `http://${PXE_IP}:${HTTP_PORT}`;
/** Shared by both processes: node secrets (BMC passwords) are encrypted with it. */
const SECRET_KEY = 'a5'.repeat(32);
const MACS = { udhcpc: '52:54:00:79:00:10', unknown: '52:54:00:79:00:99' };

/** The lines with consecutive repeats collapsed: a client that retransmits gets the same answer recorded twice. */
function steps(lines: string[]): string[] {
  return lines.filter((line, i) => line !== lines[i - 1]);
}

interface HistoryEntry {
  event: string;
  event_type: string;
  conductor: string;
  created_at: string;
}

async function readEnv(file: string): Promise<Record<string, string>> {
  const text = readFileSync(file, 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe.skipIf(!ready)(
  'network boot from the composed service: anvil serve --role pxe in a namespace, API and conductor here',
  () => {
    const tag = `q${process.pid % 100000}`;
    let lan: Lan | undefined;
    let sim: SimFleet | undefined;
    let svc: TestService | undefined;
    let pxe: ChildProcess | undefined;
    let dnsmasq: ChildProcess | undefined;
    let pxeLog = '';
    let dnsmasqLog = '';
    let dir = '';
    let srvNs = '';
    let cliNs = '';
    let vmMac = '';
    let vmNode = '';
    let vmAddress = '';
    let dhcpNode = '';
    let dhcpAddress = '';

    async function bootHistory(uuid: string): Promise<HistoryEntry[]> {
      const res = await svc!.request('GET', `/v1/nodes/${uuid}/history?detail=True`, undefined, '1.78');
      expect(res.status, res.text).toBe(200);
      return (res.body.history as HistoryEntry[]).filter((e) => e.event_type === 'boot');
    }

    beforeAll(async () => {
      removeStaleNamespaces('anvil-q');
      dir = mkdtempSync(join(tmpdir(), 'anvil-pxe-qemu-'));
      chmodSync(dir, 0o755);

      // The segment.
      lan = new Lan(tag);
      srvNs = lan.ns('srv');
      cliNs = lan.ns('cli');
      const raNs = lan.ns('ra');
      lan.plug(srvNs, 'srv0', '02:00:00:79:00:01', `${PXE_IP}/24`);
      lan.plug(cliNs, 'u0', MACS.udhcpc);
      lan.plug(cliNs, 'x0', MACS.unknown);
      // dnsmasq's RA needs its addresses usable at once: no duplicate address detection in its namespace.
      spawnSync('ip', ['netns', 'exec', raNs, 'sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0']);
      lan.plug(raNs, 'ra0', '02:00:00:79:00:02');
      ip('-n', raNs, 'addr', 'add', 'fd79::2/64', 'dev', 'ra0', 'nodad');
      dnsmasq = spawn(
        'ip',
        [
          'netns',
          'exec',
          raNs,
          'dnsmasq',
          '--no-daemon',
          '--conf-file=/dev/null',
          '--port=0',
          '--interface=ra0',
          '--bind-interfaces',
          '--enable-ra',
          '--dhcp-range=fd79::,ra-only,64',
          `--pid-file=${join(dir, 'dnsmasq.pid')}`,
          '--user=root',
          '--log-facility=-',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      dnsmasq.stdout!.on('data', (d: Buffer) => (dnsmasqLog += d.toString()));
      dnsmasq.stderr!.on('data', (d: Buffer) => (dnsmasqLog += d.toString()));
      ip('-n', lan.switchNs, 'tuntap', 'add', 'tap0', 'mode', 'tap');
      ip('-n', lan.switchNs, 'link', 'set', 'tap0', 'master', 'br0', 'up');

      // The machine's BMC, and the API with a conductor (no TFTP: the pxe process serves it).
      // The agent's kernel and ramdisk, in the boot-files directory both processes serve (as a site
      // shares it), so the conductor finds them before it boots the machine. The kernel is Debian's
      // ipxe.lkrn, a real bzImage, so iPXE's `kernel` accepts it and goes on to the ramdisk.
      const bootFiles = join(dir, 'boot-files');
      mkdirSync(bootFiles);
      copyFileSync(LKRN, join(bootFiles, 'ipa.kernel'));
      writeFileSync(join(bootFiles, 'ipa.initramfs'), Buffer.alloc(64 * 1024, 0x5a));

      sim = await startSimFleet({ fleet: createFleet({ count: 1, seed: 79 }), redfishPort: 0, ipmiBasePort: 0 });
      svc = await startTestService('sqlite', {
        ANVIL_SECRET_KEY: SECRET_KEY,
        ANVIL_TFTP_PORT: 'off',
        ANVIL_CONDUCTOR_NAME: 'api-and-conductor',
        ANVIL_POWER_STATE_CHANGE_TIMEOUT: '5',
        ANVIL_BOOT_FILES_DIR: bootFiles,
      });

      // `anvil serve --role pxe` inside the namespace, on the same database.
      pxe = spawn(
        'ip',
        ['netns', 'exec', srvNs, process.execPath, '--import', 'tsx', 'cli/anvil.ts', 'serve', '--role', 'pxe'],
        {
          cwd: REPO,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            ANVIL_DATABASE_URL: svc.db.url,
            ANVIL_DATA_DIR: join(dir, 'pxe-data'),
            ANVIL_SECRET_KEY: SECRET_KEY,
            ANVIL_CONDUCTOR_NAME: 'pxe-in-netns',
            // The pxe role serves no API; loadConfig still checks ANVIL_AUTH=none against the API host, so it stays loopback.
            ANVIL_API_HOST: '127.0.0.1',
            ANVIL_API_PUBLIC_URL: `http://${PXE_IP}:6385`,
            ANVIL_HTTP_HOST: PXE_IP,
            ANVIL_HTTP_PORT: String(HTTP_PORT),
            ANVIL_PUBLIC_URL: BOOT_URL,
            ANVIL_BOOT_FILES_DIR: bootFiles,
            ANVIL_TFTP_PORT: '69',
            ANVIL_DHCP_MODE: 'full',
            ANVIL_DHCP_INTERFACE: 'srv0',
            ANVIL_LOG_LEVEL: 'info',
          },
        },
      );
      let listening = false;
      pxe.stderr!.on('data', (d: Buffer) => (pxeLog += d.toString()));
      createInterface({ input: pxe.stdout! }).on('line', (line) => {
        pxeLog += `${line}\n`;
        if (line.includes('network boot services listening')) listening = true;
      });
      const deadline = Date.now() + 60_000;
      while (!listening) {
        if (pxe.exitCode !== null || Date.now() > deadline)
          throw new Error(`anvil serve --role pxe did not start:\n${pxeLog}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(pxeLog).toContain('"tftp_port":69');
      expect(pxeLog).toContain('"dhcp":"full"');

      // The operator's part, through the REST API only: a pool on the segment's subnet...
      const pool = await svc.request('POST', '/v1/ipam/pools', {
        name: 'provisioning',
        ranges: [{ subnet: '10.79.0.0/24', start: '10.79.0.100', end: '10.79.0.150' }],
        gateway: PXE_IP,
        dns_servers: ['10.79.0.53'],
      });
      expect(pool.status, pool.text).toBe(201);

      // ...a Redfish node for the machine whose NIC the VM plays, its port, its address...
      const host = manifestHost(sim, 0);
      vmMac = host.macs[0]!;
      vmNode = await enroll(svc, host, 'redfish', {
        driver_info: {
          ...enrollmentFromAddress(host.redfish.address, {
            username: host.redfish.username,
            password: host.redfish.password,
          }).driverInfo,
          deploy_kernel: 'ipa.kernel',
          deploy_ramdisk: 'ipa.initramfs',
        },
      });
      const port = await svc.request('POST', '/v1/ports', { node_uuid: vmNode, address: vmMac });
      expect(port.status, port.text).toBe(201);
      const claim = await svc.request('PUT', `/v1/anvil/nodes/${vmNode}/addresses`, { pools: ['provisioning'] });
      expect(claim.status, claim.text).toBe(200);
      vmAddress = claim.body.addresses[0].address as string;

      // ...deployed until it waits for its agent: the conductor set a PXE boot override and powered the machine on.
      await drive(svc, vmNode, { target: 'manage' }, 'manageable');
      await drive(svc, vmNode, { target: 'provide' }, 'available');
      await drive(svc, vmNode, { target: 'active' }, 'wait call-back', 30_000);
      expect((await simHost(sim, host.name)).lastBoot).toMatchObject({ device: 'pxe' });

      // A second node, idle, whose only NIC is the udhcpc client's.
      const other = await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'dhcp-client-node' });
      expect(other.status, other.text).toBe(201);
      dhcpNode = other.body.uuid as string;
      expect((await svc.request('POST', '/v1/ports', { node_uuid: dhcpNode, address: MACS.udhcpc })).status).toBe(201);
      const claim2 = await svc.request('PUT', `/v1/anvil/nodes/${dhcpNode}/addresses`, { pools: ['provisioning'] });
      expect(claim2.status, claim2.text).toBe(200);
      dhcpAddress = claim2.body.addresses[0].address as string;
    });

    afterAll(async () => {
      for (const step of [
        () => stopGroup(pxe),
        () => stopGroup(dnsmasq),
        () => svc?.close(),
        () => sim?.close(),
        () => lan?.destroy(),
        () => {
          if (dir) rmSync(dir, { recursive: true, force: true });
        },
      ]) {
        try {
          await step();
        } catch (error) {
          console.warn('cleanup:', error);
        }
      }
    });

    /**
     * Runs the VM (QEMU TCG, the e1000 NIC with Debian's iPXE ROM, on tap0 in
     * the switch namespace that owns it) until the node's boot history holds
     * every line of `want` (by prefix) past `mark`, or `ms` passes; then stops it.
     */
    async function bootVm(
      name: string,
      machine: string[],
      want: string[],
      consoleWant: string,
      mark: number,
      ms: number,
    ): Promise<{ lines: string[]; events: HistoryEntry[]; serial: string; seconds: number }> {
      const serialLog = join(dir, `${name}.serial.log`);
      writeFileSync(serialLog, '');
      const started = Date.now();
      const vm = spawn(
        'ip',
        [
          'netns',
          'exec',
          lan!.switchNs,
          'qemu-system-x86_64',
          '-machine',
          'accel=tcg',
          '-m',
          '128',
          '-no-reboot',
          // -nographic turns on SeaBIOS's serial console, which iPXE's output goes through; the serial port goes to a file.
          '-nographic',
          '-monitor',
          'none',
          '-serial',
          `file:${serialLog}`,
          '-netdev',
          'tap,id=n0,ifname=tap0,script=no,downscript=no',
          '-device',
          `e1000,netdev=n0,mac=${vmMac},romfile=${E1000_ROM}`,
          ...machine,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      let qemuOut = '';
      vm.stdout.on('data', (d: Buffer) => (qemuOut += d.toString()));
      vm.stderr.on('data', (d: Buffer) => (qemuOut += d.toString()));
      const serial = () =>
        readFileSync(serialLog, 'latin1')
          .replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '')
          .replace(/\r/g, '');
      let events: HistoryEntry[] = [];
      try {
        const deadline = Date.now() + ms;
        while (Date.now() < deadline && vm.exitCode === null) {
          events = (await bootHistory(vmNode)).slice(mark);
          // Anvil records before it answers, so the console may lag the history by a moment.
          if (want.every((w) => events.some((e) => e.event.startsWith(w))) && serial().includes(consoleWant)) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        const seconds = (Date.now() - started) / 1000;
        const lines = events.map((e) => e.event);
        const context = `after ${seconds.toFixed(1)} s; boot history: ${JSON.stringify(lines, null, 1)}\nVM serial:\n${serial().slice(-3000)}\nQEMU: ${qemuOut}\nanvil pxe:\n${pxeLog.slice(-4000)}\ndnsmasq: ${dnsmasqLog.slice(-1000)}`;
        for (const w of want)
          expect(
            lines.find((e) => e.startsWith(w)),
            `${w}\n${context}`,
          ).toBeDefined();
        expect(serial(), context).toContain(consoleWant);
        console.info(`${name}: boot chain recorded ${seconds.toFixed(1)} s after QEMU started`);
        return { lines, events, serial: serial(), seconds };
      } finally {
        await stopGroup(vm);
      }
    }

    it('PXE-boots a QEMU VM: DHCP with its IPAM address, its iPXE script, the agent kernel and ramdisk, each recorded against its MAC', async () => {
      const scriptUrl = `${BOOT_URL}/boot/${vmMac}.ipxe`;
      const want = [
        `dhcp to ${vmMac}: DHCPOFFER ${vmAddress}`,
        `dhcp to ${vmMac}: DHCPACK ${vmAddress}`,
        `http to ${vmMac}: /boot/${vmMac}.ipxe`,
        `http to ${vmMac}: /boot-files/ipa.kernel`,
        `http to ${vmMac}: /boot-files/ipa.initramfs`,
      ];
      const { lines, events, serial } = await bootVm(
        'rom',
        ['-boot', 'n,reboot-timeout=0'],
        want,
        'ipa.initramfs... ok',
        (await bootHistory(vmNode)).length,
        75_000,
      );

      // The DHCP answers name the script by URL: the ROM is iPXE (user class iPXE), so no TFTP step.
      // Each step once, in order: lease, script, kernel, ramdisk.
      expect(steps(lines)).toEqual([
        `dhcp to ${vmMac}: DHCPOFFER ${vmAddress} ${scriptUrl}`,
        `dhcp to ${vmMac}: DHCPACK ${vmAddress} ${scriptUrl}`,
        ...want.slice(2),
      ]);
      // Every one of them recorded by the pxe process (its conductor name), none by this one.
      expect(new Set(events.map((e) => e.conductor))).toEqual(new Set(['pxe-in-netns']));

      // The VM's console shows the same from its side: the lease, the script URL (iPXE percent-encodes
      // the MAC's colons, which the boot server decodes), the script, and both agent files fetched.
      expect(serial).toContain(`net0: ${vmAddress}/255.255.255.0 gw ${PXE_IP}`);
      expect(serial).toContain(`Filename: ${scriptUrl}`);
      expect(serial).toContain(`${BOOT_URL}/boot/${vmMac.replaceAll(':', '%3A')}.ipxe... ok`);
      expect(serial).toMatch(new RegExp(`${vmMac}\\.ipxe : \\d+ bytes \\[script\\]`));
      expect(serial).toContain(`${BOOT_URL}/boot-files/ipa.kernel... ok`);
      expect(serial).toContain(`${BOOT_URL}/boot-files/ipa.initramfs... ok`);
    });

    it('chains like a firmware PXE client: DHCP names undionly.kpxe, TFTP serves it, the iPXE in it asks again and gets the script, kernel and ramdisk', async () => {
      // No firmware PXE ROM exists for QEMU here (SeaBIOS has none; Debian's NIC ROMs are iPXE). So the
      // VM boots Debian's ipxe.lkrn with a one-line script that makes it the client a PXE ROM is: it asks
      // DHCP without the iPXE user class, then boots whatever file name (from next-server, over TFTP) the answer gave.
      const tftpWant = [
        `dhcp to ${vmMac}: DHCPOFFER ${vmAddress} undionly.kpxe`,
        `dhcp to ${vmMac}: DHCPACK ${vmAddress} undionly.kpxe`,
        `tftp to ${vmMac}: undionly.kpxe`,
      ];
      const httpWant = [
        `dhcp to ${vmMac}: DHCPACK ${vmAddress} ${BOOT_URL}/boot/${vmMac}.ipxe`,
        `http to ${vmMac}: /boot/${vmMac}.ipxe`,
        `http to ${vmMac}: /boot-files/ipa.kernel`,
        `http to ${vmMac}: /boot-files/ipa.initramfs`,
      ];
      const { lines, serial } = await bootVm(
        'chain',
        [
          '-kernel',
          LKRN,
          '-append',
          'set user-class PXE-firmware && dhcp net0 && clear user-class && chain ${filename}',
        ],
        [...tftpWant, ...httpWant],
        'ipa.initramfs... ok',
        (await bootHistory(vmNode)).length,
        75_000,
      );
      // One pass through each step, in order: Anvil broke the TFTP → iPXE → DHCP loop at the second DHCP.
      expect(steps(lines)).toEqual([
        `dhcp to ${vmMac}: DHCPOFFER ${vmAddress} undionly.kpxe`,
        ...tftpWant.slice(1),
        `dhcp to ${vmMac}: DHCPOFFER ${vmAddress} ${BOOT_URL}/boot/${vmMac}.ipxe`,
        ...httpWant,
      ]);
      // The console: the TFTP fetch, undionly.kpxe taking over through the PXE API, its own DHCP, the script and files.
      expect(serial).toContain('undionly.kpxe... ok');
      expect(serial).toMatch(/PXE->EB: !PXE at/);
      expect(serial).toContain(`Filename: ${BOOT_URL}/boot/${vmMac}.ipxe`);
      expect(serial).toContain(`${BOOT_URL}/boot-files/ipa.kernel... ok`);
    });

    it("gives udhcpc its node's IPAM static lease and undionly.kpxe, serves that over TFTP on port 69, and answers nothing to an unknown MAC", async () => {
      const hook = join(dir, 'hook.sh');
      writeFileSync(hook, '#!/bin/sh\nenv > "$ANVIL_ENV_OUT.$1"\nexit 0\n');
      chmodSync(hook, 0o755);
      const udhcpc = (ifname: string, out: string, attempts: number) =>
        spawnSync(
          'ip',
          [
            'netns',
            'exec',
            cliNs,
            'env',
            `ANVIL_ENV_OUT=${out}`,
            'busybox',
            'udhcpc',
            '-f',
            '-q',
            '-n',
            '-t',
            String(attempts),
            '-T',
            '1',
            '-A',
            '1',
            '-i',
            ifname,
            '-s',
            hook,
            '-O',
            '66',
            '-O',
            '67',
            '-V',
            'PXEClient:Arch:00000:UNDI:002001',
            '-x',
            '0x5d:0000',
          ],
          { encoding: 'utf8', timeout: 30_000 },
        );

      const out = join(dir, 'udhcpc');
      const r = udhcpc('u0', out, 5);
      expect(r.status, `${r.stderr}\n${pxeLog.slice(-3000)}`).toBe(0);
      const env = await readEnv(`${out}.bound`);
      expect(env).toMatchObject({
        ip: dhcpAddress,
        subnet: '255.255.255.0',
        router: PXE_IP,
        dns: '10.79.0.53',
        serverid: PXE_IP,
        hostname: 'dhcp-client-node',
        siaddr: PXE_IP,
        boot_file: 'undionly.kpxe',
        bootfile: 'undionly.kpxe',
        tftp: PXE_IP,
      });

      // The client takes its address and fetches the file it was named from the server it was named.
      ip('-n', cliNs, 'addr', 'add', `${dhcpAddress}/24`, 'dev', 'u0');
      const fetched = join(dir, 'undionly.kpxe');
      const tftp = spawnSync(
        'ip',
        [
          'netns',
          'exec',
          cliNs,
          'busybox',
          'tftp',
          '-g',
          '-r',
          env.boot_file!,
          '-l',
          fetched,
          '-b',
          '1468',
          env.siaddr!,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(tftp.status, tftp.stderr).toBe(0);
      expect(readFileSync(fetched).equals(readFileSync(UNDIONLY))).toBe(true);

      // Recorded against the client's MAC: the TFTP server found it by the address IPAM holds for the node.
      let lines: string[] = [];
      for (let i = 0; i < 40; i++) {
        lines = (await bootHistory(dhcpNode)).map((e) => e.event);
        if (lines.some((l) => l.startsWith('tftp '))) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(lines).toEqual([
        `dhcp to ${MACS.udhcpc}: DHCPOFFER ${dhcpAddress} undionly.kpxe`,
        `dhcp to ${MACS.udhcpc}: DHCPACK ${dhcpAddress} undionly.kpxe`,
        `tftp to ${MACS.udhcpc}: undionly.kpxe`,
      ]);

      // A MAC no port has: no offer at all, udhcpc gives up.
      const unknown = join(dir, 'unknown');
      const started = Date.now();
      expect(udhcpc('x0', unknown, 3).status).toBe(1);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(() => readFileSync(`${unknown}.bound`)).toThrow();
      expect(pxeLog).not.toContain(MACS.unknown);
    });
  },
);
