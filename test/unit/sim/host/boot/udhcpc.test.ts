// The sim's DHCP client: what a PXE ROM and iPXE ask, how udhcpc is told to
// ask it, and how the hook's report becomes a lease. A stand-in for udhcpc
// runs the real hook script with the variables udhcpc exports, so nothing
// here touches a network interface.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prefixOfMask, pxeAsk } from '../../../../../sim/host/boot/dhcp-client.js';
import { parseLease, startUdhcpc, udhcpcArgs } from '../../../../../sim/host/boot/udhcpc.js';

const MAC = '52:54:00:12:34:56';

/**
 * udhcpc as far as the hook sees it: reads -i and -s from its arguments,
 * then runs the hook `bound` with the ACK's variables (from the
 * environment the test gives) and says its arguments on stderr.
 */
const FAKE_UDHCPC = `
while [ $# -gt 0 ]; do
  case "$1" in -i) interface=$2; shift ;; -s) hook=$2; shift ;; esac
  shift
done
echo "udhcpc: started" >&2
[ -n "$FAKE_IP" ] || { echo "udhcpc: no lease, failing" >&2; exit 1; }
interface=$interface ip=$FAKE_IP subnet=255.255.255.0 mask=24 router=192.0.2.1 serverid=192.0.2.1 \\
  siaddr=192.0.2.1 boot_file=ipxe.efi bootfile=ipxe.efi tftp=192.0.2.1 "$hook" bound
interface=$interface "$hook" deconfig
`;

describe('what a network-booting host asks DHCP', () => {
  it('asks as a UEFI PXE ROM with its architecture, then as iPXE with user class iPXE', () => {
    const signal = new AbortController().signal;
    expect(pxeAsk(MAC, 'efi-x86_64', 'rom', signal)).toMatchObject({
      mac: MAC,
      vendorClass: 'PXEClient:Arch:00007:UNDI:003016',
      clientArch: 7,
      userClass: null,
    });
    expect(pxeAsk(MAC, 'bios', 'ipxe', signal)).toMatchObject({
      vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
      clientArch: 0,
      userClass: 'iPXE',
    });
    expect(pxeAsk(MAC, 'efi-arm64', 'rom', signal).clientArch).toBe(11);
  });

  it('puts the vendor class, option 93 and option 77 on udhcpc’s command line, with the broadcast flag', () => {
    const ask = pxeAsk(MAC, 'efi-x86_64', 'ipxe', new AbortController().signal);
    const args = udhcpcArgs(ask, 'eth0', '/tmp/hook.sh', 3, 1);
    expect(args.join(' ')).toBe(
      '-i eth0 -f -q -n -B -t 3 -T 1 -A 1 -s /tmp/hook.sh -V PXEClient:Arch:00007:UNDI:003010 -O 66 -O 67 -x 0x5d:0007 -x 0x4d:69505845',
    );
    const rom = udhcpcArgs(pxeAsk(MAC, 'efi-arm64', 'rom', ask.signal), 'eth0', '/h', 1, 1);
    expect(rom).toContain('0x5d:000b');
    expect(rom.join(' ')).not.toContain('0x4d');
  });

  it('reads prefix lengths from netmasks', () => {
    expect(prefixOfMask('255.255.255.0')).toBe(24);
    expect(prefixOfMask('255.255.254.0')).toBe(23);
    expect(prefixOfMask('255.255.255.255')).toBe(32);
    expect(prefixOfMask('0.0.0.0')).toBe(0);
    expect(prefixOfMask('255.0.255.0')).toBeNull();
    expect(prefixOfMask('255.255.255')).toBeNull();
  });
});

