// Anvil's proxyDHCP beside dnsmasq acting as the site's DHCP server, on a
// private segment of network namespaces this test creates and deletes:
// dnsmasq hands out addresses, Anvil only boot information to PXE clients.
// A real PXE client, iPXE in a QEMU VM on a tap in the segment, merges the
// two: it leases from dnsmasq and boots what Anvil's proxy offer names.
// (Anvil's offer sets PXE discovery control bit 3, so iPXE downloads the
// named file directly and skips the port 4011 request; the unit tests cover 4011.)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootHost } from '../../pxe/backend.js';
import { AnvilInNs, ip, Lan, removeStaleNamespaces, requireNetns } from './dhcp-netns.js';
import { requireTool } from './tools.js';

const ready =
  requireTool('dnsmasq') && requireTool('dhclient') && requireTool('busybox') && requireTool('ip') && requireNetns();
const haveQemu = ready && requireTool('qemu-system-x86_64') && requireTool('/usr/lib/ipxe/qemu/pxe-e1000.rom');

const REPO = resolve(import.meta.dirname, '../..');
const ANVIL_IP = '10.78.0.1';
const SITE_IP = '10.78.0.2';
const MACS = { dhclient: '52:54:00:78:00:11', udhcpc: '52:54:00:78:00:10', vm: '52:54:00:78:00:20' };
const inSiteRange = (address: string): boolean => /^10\.78\.0\.(1[0-4]\d|150)$/.test(address);

function enrolled(mac: string): BootHost {
  // No lease: in proxy mode the site's DHCP server owns addresses.
  return {
    mac,
    nodeUuid: `00000000-0000-4000-8000-0000000000${mac.slice(-2)}`,
    hostname: null,
    lease: null,
    boot: { kind: 'exit' },
  };
}

async function readEnv(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  return gone.finally(() => clearTimeout(t));
}

