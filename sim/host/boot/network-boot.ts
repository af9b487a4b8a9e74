// A PXE boot as a host's firmware and iPXE do it, against Anvil's real
// servers: ask DHCP (when the host has a DhcpClient; otherwise configuration
// stands in for its answers), TFTP the boot file it named, ask DHCP again as
// iPXE and GET the script it named, run it (fetching the kernel and initrd
// it names with bounded Range reads), and say what the script decided.
import { fetchText, rangeRead } from '../../agent/index.js';
import { tftpRead } from './tftp-client.js';
import { runIpxeScript, type IpxeMachine } from './ipxe-run.js';
import { isIpxeScript, parseIpxeScript, type IpxeScript } from './ipxe-script.js';
import { firmwareKind, tftpWindowsize, type FirmwareKind } from './boot-config.js';
import type { BootContext } from './boot-context.js';
import { describeLease, pxeAsk, type DhcpClient, type DhcpLease } from './dhcp-client.js';

/** Bigger than any script Anvil renders. */
const MAX_SCRIPT_BYTES = 64 * 1024;

export type NetbootOutcome =
  /** The kernel is the agent's: boot it with this command line; `address` is the one DHCP gave, if it was asked. */
  | { kind: 'kernel'; kernelUrl: string; args: string[]; address: string | null }
  /** sanboot: the local disk, now. */
  | { kind: 'local-disk' }
  /** exit, or the boot failed: the firmware tries its next device. */
  | { kind: 'next-device' }
  | { kind: 'poweroff' }
  | { kind: 'reboot' };

/** Where the ROM gets its boot file and iPXE its script: DHCP's answers, or configuration's stand-ins. */
interface BootSource {
  tftpHost: string;
  file: string;
  /** The address TFTP requests come from, when it must be said. */
  localAddress: string | null;
  /** The address the agent listens on, when DHCP gave one; else the configured one. */
  agentAddress: string | null;
  scriptUrl: () => Promise<string | null>;
}

export async function networkBoot(ctx: BootContext, mac: string): Promise<NetbootOutcome> {
  const { config, host } = ctx;
  const mode = host.lastBoot?.mode ?? host.boot.mode;
  const firmware = firmwareKind(host.cpu, mode);
  const source =
    config.dhcp === null ? configuredSource(ctx, mac, firmware) : await dhcpSource(ctx, config.dhcp, mac, firmware);
  if (source === null) return { kind: 'next-device' };
  const tftpSource = `tftp://${source.tftpHost}:${config.tftpServer.port}/${source.file}`;
  try {
    const read = await tftpRead({
      host: source.tftpHost,
      port: config.tftpServer.port,
      file: source.file,
      blksize: config.tftp.blksize,
      windowsize: tftpWindowsize(firmware),
      timeoutMs: config.tftp.timeoutMs,
      retries: config.tftp.retries,
      maxBytes: config.tftp.maxBytes,
      ...(source.localAddress === null ? {} : { localAddress: source.localAddress }),
      signal: ctx.signal,
    });
    ctx.record(
      'tftp',
      tftpSource,
      'ok',
      `${read.bytes} bytes${read.complete ? '' : ' (stopped early)'}, blksize ${read.blksize}, windowsize ${read.windowsize}, sha256 ${read.sha256}`,
    );
  } catch (err) {
    ctx.throwIfStopped();
    ctx.record('tftp', tftpSource, 'failed', message(err));
    return { kind: 'next-device' };
  }

  const scriptUrl = await source.scriptUrl();
  if (scriptUrl === null) return { kind: 'next-device' };
  let script: IpxeScript;
  try {
    const text = await fetchText(scriptUrl, {
      maxBytes: MAX_SCRIPT_BYTES,
      timeoutMs: config.httpTimeoutMs,
      signal: ctx.signal,
    });
    script = parseIpxeScript(text);
    ctx.record('script', scriptUrl, 'ok', `${text.length} bytes, ${script.statements.length} statements`);
  } catch (err) {
    ctx.throwIfStopped();
    ctx.record('script', scriptUrl, 'failed', message(err));
    return { kind: 'next-device' };
  }

  const outcome = await runIpxeScript(script, ipxeMachine(ctx), {
    baseUrl: scriptUrl,
    variables: new Map([
      ['mac', mac],
      ['net0/mac', mac],
      ['uuid', host.uuid],
      ['buildarch', host.cpu.arch === 'aarch64' ? 'arm64' : mode === 'uefi' ? 'x86_64' : 'i386'],
      ['platform', mode === 'uefi' ? 'efi' : 'pcbios'],
    ]),
  });
  ctx.throwIfStopped();
  switch (outcome.kind) {
    case 'kernel':
      return { kind: 'kernel', kernelUrl: outcome.kernel.url, args: outcome.kernel.args, address: source.agentAddress };
    case 'sanboot':
      return { kind: 'local-disk' };
    case 'exit':
      return { kind: 'next-device' };
    case 'poweroff':
    case 'reboot':
      return { kind: outcome.kind };
    case 'failed':
      ctx.record('script', scriptUrl, 'failed', outcome.reason);
      return { kind: 'next-device' };
  }
}