describe('the lease udhcpc’s hook reports', () => {
  it('takes next-server from siaddr and the boot file from option 67', () => {
    const out = [
      'udhcpc: started, v1.35.0',
      'anvil-sim-lease ip=192.0.2.100',
      'anvil-sim-lease subnet=255.255.255.0',
      'anvil-sim-lease mask=',
      'anvil-sim-lease router=192.0.2.1 192.0.2.2',
      'anvil-sim-lease serverid=192.0.2.1',
      'anvil-sim-lease siaddr=192.0.2.5',
      'anvil-sim-lease tftp=192.0.2.6',
      'anvil-sim-lease boot_file=undionly.kpxe',
      'anvil-sim-lease bootfile=http://192.0.2.1:8080/boot/52:54:00:12:34:56.ipxe',
      'anvil-sim-lease hostname=node-1',
    ].join('\n');
    expect(parseLease(out, 'eth0')).toEqual({
      address: '192.0.2.100',
      prefix: 24,
      router: '192.0.2.1',
      serverId: '192.0.2.1',
      nextServer: '192.0.2.5',
      bootFile: 'http://192.0.2.1:8080/boot/52:54:00:12:34:56.ipxe',
      hostname: 'node-1',
      interface: 'eth0',
    });
  });

  it('falls back to option 66 without siaddr and to the BOOTP file field without option 67', () => {
    const out =
      'anvil-sim-lease ip=10.0.0.9\nanvil-sim-lease mask=16\nanvil-sim-lease siaddr=0.0.0.0\nanvil-sim-lease tftp=10.0.0.1\nanvil-sim-lease boot_file=ipxe.efi\n';
    expect(parseLease(out, 'eth1')).toMatchObject({ prefix: 16, nextServer: '10.0.0.1', bootFile: 'ipxe.efi' });
  });

  it('is no lease without an address', () => {
    expect(parseLease('udhcpc: sending discover\nanvil-sim-lease ip=\n', 'eth0')).toBeNull();
  });
});

describe('startUdhcpc', () => {
  it('runs udhcpc on the interface carrying the MAC, configures the address the hook reported, and removes its hook', async () => {
    const configured: string[] = [];
    const udhcpc = await startUdhcpc({
      command: ['sh', '-c', FAKE_UDHCPC, 'udhcpc'],
      interfaceOf: async (mac) => (mac === MAC ? 'eth9' : null),
      configure: async (ifname, address, prefix) => {
        configured.push(`${ifname} ${address}/${prefix}`);
      },
    });
    process.env.FAKE_IP = '192.0.2.7';
    try {
      const lease = await udhcpc.client(pxeAsk(MAC, 'efi-x86_64', 'rom', new AbortController().signal));
      expect(lease).toEqual({
        address: '192.0.2.7',
        prefix: 24,
        router: '192.0.2.1',
        serverId: '192.0.2.1',
        nextServer: '192.0.2.1',
        bootFile: 'ipxe.efi',
        hostname: null,
        interface: 'eth9',
      });
      expect(configured).toEqual(['eth9 192.0.2.7/24']);

      await expect(
        udhcpc.client(pxeAsk('52:54:00:00:00:99', 'bios', 'rom', new AbortController().signal)),
      ).rejects.toThrow('no network interface carries 52:54:00:00:00:99');

      delete process.env.FAKE_IP;
      await expect(udhcpc.client(pxeAsk(MAC, 'bios', 'rom', new AbortController().signal))).rejects.toThrow(
        'no lease on eth9 after 4 DISCOVERs: udhcpc: no lease, failing',
      );
      expect(configured).toHaveLength(1);
    } finally {
      delete process.env.FAKE_IP;
      await udhcpc.close();
    }
  });

  it('stops udhcpc when the boot is cut short', async () => {
    const udhcpc = await startUdhcpc({
      command: ['sh', '-c', 'sleep 30', 'udhcpc'],
      interfaceOf: async () => 'eth9',
      configure: async () => undefined,
    });
    try {
      const abort = new AbortController();
      const asked = udhcpc.client(pxeAsk(MAC, 'bios', 'rom', abort.signal));
      setTimeout(() => abort.abort(), 50);
      const started = Date.now();
      await expect(asked).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await udhcpc.close();
    }
  });

  it('leaves no hook behind once closed', async () => {
    const udhcpc = await startUdhcpc({
      // Says the hook's path (its -s argument) on stderr, which the error repeats, and gets no lease.
      command: ['sh', '-c', 'while [ $# -gt 0 ]; do [ "$1" = -s ] && echo "$2" >&2; shift; done; exit 1', 'udhcpc'],
      interfaceOf: async () => 'eth9',
      configure: async () => undefined,
    });
    const err = await udhcpc.client(pxeAsk(MAC, 'bios', 'rom', new AbortController().signal)).catch((e: Error) => e);
    const hook = (err as Error).message.split(': ').at(-1)!;
    expect(hook).toMatch(/hook\.sh$/);
    expect(existsSync(hook)).toBe(true);
    await udhcpc.close();
    expect(existsSync(hook)).toBe(false);
  });
});
