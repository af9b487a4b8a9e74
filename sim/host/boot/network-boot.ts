// A PXE boot as a host's firmware and iPXE do it, against Anvil's real
// servers: TFTP the boot file DHCP would have named, GET the host's iPXE
// script, run it (fetching the kernel and initrd it names with bounded
// Range reads), and say what the script decided.
import { fetchText, rangeRead } from '../../agent/index.js';
import { tftpRead } from './tftp-client.js';
import { runIpxeScript, type IpxeMachine } from './ipxe-run.js';
import { isIpxeScript, parseIpxeScript, type IpxeScript } from './ipxe-script.js';
import { firmwareKind } from './boot-config.js';
import type { BootContext } from './boot-context.js';

/** Bigger than any script Anvil renders. */
const MAX_SCRIPT_BYTES = 64 * 1024;

export type NetbootOutcome =
  /** The kernel is the agent's: boot it with this command line. */
  | { kind: 'kernel'; kernelUrl: string; args: string[] }
  /** sanboot: the local disk, now. */
  | { kind: 'local-disk' }
  /** exit, or the boot failed: the firmware tries its next device. */
  | { kind: 'next-device' }
  | { kind: 'poweroff' }
  | { kind: 'reboot' };

export async function networkBoot(ctx: BootContext, mac: string): Promise<NetbootOutcome> {
  const { config, host } = ctx;
  const mode = host.lastBoot?.mode ?? host.boot.mode;
  const file = config.bootFiles[firmwareKind(host.cpu, mode)];
  const tftpSource = `tftp://${config.tftpServer.host}:${config.tftpServer.port}/${file}`;
  const leased = config.leaseAddress(mac);
  try {
    const read = await tftpRead({
      host: config.tftpServer.host,
      port: config.tftpServer.port,
      file,
      blksize: config.tftp.blksize,
      timeoutMs: config.tftp.timeoutMs,
      retries: config.tftp.retries,
      maxBytes: config.tftp.maxBytes,
      ...(leased === null ? {} : { localAddress: leased }),
      signal: ctx.signal,
    });
    ctx.record(
      'tftp',
      tftpSource,
      'ok',
      `${read.bytes} bytes${read.complete ? '' : ' (stopped early)'}, blksize ${read.blksize}, sha256 ${read.sha256}`,
    );
  } catch (err) {
    ctx.throwIfStopped();
    ctx.record('tftp', tftpSource, 'failed', message(err));
    return { kind: 'next-device' };
  }

  const scriptUrl = `${config.httpUrl}/boot/${mac}.ipxe`;
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
      return { kind: 'kernel', kernelUrl: outcome.kernel.url, args: outcome.kernel.args };
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
