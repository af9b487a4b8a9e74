// A TFTP reading client, as a NIC's PXE ROM is one: a read request with the
// blksize option (RFC 2348) and tsize (RFC 2349), lock-step DATA/ACK
// (RFC 1350), retransmission of the last packet on a timeout, a bounded
// number of tries, and an early stop when the caller has read enough.
import { createHash } from 'node:crypto';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import {
  decodeReply,
  encodeAck,
  encodeError,
  encodeReadRequest,
  ERR_NOT_DEFINED,
  ERR_OPTION_REFUSED,
  ERR_UNKNOWN_TID,
  TftpPacketError,
  type TftpReply,
} from './tftp-packet.js';

const DEFAULT_BLKSIZE = 512;

export interface TftpReadOptions {
  /** An IP address, as DHCP's next-server is: replies are matched against it. */
  host: string;
  port: number;
  file: string;
  /** Asked for with the blksize option; 1468 fills an Ethernet frame. */
  blksize?: number;
  /** How long to wait for the next packet before sending the last one again. */
  timeoutMs?: number;
  /** Retransmissions in a row before giving up. */
  retries?: number;
  /** Stop (with an ERROR to the server) once this many bytes arrived. */
  maxBytes?: number;
  /** The address the request comes from: the one DHCP leased the host, so the server can tell which host it serves. */
  localAddress?: string;
  signal?: AbortSignal;
}

export interface TftpReadResult {
  bytes: number;
  sha256: string;
  /** The block size in use: the server's OACK answer, or 512 without one. */
  blksize: number;
  /** The server's tsize answer, when it gave one. */
  size: number | null;
  /** false when the read stopped at maxBytes before the end of the file. */
  complete: boolean;
}

/** The server answered with an ERROR packet. */
export class TftpRemoteError extends Error {
  constructor(
    readonly code: number,
    readonly remoteMessage: string,
  ) {
    super(`TFTP error ${code}: ${remoteMessage}`);
    this.name = 'TftpRemoteError';
  }
}

export class TftpTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TftpTimeoutError';
  }
}

export async function tftpRead(options: TftpReadOptions): Promise<TftpReadResult> {
  try {
    return await readOnce(options, true);
  } catch (err) {
    // RFC 2347: a server that refuses the options may be asked again without them.
    if (err instanceof TftpRemoteError && err.code === ERR_OPTION_REFUSED) return readOnce(options, false);
    throw err;
  }
}

function readOnce(options: TftpReadOptions, withOptions: boolean): Promise<TftpReadResult> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const retries = options.retries ?? 5;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const requested = new Map<string, string>();
  if (withOptions) {
    requested.set('blksize', String(options.blksize ?? 1468));
    requested.set('tsize', '0');
  }
  const socket = createSocket(isIPv6(options.host) ? 'udp6' : 'udp4');
  const hash = createHash('sha256');

  return new Promise<TftpReadResult>((resolve, reject) => {
    let serverPort: number | null = null;
    let blksize = DEFAULT_BLKSIZE;
    let size: number | null = null;
    let expected = 1;
    let bytes = 0;
    let lastSent = encodeReadRequest(options.file, requested);
    let lastTo = options.port;
    let misses = 0;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;

    /** `parting` is the last word to the server (final ACK, or an ERROR); the socket closes once it is out, or it would be dropped. */
    const finish = (
      outcome: { result: TftpReadResult } | { error: Error },
      parting?: { packet: Buffer; port: number },
    ): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (parting) socket.send(parting.packet, parting.port, options.host, () => socket.close());
      else socket.close();
      if ('result' in outcome) resolve(outcome.result);
      else reject(outcome.error);
    };
    const send = (packet: Buffer, port: number): void => {
      lastSent = packet;
      lastTo = port;
      socket.send(packet, port, options.host);
      arm();
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(onTimeout, timeoutMs);
    };
    const onTimeout = (): void => {
      misses += 1;
      if (misses > retries) {
        finish({
          error: new TftpTimeoutError(
            `no answer from tftp://${options.host}:${options.port}/${options.file} after ${retries + 1} tries of ${timeoutMs} ms`,
          ),
        });
        return;
      }
      socket.send(lastSent, lastTo, options.host);
      arm();
    };
    const onAbort = (): void =>
      finish({
        error: options.signal?.reason instanceof Error ? options.signal.reason : new Error('TFTP read aborted'),
      });
    const done = (complete: boolean, parting: { packet: Buffer; port: number }): void =>
      finish({ result: { bytes, sha256: hash.digest('hex'), blksize, size, complete } }, parting);

    const onReply = (reply: TftpReply, from: RemoteInfo): void => {
      if (reply.op === 'error') {
        finish({ error: new TftpRemoteError(reply.code, reply.message) });
        return;
      }
      if (reply.op === 'oack') {
        // An OACK only ever answers the request itself; a late duplicate is ignored.
        if (expected !== 1 || bytes !== 0) return;
        const agreed = Number(reply.options.get('blksize') ?? DEFAULT_BLKSIZE);
        const asked = Number(requested.get('blksize') ?? DEFAULT_BLKSIZE);
        if (!Number.isInteger(agreed) || agreed < 8 || agreed > asked) {
          finish(
            {
              error: new TftpRemoteError(ERR_OPTION_REFUSED, `server offered blksize ${reply.options.get('blksize')}`),
            },
            { packet: encodeError(ERR_OPTION_REFUSED, 'bad blksize'), port: from.port },
          );
          return;
        }
        blksize = agreed;
        const tsize = reply.options.get('tsize');
        size = tsize !== undefined && /^[0-9]+$/.test(tsize) ? Number(tsize) : null;
        misses = 0;
        send(encodeAck(0), from.port);
        return;
      }
      if (reply.block === ((expected - 1) & 0xffff)) {
        // Our ACK was lost and the server sent the block again: acknowledge it again.
        send(encodeAck(reply.block), from.port);
        return;
      }
      if (reply.block !== (expected & 0xffff)) return;
      misses = 0;
      const take = Math.min(reply.data.length, maxBytes - bytes);
      hash.update(reply.data.subarray(0, take));
      bytes += take;
      const last = reply.data.length < blksize;
      if (!last && bytes >= maxBytes) {
        done(false, { packet: encodeError(ERR_NOT_DEFINED, 'client read enough'), port: from.port });
        return;
      }
      if (last) {
        // RFC 1350 §6: the final ACK is not waited on; if it is lost the server retransmits to nobody and gives up.
        done(true, { packet: encodeAck(reply.block), port: from.port });
        return;
      }
      socket.send(encodeAck(reply.block), from.port, options.host);
      expected += 1;
      lastSent = encodeAck(reply.block);
      lastTo = from.port;
      arm();
    };

    socket.on('message', (packet, from) => {
      if (settled || from.address !== options.host) return;
      if (serverPort === null) serverPort = from.port;
      else if (from.port !== serverPort) {
        // RFC 1350 §4: a packet from another transfer id gets an error and changes nothing here.
        socket.send(encodeError(ERR_UNKNOWN_TID, 'Unknown transfer ID'), from.port, from.address);
        return;
      }
      let reply: TftpReply;
      try {
        reply = decodeReply(packet);
      } catch (err) {
        if (err instanceof TftpPacketError) return;
        throw err;
      }
      onReply(reply, from);
    });
    socket.on('error', (err) => finish({ error: err }));
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.bind(0, options.localAddress, () => send(lastSent, options.port));
  });
}