/** Without DHCP: the files and URL Anvil's DHCP would name, from configuration. */
function configuredSource(ctx: BootContext, mac: string, firmware: FirmwareKind): BootSource {
  const { config } = ctx;
  return {
    tftpHost: config.tftpServer.host,
    file: config.bootFiles[firmware],
    localAddress: config.leaseAddress(mac),
    agentAddress: null,
    scriptUrl: async () => `${config.httpUrl ?? ''}/boot/${mac}.ipxe`,
  };
}

/**
 * The PXE ROM's DHCP (it must name a next-server and a boot file), then,
 * once the boot file is fetched, iPXE's (it must name the script's URL).
 * Null when the ROM got no usable answer: the firmware moves on.
 */
async function dhcpSource(
  ctx: BootContext,
  dhcp: DhcpClient,
  mac: string,
  firmware: FirmwareKind,
): Promise<BootSource | null> {
  const rom = await askDhcp(ctx, dhcp, mac, firmware, 'rom');
  if (rom === null) return null;
  if (rom.nextServer === null || rom.bootFile === null) {
    ctx.record(
      'dhcp',
      dhcpSourceOf(rom),
      'failed',
      `the answer names no ${rom.nextServer === null ? 'next-server' : 'boot file'}`,
    );
    return null;
  }
  const source: BootSource = {
    tftpHost: rom.nextServer,
    file: rom.bootFile,
    localAddress: rom.address,
    agentAddress: rom.address,
    scriptUrl: async () => {
      const ipxe = await askDhcp(ctx, dhcp, mac, firmware, 'ipxe');
      if (ipxe === null) return null;
      if (ipxe.bootFile === null || !/^https?:\/\//.test(ipxe.bootFile)) {
        ctx.record(
          'dhcp',
          dhcpSourceOf(ipxe),
          'failed',
          `iPXE was not given a script URL: ${ipxe.bootFile ?? 'no boot file'}`,
        );
        return null;
      }
      // The interface now holds what iPXE was given; the agent the script boots listens there.
      source.agentAddress = ipxe.address;
      return ipxe.bootFile;
    },
  };
  return source;
}

async function askDhcp(
  ctx: BootContext,
  dhcp: DhcpClient,
  mac: string,
  firmware: FirmwareKind,
  stage: 'rom' | 'ipxe',
): Promise<DhcpLease | null> {
  const ask = pxeAsk(mac, firmware, stage, ctx.signal);
  try {
    const lease = await dhcp(ask);
    ctx.record('dhcp', dhcpSourceOf(lease), 'ok', `${stage === 'rom' ? 'PXE ROM' : 'iPXE'}: ${describeLease(lease)}`);
    return lease;
  } catch (err) {
    ctx.throwIfStopped();
    ctx.record('dhcp', `dhcp://${mac}`, 'failed', `${stage === 'rom' ? 'PXE ROM' : 'iPXE'}: ${message(err)}`);
    return null;
  }
}

function dhcpSourceOf(lease: DhcpLease): string {
  return `dhcp://${lease.serverId ?? 'unknown'}`;
}

function ipxeMachine(ctx: BootContext): IpxeMachine {
  const { config } = ctx;
  return {
    async fetchImage(kind, url) {
      try {
        const read = await rangeRead(url, {
          length: config.rangeBytes,
          timeoutMs: config.httpTimeoutMs,
          signal: ctx.signal,
        });
        ctx.record(
          kind,
          url,
          'ok',
          `HTTP ${read.status}, ${read.body.length} bytes read of ${read.totalSize ?? 'unknown'}`,
        );
        return true;
      } catch (err) {
        ctx.throwIfStopped();
        ctx.record(kind, url, 'failed', message(err));
        return false;
      }
    },
    async fetchChained(url) {
      try {
        const read = await rangeRead(url, {
          length: MAX_SCRIPT_BYTES,
          timeoutMs: config.httpTimeoutMs,
          signal: ctx.signal,
        });
        const head = read.body.toString('utf8');
        if (!isIpxeScript(head)) {
          ctx.record(
            'kernel',
            url,
            'ok',
            `HTTP ${read.status}, ${read.body.length} bytes read of ${read.totalSize ?? 'unknown'} (chained image)`,
          );
          return 'binary';
        }
        const script = parseIpxeScript(head);
        ctx.record('script', url, 'ok', `chained, ${script.statements.length} statements`);
        return script;
      } catch (err) {
        ctx.throwIfStopped();
        ctx.record('script', url, 'failed', message(err));
        return 'failed';
      }
    },
    sleep: (seconds) => ctx.sleep(seconds * 1000 * config.scriptSleepScale),
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
