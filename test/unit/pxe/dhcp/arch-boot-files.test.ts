// The loaders DHCP names per client architecture come from Anvil's settings:
// a real DHCP server on loopback (proxy mode, so the boot server on the PXE
// port answers the very socket that asked) configured as the boot services
// configure it, asked by PXE ROMs of each architecture.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type DhcpMessage } from '../../../../pxe/dhcp/packet.js';
import { startDhcpServer, type DhcpServer } from '../../../../pxe/dhcp/server.js';
import { bootLoaderFiles } from '../../../../services/boot/boot-loaders.js';
import { loadConfig } from '../../../../services/config/index.js';
import { KNOWN_MAC, knownHost, MemoryBackend, pxeClass, request } from './fixtures.js';

let server: DhcpServer;
let asker: Socket;

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  const config = loadConfig({ ANVIL_UEFI_ARM64_BOOT_FILE: 'aa64/snp.efi', ANVIL_UEFI_BOOT_FILE: 'snponly.efi' });
  server = await startDhcpServer({
    mode: 'proxy',
    interface: 'lo',
    serverIp: '127.0.0.1',
    backend: new MemoryBackend([knownHost()]),
    boot: { ...bootLoaderFiles(config.boot), ipxeScriptUrl: 'http://127.0.0.1:8080/boot/{mac}.ipxe' },
    ports: { server: await freeUdpPort(), client: await freeUdpPort(), pxe: await freeUdpPort() },
  });
  asker = createSocket('udp4');
  await new Promise<void>((resolve) => asker.bind(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  asker?.close();
  await server?.close();
});

/** A PXE ROM's boot server request (PXE spec 2.1 §2.5) with option 93 = `arch`; the ACK, or null after 2 s. */
async function askAs(arch: number, xid: number): Promise<DhcpMessage | null> {
  const answer = new Promise<DhcpMessage | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 2000);
    const onMessage = (b: Buffer) => {
      const reply = decodeMessage(b);
      if (reply.xid !== xid) return;
      clearTimeout(timer);
      asker.off('message', onMessage);
      resolve(reply);
    };
    asker.on('message', onMessage);
  });
  asker.send(
    encodeMessage(request(KNOWN_MAC, { messageType: 'request', ...pxeClass(arch) }, { xid, ciaddr: '127.0.0.1' })),
    server.ports.pxe,
    '127.0.0.1',
  );
  return answer;
}

describe('DHCP names the configured loader for the client architecture (option 93)', () => {
  it('gives a UEFI arm64 PXE ROM (arch 11) the configured arm64 loader, in the file field and option 67', async () => {
    const ack = await askAs(11, 0x1101);
    expect(ack).toMatchObject({
      siaddr: '127.0.0.1',
      file: 'aa64/snp.efi',
      options: { messageType: 'ack', bootfile: 'aa64/snp.efi', tftpServer: '127.0.0.1' },
    });
  });

  it.each([
    ['UEFI x86-64 (arch 7)', 7, 'snponly.efi'],
    ['UEFI x86-64 (arch 9)', 9, 'snponly.efi'],
    ['BIOS (arch 0), left at its default', 0, 'undionly.kpxe'],
  ])('gives a %s PXE ROM %s, never the arm64 loader', async (_, arch, file) => {
    const ack = await askAs(arch, 0x2200 + arch);
    expect(ack?.file).toBe(file);
    expect(ack?.options.bootfile).toBe(file);
  });
});
