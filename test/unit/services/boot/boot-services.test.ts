import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startBootServices, type BootServices } from '../../../../services/boot/boot-services.js';
import { loadConfig } from '../../../../services/config/index.js';
import { createLogger } from '../../../../services/logger.js';
import { Metrics } from '../../../../services/metrics.js';
import type { NodeRepository } from '../../../../services/nodes/index.js';
import type { BootBackend } from '../../../../pxe/index.js';
import { tftpGet } from '../../pxe/tftp/client.js';

const noHosts: BootBackend = {
  getByMac: () => Promise.resolve(null),
  getByIp: () => Promise.resolve(null),
  recordServed: () => Promise.resolve(),
  recordServedTo: () => Promise.resolve(),
};
// The node gauge is only read on a scrape, which these tests do not do.
const unusedNodes = { countByProvisionState: () => Promise.resolve(new Map()) } as unknown as NodeRepository;

describe('the network boot services', () => {
  let dir: string;
  let services: BootServices | null = null;

  afterEach(async () => {
    await services?.close();
    services = null;
    await rm(dir, { recursive: true, force: true });
  });

  async function start(): Promise<{ lines: Record<string, unknown>[] }> {
    dir = await mkdtemp(path.join(tmpdir(), 'anvil-boot-services-'));
    const tftpRoot = path.join(dir, 'tftp');
    await mkdir(tftpRoot);
    await writeFile(path.join(tftpRoot, 'undionly.kpxe'), Buffer.alloc(3000, 7));
    // A directory where a loader binary should be: a fault of the installation, not of the client.
    await mkdir(path.join(tftpRoot, 'ipxe.efi'));
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = loadConfig({
      ANVIL_DATA_DIR: dir,
      ANVIL_HTTP_HOST: '127.0.0.1',
      ANVIL_HTTP_PORT: '0',
      ANVIL_TFTP_PORT: '0',
      ANVIL_TFTP_ROOT: tftpRoot,
    }).boot;
    services = await startBootServices(config, noHosts, new Metrics(unusedNodes), createLogger('info', sink));
    return { lines };
  }

  it('logs a TFTP transfer that failed inside the server, naming the file and the fault', async () => {
    const { lines } = await start();
    const result = await tftpGet({ host: '127.0.0.1', port: services!.tftpPort!, file: 'ipxe.efi' });
    expect(result.error).toEqual({ code: 0, message: 'Internal error' });
    await expect.poll(() => lines.filter((l) => l.msg === 'TFTP: a transfer failed inside the server')).toHaveLength(1);
    const line = lines.find((l) => l.msg === 'TFTP: a transfer failed inside the server')!;
    expect(line).toMatchObject({ level: 40, file: 'ipxe.efi', client: '127.0.0.1' });
    expect(line.detail).toContain('is not a regular file');
  });

  it("does not log a client's own failures: a name it does not serve, or a transfer that completes", async () => {
    const { lines } = await start();
    const port = services!.tftpPort!;
    expect((await tftpGet({ host: '127.0.0.1', port, file: 'nothing-here.efi' })).error?.code).toBe(1);
    expect((await tftpGet({ host: '127.0.0.1', port, file: 'undionly.kpxe' })).data).toHaveLength(3000);
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
  });
});
