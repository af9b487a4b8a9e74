// A tiny TFTP server for tests (RFC 1350 reads with blksize and tsize):
// files from memory, every request recorded, and a few ways to misbehave
// (drop datagrams, refuse options, answer with an error).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface TinyTftpServer {
  port: number;
  /** `tftp <file> blksize=<n>` per read request, in order. */
  requests: string[];
  /** Drop this many more incoming datagrams (RRQ or ACK) unseen. */
  dropNext: number;
  /** Answer every read with ERROR 8, as a server that refuses options does, when the request has options. */
  refuseOptions: boolean;
  close(): Promise<void>;
}

export async function startTinyTftp(files: ReadonlyMap<string, Buffer>, events?: string[]): Promise<TinyTftpServer> {
  const main = createSocket('udp4');
  const transfers = new Set<Socket>();
  const server: TinyTftpServer = {
    port: 0,
    requests: [],
    dropNext: 0,
    refuseOptions: false,
    close: async () => {
      for (const t of transfers) t.close();
      await new Promise<void>((resolve) => main.close(() => resolve()));
    },
  };
  main.on('message', (packet, from) => {
    if (server.dropNext > 0) {
      server.dropNext -= 1;
      return;
    }
    if (packet.readUInt16BE(0) !== 1) return;
    const parts = packet.subarray(2).toString('ascii').split('\0');
    const [file = '', , ...opts] = parts;
    const options = new Map<string, string>();
    for (let i = 0; i + 1 < opts.length; i += 2) options.set((opts[i] as string).toLowerCase(), opts[i + 1] as string);
    const line = `tftp ${file}${options.has('blksize') ? ` blksize=${options.get('blksize')}` : ''}`;
    server.requests.push(line);
    events?.push(line);
    serve(file, options, from);
  });

  function serve(file: string, options: Map<string, string>, client: RemoteInfo): void {
    const socket = createSocket('udp4');
    transfers.add(socket);
    const send = (packet: Buffer, then?: () => void): void => socket.send(packet, client.port, client.address, then);
    const finish = (): void => {
      transfers.delete(socket);
      socket.close();
    };
    socket.bind(0, '127.0.0.1', () => {
      const data = files.get(file);
      if (data === undefined) {
        // Closed only once sent: a socket closed right after send() drops the datagram.
        send(errorPacket(1, 'File not found'), finish);
        return;
      }
      if (server.refuseOptions && options.size > 0) {
        send(errorPacket(8, 'options refused'), finish);
        return;
      }
      const blksize = options.has('blksize') ? Math.min(Number(options.get('blksize')), 65464) : 512;
      let block = options.size > 0 ? 0 : 1;
      const lastBlock = Math.floor(data.length / blksize) + 1;
      const sendCurrent = (): void => {
        if (block === 0) {
          const oack = [`blksize\0${blksize}\0`, options.has('tsize') ? `tsize\0${data.length}\0` : ''].join('');
          send(Buffer.concat([Buffer.from([0, 6]), Buffer.from(oack, 'ascii')]));
          return;
        }
        const chunk = data.subarray((block - 1) * blksize, block * blksize);
        const head = Buffer.alloc(4);
        head.writeUInt16BE(3, 0);
        head.writeUInt16BE(block & 0xffff, 2);
        send(Buffer.concat([head, chunk]));
      };
      let resend: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(resend);
        resend = setTimeout(sendCurrent, 200);
        resend.unref();
      };
      socket.on('message', (packet) => {
        if (server.dropNext > 0) {
          server.dropNext -= 1;
          return;
        }
        const op = packet.readUInt16BE(0);
        if (op === 5) {
          clearTimeout(resend);
          finish();
          return;
        }
        if (op !== 4 || packet.readUInt16BE(2) !== (block & 0xffff)) return;
        if (block === lastBlock) {
          clearTimeout(resend);
          finish();
          return;
        }
        block += 1;
        sendCurrent();
        arm();
      });
      socket.on('close', () => clearTimeout(resend));
      sendCurrent();
      arm();
    });
  }

  await new Promise<void>((resolve) => main.bind(0, '127.0.0.1', () => resolve()));
  server.port = main.address().port;
  return server;
}

function errorPacket(code: number, message: string): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(5, 0);
  head.writeUInt16BE(code, 2);
  return Buffer.concat([head, Buffer.from(`${message}\0`, 'ascii')]);
}
