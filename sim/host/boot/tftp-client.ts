// A TFTP reading client, as a NIC's PXE ROM is one: a read request with the
// blksize option (RFC 2348), tsize (RFC 2349) and, as UEFI firmware asks,
// windowsize (RFC 7440); DATA acknowledged block by block (RFC 1350) or
// once a window, retransmission of the last packet on a timeout, a bounded
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
  /**
   * Asked for with the windowsize option: blocks the server may send before
   * an ACK. EDK2's UEFI PXE asks 4 (PcdPxeTftpWindowSize); PXE ROMs of
   * legacy BIOS do not ask, and go block by block.
   */
  windowsize?: number;
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
  /** The window in use: the server's OACK answer, or 1 (lock-step). */
  windowsize: number;
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
    if (options.windowsize !== undefined && options.windowsize > 1)
      requested.set('windowsize', String(options.windowsize));
  }
  const socket = createSocket(isIPv6(options.host) ? 'udp6' : 'udp4');
  const hash = createHash('sha256');

  return new Promise<TftpReadResult>((resolve, reject) => {
    let serverPort: number | null = null;
    let blksize = DEFAULT_BLKSIZE;
    let windowsize = 1;
    /** Blocks taken in order since the last ACK. */
    let unacknowledged = 0;
    /** An ACK of the last block in order went out for a gap or a repeat since the last new block: one per stall. */
    let toldWhereWeAre = false;
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
    // One timer per read, re-armed in place for each packet.
    const arm = (): void => {
      if (timer === undefined) timer = setTimeout(onTimeout, timeoutMs);
      else timer.refresh();
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
      // Mid-window, the ACK due is that of the last block taken in order (RFC 7440 §4).
      if (unacknowledged > 0) acknowledge(expected - 1, lastTo);
      else {
        socket.send(lastSent, lastTo, options.host);
        arm();
      }
    };
    const onAbort = (): void =>
      finish({
        error: options.signal?.reason instanceof Error ? options.signal.reason : new Error('TFTP read aborted'),
      });
    const done = (complete: boolean, parting: { packet: Buffer; port: number }): void =>
      finish({ result: { bytes, sha256: hash.digest('hex'), blksize, windowsize, size, complete } }, parting);
    const acknowledge = (block: number, port: number): void => {
      unacknowledged = 0;
      send(encodeAck(block & 0xffff), port);
    };

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
        const window = Number(reply.options.get('windowsize') ?? 1);
        const askedWindow = Number(requested.get('windowsize') ?? 1);
        if (!Number.isInteger(window) || window < 1 || window > askedWindow) {
          finish(
            {
              error: new TftpRemoteError(
                ERR_OPTION_REFUSED,
                `server offered windowsize ${reply.options.get('windowsize')}`,
              ),
            },
            { packet: encodeError(ERR_OPTION_REFUSED, 'bad windowsize'), port: from.port },
          );
          return;
        }
        windowsize = window;
        const tsize = reply.options.get('tsize');
        size = tsize !== undefined && /^[0-9]+$/.test(tsize) ? Number(tsize) : null;
        misses = 0;
        send(encodeAck(0), from.port);
        return;
      }
      if (reply.block !== (expected & 0xffff)) {
        // A repeat (the server missed our ACK and sent again) or, in a window,
        // a gap (a block lost on the way): either way the server is told the
        // last block taken in order, once, and goes on from there (RFC 7440 §4).
        // Lock-step answers each repeat of the block just taken, as RFC 1350 does.
        const repeat = reply.block === ((expected - 1) & 0xffff);
        if (windowsize === 1 ? repeat : !toldWhereWeAre) {
          toldWhereWeAre = true;
          acknowledge(expected - 1, from.port);
        }
        return;
      }
      misses = 0;
      toldWhereWeAre = false;
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
      expected += 1;
      unacknowledged += 1;
      if (unacknowledged >= windowsize) acknowledge(reply.block, from.port);
      // Mid-window: wait for the next block; a timeout sends the ACK of the last one taken.
      else arm();
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
