/**
 * A small TFTP read client for the server's tests, with knobs a real client
 * lacks: dropping chosen ACKs, vanishing mid-transfer, sending raw datagrams.
 * It follows RFC 1350 lock-step and RFC 7440 windows (ACK every `windowsize`
 * blocks; on a gap, ACK the last block received in order).
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { decodePacket, encodePacket, type TftpPacket, type WireOption } from '../../../../pxe/tftp/packet.js';

export interface GetOptions {
  port: number;
  file: string;
  host?: string;
  /** The address the client sends from (any 127.x.y.z on loopback: a distinct client to the server); default `host`. */
  localAddress?: string;
  op?: 'RRQ' | 'WRQ';
  mode?: string;
  options?: Record<string, string | number>;
  /** Resend the last packet after this long without news; default 200 ms. */
  retryMs?: number;
  /** Give up after this many resends in a row; default 10. */
  maxRetries?: number;
  /** Return true to lose this ACK instead of sending it; `nth` counts ACKs of that block. */
  dropAck?: (block: number, nth: number) => boolean;
  /** Go silent and close after receiving this many DATA packets. */
  vanishAfter?: number;
  /** Wait before each ACK (a slow client). */
  ackDelayMs?: number;
  /** Told the running count of data bytes received in order. */
  onData?: (received: number) => void;
}

export interface GetResult {
  data: Buffer;
  oack: Record<string, string> | null;
  error: { code: number; message: string } | null;
  /** The server's transfer ID (the port its replies came from). */
  serverPort: number | null;
  /** This client's own port, as the server's events name it. */
  localPort: number;
  dataPackets: number;
  /** DATA packets that were not the next block expected (retransmissions). */
  outOfOrder: number;
  vanished: boolean;
}

export function tftpGet(options: GetOptions): Promise<GetResult> {
  const host = options.host ?? '127.0.0.1';
  const retryMs = options.retryMs ?? 200;
  const maxRetries = options.maxRetries ?? 10;
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  const requested: WireOption[] = Object.entries(options.options ?? {}).map(([name, value]) => ({
    name,
    value: String(value),
  }));
  const request = encodePacket({
    op: options.op ?? 'RRQ',
    filename: options.file,
    mode: options.mode ?? 'octet',
    options: requested,
  });
  const result: GetResult = {
    data: Buffer.alloc(0),
    oack: null,
    error: null,
    serverPort: null,
    localPort: 0,
    dataPackets: 0,
    outOfOrder: 0,
    vanished: false,
  };
  const chunks: Buffer[] = [];
  const ackCounts = new Map<number, number>();
  let blksize = 512;
  let windowsize = 1;
  let expected = 1;
  let sinceAck = 0;
  let received = 0;
  let lastSent: { bytes: Buffer; port: number } = { bytes: request, port: options.port };
  let retries = 0;
  let timer: NodeJS.Timeout | undefined;

  let closed = false;
  let inFlight = 0;
  let closeWhenSent = false;
  const close = (): void => {
    closed = true;
    clearTimeout(timer);
    socket.close();
  };
  // The last ACK must leave before the socket closes, or the server never hears it.
  const send = (bytes: Buffer, port: number, delayMs = 0): void => {
    if (closed) return;
    inFlight += 1;
    if (delayMs > 0) {
      setTimeout(() => {
        inFlight -= 1;
        send(bytes, port);
      }, delayMs);
      return;
    }
    socket.send(bytes, port, host, () => {
      inFlight -= 1;
      if (closeWhenSent && inFlight === 0 && !closed) close();
    });
  };

  return new Promise<GetResult>((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      if (inFlight === 0) close();
      else closeWhenSent = true;
      result.data = Buffer.concat(chunks);
      resolve(result);
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (retries >= maxRetries) {
          close();
          reject(new Error(`test client: no answer after ${retries} retries (received ${result.dataPackets} DATA)`));
          return;
        }
        retries += 1;
        send(lastSent.bytes, lastSent.port);
        arm();
      }, retryMs);
    };
    const ack = (block: number, port: number): void => {
      const bytes = encodePacket({ op: 'ACK', block });
      lastSent = { bytes, port };
      const nth = (ackCounts.get(block) ?? 0) + 1;
      ackCounts.set(block, nth);
      if (options.dropAck?.(block, nth) === true) return;
      send(bytes, port, options.ackDelayMs);
    };
    socket.on('message', (msg, rinfo) => {
      if (result.serverPort === null) result.serverPort = rinfo.port;
      if (rinfo.port !== result.serverPort) return;
      retries = 0;
      arm();
      let packet: TftpPacket;
      try {
        packet = decodePacket(msg);
      } catch {
        return;
      }
      if (packet.op === 'ERROR') {
        result.error = { code: packet.code, message: packet.message };
        finish();
      } else if (packet.op === 'OACK') {
        result.oack = Object.fromEntries(packet.options.map((o) => [o.name.toLowerCase(), o.value]));
        blksize = Number(result.oack.blksize ?? 512);
        windowsize = Number(result.oack.windowsize ?? 1);
        ack(0, rinfo.port);
      } else if (packet.op === 'DATA') {
        result.dataPackets += 1;
        if (options.vanishAfter !== undefined && result.dataPackets >= options.vanishAfter) {
          result.vanished = true;
          finish();
          return;
        }
        if (packet.block !== (expected & 0xffff)) {
          result.outOfOrder += 1;
          // RFC 7440 §4 (and RFC 1350 for a duplicate): acknowledge the last block received in order.
          ack((expected - 1) & 0xffff, rinfo.port);
          sinceAck = 0;
          return;
        }
        chunks.push(Buffer.from(packet.data));
        received += packet.data.length;
        options.onData?.(received);
        expected += 1;
        sinceAck += 1;
        const last = packet.data.length < blksize;
        if (last || sinceAck >= windowsize) {
          ack(packet.block, rinfo.port);
          sinceAck = 0;
        }
        if (last) finish();
      }
    });
    socket.bind(0, options.localAddress ?? host, () => {
      result.localPort = socket.address().port;
      send(request, options.port);
      arm();
    });
  });
}

/** Sends one raw datagram to `port` from a fresh socket and collects what comes back within `waitMs`. */
export async function sendRaw(
  port: number,
  datagram: Uint8Array,
  waitMs: number,
): Promise<{ port: number; bytes: Buffer }[]> {
  const socket = createSocket('udp4');
  const replies: { port: number; bytes: Buffer }[] = [];
  socket.on('message', (bytes, rinfo) => replies.push({ port: rinfo.port, bytes }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve) => socket.send(datagram, port, '127.0.0.1', () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  socket.close();
  return replies;
}