describe.skipIf(!ready)('Anvil proxyDHCP beside dnsmasq in network namespaces', () => {
  const tag = `p${process.pid % 100000}`;
  let lan: Lan | undefined;
  let anvil: AnvilInNs | undefined;
  let dnsmasq: ChildProcess | undefined;
  let dnsmasqLog = '';
  let dir = '';
  let clientNs = '';

  beforeAll(async () => {
    removeStaleNamespaces('anvil-p');
    dir = await mkdtemp(join(tmpdir(), 'anvil-dhcp-proxy-'));
    await chmod(dir, 0o755);
    lan = new Lan(tag);
    const anvilNs = lan.ns('srv');
    const siteNs = lan.ns('site');
    clientNs = lan.ns('cli');
    lan.plug(anvilNs, 'srv0', '02:00:00:78:00:01', `${ANVIL_IP}/24`);
    lan.plug(siteNs, 'site0', '02:00:00:78:00:02', `${SITE_IP}/24`);
    lan.plug(clientNs, 'd0', MACS.dhclient);
    lan.plug(clientNs, 'u0', MACS.udhcpc);

    dnsmasq = spawn(
      'ip',
      [
        'netns',
        'exec',
        siteNs,
        'dnsmasq',
        '--no-daemon',
        '--conf-file=/dev/null',
        '--port=0',
        '--interface=site0',
        '--bind-interfaces',
        '--dhcp-range=10.78.0.100,10.78.0.150,255.255.255.0,10m',
        '--dhcp-option=option:router,10.78.0.254',
        '--no-ping',
        `--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`,
        `--pid-file=${join(dir, 'dnsmasq.pid')}`,
        '--user=root',
        '--log-dhcp',
        '--log-facility=-',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dnsmasq.stdout!.on('data', (d: Buffer) => (dnsmasqLog += d.toString()));
    dnsmasq.stderr!.on('data', (d: Buffer) => (dnsmasqLog += d.toString()));
    anvil = await AnvilInNs.start(
      anvilNs,
      {
        mode: 'proxy',
        interface: 'srv0',
        serverIp: ANVIL_IP,
        hosts: Object.values(MACS).map(enrolled),
        boot: { ipxeScriptUrl: `http://${ANVIL_IP}:8080/boot/{mac}.ipxe` },
        httpPort: 8080,
      },
      REPO,
    );
    if (dnsmasq.exitCode !== null) throw new Error(`dnsmasq exited: ${dnsmasqLog}`);
  });

  afterAll(async () => {
    await anvil?.stop();
    await stop(dnsmasq);
    lan?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lets a PXE dhclient take its address from dnsmasq while Anvil offers only boot information', async () => {
    const out = join(dir, 'dhclient');
    await writeFile(join(dir, 'dhclient-hook.sh'), `#!/bin/sh\nenv > "${out}.$reason"\nexit 0\n`);
    await chmod(join(dir, 'dhclient-hook.sh'), 0o755);
    // dhclient takes one offer; `require subnet-mask` makes it pass over the address-less proxy offer,
    // as a PXE ROM does when it picks the offer that carries an address.
    await writeFile(
      join(dir, 'dhclient.conf'),
      [
        'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";',
        'option anvil-client-arch code 93 = unsigned integer 16;',
        'send anvil-client-arch 0;',
        'request subnet-mask, routers, dhcp-lease-time, dhcp-server-identifier, bootfile-name;',
        'require subnet-mask;',
        'select-timeout 2;',
        'timeout 20;',
        'retry 1;',
        '',
      ].join('\n'),
    );
    const pidFile = join(dir, 'dhclient.pid');
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        clientNs,
        'dhclient',
        '-4',
        '-1',
        '-v',
        '-cf',
        join(dir, 'dhclient.conf'),
        '-lf',
        join(dir, 'dhclient.leases'),
        '-pf',
        pidFile,
        '-sf',
        join(dir, 'dhclient-hook.sh'),
        'd0',
      ],
      { encoding: 'utf8', timeout: 40_000 },
    );
    try {
      expect(r.status, r.stderr).toBe(0);
      const env = await readEnv(`${out}.BOUND`);
      expect(inSiteRange(env.new_ip_address ?? ''), JSON.stringify(env)).toBe(true);
      expect(env.new_dhcp_server_identifier).toBe(SITE_IP);
      // Anvil did answer alongside dnsmasq, with boot information only.
      expect(anvil!.served(MACS.dhclient)).toEqual(['proxyDHCPOFFER undionly.kpxe']);
    } finally {
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0) process.kill(pid, 'SIGTERM');
    }
  });

  it('stays silent to a non-PXE client, which gets its address from dnsmasq alone', async () => {
    await writeFile(join(dir, 'hook.sh'), '#!/bin/sh\nenv > "$ANVIL_ENV_OUT.$1"\nexit 0\n');
    await chmod(join(dir, 'hook.sh'), 0o755);
    const out = join(dir, 'udhcpc');
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        clientNs,
        'env',
        `ANVIL_ENV_OUT=${out}`,
        'busybox',
        'udhcpc',
        '-f',
        '-q',
        '-n',
        '-t',
        '5',
        '-T',
        '1',
        '-A',
        '1',
        '-i',
        'u0',
        '-s',
        join(dir, 'hook.sh'),
        '-O',
        '67',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const env = await readEnv(`${out}.bound`);
    expect(inSiteRange(env.ip ?? '')).toBe(true);
    expect(env.serverid).toBe(SITE_IP);
    expect(env.bootfile).toBeUndefined();
    expect(anvil!.served(MACS.udhcpc)).toEqual([]);
  });

  it.skipIf(!haveQemu)(
    "PXE-boots an iPXE VM: address from dnsmasq, boot script URL from Anvil's proxy offer",
    async () => {
      ip('-n', lan!.switchNs, 'tuntap', 'add', 'tap0', 'mode', 'tap');
      ip('-n', lan!.switchNs, 'link', 'set', 'tap0', 'master', 'br0', 'up');
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
          '-nographic',
          '-no-reboot',
          '-L',
          '/usr/share/seabios',
          '-boot',
          'n,reboot-timeout=0',
          '-netdev',
          'tap,id=n0,ifname=tap0,script=no,downscript=no',
          '-device',
          `e1000,netdev=n0,mac=${MACS.vm},romfile=/usr/lib/ipxe/qemu/pxe-e1000.rom`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let vmConsole = '';
      vm.stdout.on('data', (d: Buffer) => (vmConsole += d.toString()));
      vm.stderr.on('data', (d: Buffer) => (vmConsole += d.toString()));
      try {
        const path = `/boot/${MACS.vm}.ipxe`;
        // iPXE percent-encodes the MAC's colons in the request path.
        const get = await anvil!
          .until((l) => l.event === 'http' && decodeURIComponent(String(l.path)) === path, 150_000)
          .catch((e: Error) => {
            throw new Error(
              `${e.message}\nVM console:\n${vmConsole.slice(-3000)}\ndnsmasq:\n${dnsmasqLog.slice(-2000)}`,
            );
          });
        // The VM fetched its script from the address dnsmasq leased it.
        const remote = String(get.remote).replace(/^::ffff:/, '');
        expect(inSiteRange(remote), remote).toBe(true);
        expect(await readFile(join(dir, 'dnsmasq.leases'), 'utf8')).toContain(`${MACS.vm} ${remote}`);
        const url = `http://${ANVIL_IP}:8080${path}`;
        expect(anvil!.served(MACS.vm)).toContain(`proxyDHCPOFFER ${url}`);
      } finally {
        await stop(vm);
      }
    },
  );
});
