import { mkdir } from 'node:fs/promises';
import { startDhcpServer, type DhcpServer } from '../../pxe/dhcp/index.js';
import { startBootHttpServer, type BootHttpServer } from '../../pxe/http/index.js';
import { namedFiles, startTftpServer, TftpConfigError, type TftpServer } from '../../pxe/tftp/index.js';
import type { AnvilConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { BootBackend } from '../../pxe/index.js';
import { bootLoaderFiles, tftpLoaderFiles } from './boot-loaders.js';

export interface BootServices {
  /** The HTTP boot server as hosts reach it. */
  httpUrl: string;
  tftpPort: number | null;
  close(): Promise<void>;
}

/**
 * The network boot services of the `pxe` role: the HTTP boot and image
 * server, TFTP for the iPXE binaries, and DHCP when enabled, all reading
 * hosts through the one backend.
 */
export async function startBootServices(
  config: AnvilConfig['boot'],
  backend: BootBackend,
  metrics: Metrics,
  log: Logger,
): Promise<BootServices> {
  const started: { close(): Promise<void> }[] = [];
  // Created on first start, like the data directory they default into.
  await mkdir(config.imagesDir, { recursive: true });
  await mkdir(config.bootFilesDir, { recursive: true });
  try {
    const http: BootHttpServer = await startBootHttpServer({
      host: config.httpHost,
      port: config.httpPort,
      ...(config.publicUrl === null ? {} : { publicUrl: config.publicUrl }),
      backend,
      imageDirs: { images: config.imagesDir, bootFiles: config.bootFilesDir },
      observer: {
        onRequest: (e) => metrics.httpBootBytes.inc({ route: e.route }, e.bytes),
        onError: (err, context) => log.warn({ err, context }, 'boot HTTP server'),
      },
    });
    started.push(http);
    const httpUrl = http.url;

    let tftp: TftpServer | null = null;
    if (config.tftpPort !== null) {
      try {
        tftp = await startTftpServer({
          root: config.tftpRoot,
          // Debian links ipxe.efi out of /usr/lib/ipxe; naming the binaries serves them without opening the root to symlinks.
          resolve: namedFiles(tftpLoaderFiles(config)),
          host: config.httpHost,
          port: config.tftpPort,
          maxTransfersPerClient: config.tftpMaxTransfersPerClient,
          firstAckTimeoutMs: Math.ceil(config.tftpFirstAckTimeoutSeconds * 1000),
          backend,
          observer: (e) => {
            if (e.event === 'record-failed') {
              log.warn({ err: e.error, file: e.file }, 'TFTP: could not record a transfer in node history');
              return;
            }
            metrics.tftpBytes.inc({ outcome: e.event === 'transfer-complete' ? 'complete' : 'failed' }, e.bytes);
            // A client's own failures (timeouts, refusals) are its business; a fault of ours needs an operator.
            if (e.reason === 'internal') {
              log.warn(
                { file: e.file, client: e.client, detail: e.detail },
                'TFTP: a transfer failed inside the server',
              );
            }
          },
        });
        started.push(tftp);
        if (!tftp.nativeTransfers)
          log.warn(
            'TFTP transfers run on worker threads: the native data path was not built (npm install needs python3, make and a C compiler)',
          );
      } catch (err) {
        // A laptop without Debian's ipxe package, or without root for port 69, still runs the rest.
        if (!(err instanceof TftpConfigError) && (err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
        log.error(
          { err: (err as Error).message, root: config.tftpRoot, port: config.tftpPort },
          'TFTP is NOT running: install the ipxe package (or set ANVIL_TFTP_ROOT), run as root for port 69 or set ANVIL_TFTP_PORT, or ANVIL_TFTP_PORT=off',
        );
      }
    }

    if (config.dhcpMode !== 'off') {
      const dhcp: DhcpServer = await startDhcpServer({
        mode: config.dhcpMode,
        interface: config.dhcpInterface!,
        backend,
        boot: { ...bootLoaderFiles(config), ipxeScriptUrl: `${httpUrl}/boot/{mac}.ipxe` },
        observer: (e) => {
          if (e.kind === 'replied') metrics.dhcpReplies.inc({ type: e.messageType });
          if (e.kind === 'failed') log.warn({ err: e.error, stage: e.stage }, 'DHCP server');
        },
      });
      started.push(dhcp);
    }
    log.info(
      { http: httpUrl, tftp_port: tftp?.port ?? null, dhcp: config.dhcpMode },
      'network boot services listening',
    );
    return {
      httpUrl,
      tftpPort: tftp?.port ?? null,
      close: async () => {
        await Promise.allSettled(started.map((s) => s.close()));
      },
    };
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.close()));
    throw err;
  }
}
