// Anvil's DHCP server in full (reservation) mode against real clients,
// busybox udhcpc and ISC dhclient, on a private segment of network
// namespaces this test creates and deletes (see dhcp-netns.ts).
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootHost } from '../../pxe/backend.js';
import { AnvilInNs, Lan, removeStaleNamespaces, requireNetns } from './dhcp-netns.js';
import { requireTool } from './tools.js';

const ready = requireTool('busybox') && requireTool('dhclient') && requireTool('ip') && requireNetns();

const REPO = resolve(import.meta.dirname, '../..');
const SERVER_IP = '10.77.0.1';
const MACS = {
  udhcpc: '52:54:00:77:00:10',
  ipxe: '52:54:00:77:00:12',
  dhclient: '52:54:00:77:00:11',
  unknown: '52:54:00:77:00:99',
};

function host(mac: string, address: string, hostname: string): BootHost {
  return {
    mac,
    nodeUuid: `00000000-0000-4000-8000-0000000000${mac.slice(-2)}`,
    hostname,
    lease: { address, prefix: 24, gateway: '10.77.0.254', dnsServers: ['10.77.0.53', '10.77.0.54'], leaseTime: 1800 },
    boot: { kind: 'exit' },
  };
}

/** The KEY=VALUE lines a client's hook script dumped. */
async function readEnv(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe.skipIf(!ready)('Anvil DHCP full mode with udhcpc and dhclient in network namespaces', () => {
  const tag = `f${process.pid % 100000}`;
  let lan: Lan | undefined;
  let anvil: AnvilInNs | undefined;
  let dir = '';
  let clientNs = '';

  beforeAll(async () => {
    removeStaleNamespaces('anvil-f');
    dir = await mkdtemp(join(tmpdir(), 'anvil-dhcp-full-'));
    await writeFile(join(dir, 'hook.sh'), '#!/bin/sh\nenv > "$ANVIL_ENV_OUT.$1"\nexit 0\n');
    await chmod(join(dir, 'hook.sh'), 0o755);
    lan = new Lan(tag);
    const serverNs = lan.ns('srv');
    clientNs = lan.ns('cli');
    lan.plug(serverNs, 'srv0', '02:00:00:77:00:01', `${SERVER_IP}/24`);
    lan.plug(clientNs, 'u0', MACS.udhcpc);
    lan.plug(clientNs, 'i0', MACS.ipxe);
    lan.plug(clientNs, 'd0', MACS.dhclient);
    lan.plug(clientNs, 'x0', MACS.unknown);
    anvil = await AnvilInNs.start(
      serverNs,
      {
        mode: 'full',
        interface: 'srv0',
        serverIp: SERVER_IP,
        hosts: [
          host(MACS.udhcpc, '10.77.0.10', 'node-u'),
          host(MACS.ipxe, '10.77.0.12', 'node-i'),
          host(MACS.dhclient, '10.77.0.11', 'node-d'),
        ],
        boot: { ipxeScriptUrl: `http://${SERVER_IP}:8080/boot/{mac}.ipxe`, uefiX64File: 'snponly.efi' },
      },
      REPO,
    );
  });

  afterAll(async () => {
    await anvil?.stop();
    lan?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function udhcpc(ifname: string, out: string, extra: string[], attempts = 5): number | null {
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
        String(attempts),
        '-T',
        '1',
        '-A',
        '1',
        '-i',
        ifname,
        '-s',
        join(dir, 'hook.sh'),
        ...extra,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    return r.status;
  }

  it('gives udhcpc (a UEFI x86-64 PXE client) its static lease, options and snponly.efi', async () => {
    const out = join(dir, 'udhcpc');
    const status = udhcpc('u0', out, [
      '-O',
      '66',
      '-O',
      '67',
      '-V',
      'PXEClient:Arch:00007:UNDI:003016',
      '-x',
      '0x5d:0007',
    ]);
    expect(status).toBe(0);
    const env = await readEnv(`${out}.bound`);
    expect(env).toMatchObject({
      ip: '10.77.0.10',
      subnet: '255.255.255.0',
      router: '10.77.0.254',
      serverid: SERVER_IP,
      lease: '1800',
      hostname: 'node-u',
      siaddr: SERVER_IP,
      boot_file: 'snponly.efi',
      bootfile: 'snponly.efi',
      tftp: SERVER_IP,
    });
    expect(env.dns?.trim().split(/\s+/)).toEqual(['10.77.0.53', '10.77.0.54']);
    expect(anvil!.served(MACS.udhcpc)).toEqual(['DHCPOFFER 10.77.0.10 snponly.efi', 'DHCPACK 10.77.0.10 snponly.efi']);
  });

  it('gives a client with user class iPXE its per-MAC script URL', async () => {
    const out = join(dir, 'ipxe');
    // 0x4d = option 77; 69505845 = "iPXE", sent as bare text the way iPXE sends it.
    expect(udhcpc('i0', out, ['-O', '67', '-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x4d:69505845'])).toBe(0);
    const env = await readEnv(`${out}.bound`);
    expect(env).toMatchObject({ ip: '10.77.0.12', bootfile: `http://${SERVER_IP}:8080/boot/${MACS.ipxe}.ipxe` });
  });

  it('gives ISC dhclient (a BIOS PXE client) its static lease and undionly.kpxe', async () => {
    const out = join(dir, 'dhclient');
    // dhclient gives its script a fresh environment, so this hook has the output path written in.
    await writeFile(join(dir, 'dhclient-hook.sh'), `#!/bin/sh\nenv > "${out}.$reason"\nexit 0\n`);
    await chmod(join(dir, 'dhclient-hook.sh'), 0o755);
    await writeFile(
      join(dir, 'dhclient.conf'),
      [
        'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";',
        'option anvil-client-arch code 93 = unsigned integer 16;',
        'send anvil-client-arch 0;',
        'request subnet-mask, routers, domain-name-servers, host-name, dhcp-lease-time, dhcp-server-identifier, tftp-server-name, bootfile-name;',
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
      expect(env).toMatchObject({
        new_ip_address: '10.77.0.11',
        new_subnet_mask: '255.255.255.0',
        new_routers: '10.77.0.254',
        new_domain_name_servers: '10.77.0.53 10.77.0.54',
        new_host_name: 'node-d',
        new_dhcp_lease_time: '1800',
        new_dhcp_server_identifier: SERVER_IP,
        new_filename: 'undionly.kpxe',
        new_tftp_server_name: SERVER_IP,
        new_bootfile_name: 'undionly.kpxe',
      });
      expect(await readFile(join(dir, 'dhclient.leases'), 'utf8')).toContain('fixed-address 10.77.0.11;');
      expect(anvil!.served(MACS.dhclient)).toEqual([
        'DHCPOFFER 10.77.0.11 undionly.kpxe',
        'DHCPACK 10.77.0.11 undionly.kpxe',
      ]);
    } finally {
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0) process.kill(pid, 'SIGTERM');
    }
  });

  it('answers nothing to an unknown MAC (udhcpc gives up after 3 discovers)', async () => {
    const out = join(dir, 'unknown');
    const started = Date.now();
    expect(udhcpc('x0', out, ['-V', 'PXEClient:Arch:00000:UNDI:002001'], 3)).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    await expect(readFile(`${out}.bound`)).rejects.toThrow();
    expect(anvil!.served(MACS.unknown)).toEqual([]);
  });
});
