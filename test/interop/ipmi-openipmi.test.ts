// Anvil's IPMI client against OpenIPMI's ipmi_sim, a real IPMI 1.5/2.0 BMC
// (cipher suite 3 only). Power and boot state live in files kept by the
// chassis_control script ipmi_sim calls (see reference/test-peers.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiAuthError, IpmiClient, IpmiProtocolError, type IpmiClientOptions } from '../../bmc-drivers/ipmi/index.js';
import { requireTool } from './tools.js';

const haveIpmiSim = requireTool('ipmi_sim');

// ipmi_sim runs it as `<script> 0x20 get power boot` and `<script> 0x20 set power 1 boot pxe`.
const CHASSIS_SCRIPT = `#!/bin/sh
dir=$(dirname "$0")
shift
op=$1
shift
if [ "$op" = get ]; then
  for p in "$@"; do
    case $p in
      power) echo "power:$(cat "$dir/power" 2>/dev/null || echo 0)";;
      boot) echo "boot:$(cat "$dir/boot" 2>/dev/null || echo default)";;
    esac
  done
else
  while [ $# -ge 2 ]; do
    case $1 in
      power) echo "$2" > "$dir/power";;
      boot) echo "$2" > "$dir/boot";;
    esac
    shift 2
  done
fi
`;

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe.skipIf(!haveIpmiSim)('Anvil IPMI client against OpenIPMI ipmi_sim', () => {
  let dir = '';
  let port = 0;
  let bmc: ChildProcess | undefined;
  const clients: IpmiClient[] = [];

  function client(options: Partial<IpmiClientOptions> = {}): IpmiClient {
    const c = new IpmiClient({
      host: '127.0.0.1',
      port,
      username: 'anvil',
      password: 'interop-pw',
      cipherSuite: 3,
      timing: { retransmitMs: 250, deadlineMs: 5000 },
      ...options,
    });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anvil-ipmi-sim-'));
    port = await freeUdpPort();
    const script = join(dir, 'chassis-control.sh');
    await writeFile(script, CHASSIS_SCRIPT);
    await chmod(script, 0o755);
    await writeFile(
      join(dir, 'lan.conf'),
      [
        'name "anvil-interop"',
        'set_working_mc 0x20',
        '  startlan 1',
        `    addr 127.0.0.1 ${port}`,
        '    priv_limit admin',
        '    allowed_auths_callback none md2 md5 straight',
        '    allowed_auths_user none md2 md5 straight',
        '    allowed_auths_operator none md2 md5 straight',
        '    allowed_auths_admin none md2 md5 straight',
        '    guid a123456789abcdefa123456789abcdef',
        '  endlan',
        `  chassis_control "${script} 0x20"`,
        '  user 2 true "anvil" "interop-pw" admin 10 none md2 md5 straight',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'commands.emu'),
      [
        'mc_setbmc 0x20',
        'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr',
        'mc_enable 0x20',
        '',
      ].join('\n'),
    );
    bmc = spawn('ipmi_sim', ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'commands.emu'), '-s', dir, '-n'], {
      stdio: 'ignore',
    });
    // Ready when it answers an ASF ping (the client retransmits until then).
    await new IpmiClient({
      host: '127.0.0.1',
      port,
      username: 'x',
      password: 'x',
      timing: { retransmitMs: 100, deadlineMs: 10_000 },
    }).ping();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    if (bmc !== undefined && bmc.exitCode === null) {
      const exited = new Promise((resolve) => bmc?.once('exit', resolve));
      bmc.kill('SIGTERM');
      const timer = setTimeout(() => bmc?.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('reads the device ID', async () => {
    expect(await client().getDeviceId()).toMatchObject({
      ipmiVersion: '2.0',
      firmwareMajor: 9,
      manufacturerId: 0x1291,
    });
  });

  it('reads and switches power through the chassis control script', async () => {
    const c = client();
    expect(await c.getPowerState()).toBe('off');
    await c.chassisControl('on');
    expect(await c.getPowerState()).toBe('on');
    expect((await readFile(join(dir, 'power'), 'utf8')).trim()).toBe('1');
    await c.chassisControl('off');
    expect(await c.getPowerState()).toBe('off');
    expect(c.stats.sessionsEstablished).toBe(1);
  });

  it('sets the boot device to PXE and reads it back (ipmi_sim omits the valid bit)', async () => {
    const c = client();
    await c.setBootDevice({ device: 'pxe', persistent: false, mode: 'legacy' });
    expect((await c.getBootFlags()).device).toBe('pxe');
    expect((await readFile(join(dir, 'boot'), 'utf8')).trim()).toBe('pxe');
  });

  it('refuses a wrong password with IpmiAuthError', async () => {
    await expect(client({ password: 'wrong' }).getPowerState()).rejects.toBeInstanceOf(IpmiAuthError);
  });

  it('gets a clear refusal for cipher suite 17, which ipmi_sim lacks', async () => {
    await expect(client({ cipherSuite: 17 }).getPowerState()).rejects.toBeInstanceOf(IpmiProtocolError);
  });
});
