/**
 * One read transfer on its own UDP socket (the server's transfer ID, RFC 1350
 * §4): option acknowledgement, then DATA in windows of `windowsize` blocks
 * (RFC 7440; 1 is RFC 1350's lock-step), each window retransmitted with
 * exponential back-off until acknowledged or the retries run out.
 */
import type { Socket, RemoteInfo } from 'node:dgram';
import { negotiate, type NegotiationLimits } from './options.js';
import { dataHeader, decodePacket, encodePacket, ErrorCode, TftpPacketError, type WireOption } from './packet.js';
import type { BlockReader } from './source.js';

/** A datagram as the parts sent together (a DATA header and its block, sent without joining them). */
type Datagram = readonly Buffer[];

export interface TransferSettings {
  /** First retransmission delay when the client did not negotiate `timeout`. */
  retransmitMs: number;
  /** Retransmissions of one window (or OACK) before the client is given up for gone. */
  maxRetries: number;
  /** Cap on the doubled retransmission delay. */
  maxRetransmitMs: number;
  /**
   * How long the first packet sent (OACK or DATA 1) may go unacknowledged
   * before the transfer is dropped, whatever `timeout` the client negotiated:
   * a request nobody answers (a flood, a scan, firmware abandoning a probe)
   * holds its slot this long, not the whole retransmission schedule.
   */
  firstAckTimeoutMs: number;
  limits: NegotiationLimits;
}

export interface Peer {
  address: string;
  port: number;
}

export type FailureReason =
  | 'client-timeout'
  /** The client never acknowledged the first packet within `firstAckTimeoutMs`. */
  | 'unacknowledged'
  | 'client-error'
  | 'transfer-timeout'
  | 'read-error'
  | 'server-closing';

/** Why a transfer that started did not finish. */
export class TransferFailed extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'TransferFailed';
  }
}

export interface TransferStats {
  /** Data bytes the client acknowledged. */
  bytes: number;
  blksize: number;
  windowsize: number;
  retransmits: number;
}

interface Waiter {
  /** Maps a 16-bit ACK to the absolute block it acknowledges, or null to keep waiting. */
  accept(block: number): number | null;
  resolve(block: number): void;
  reject(error: TransferFailed): void;
}

export class Transfer {
  readonly stats: TransferStats = { bytes: 0, blksize: 0, windowsize: 1, retransmits: 0 };
  private waiter: Waiter | null = null;
  private failure: TransferFailed | null = null;
  private timeoutSeconds: number | null = null;
  /** Armed when the first packet leaves, cleared by the first ACK the transfer accepts. */
  private readonly firstAck: { timer: NodeJS.Timeout | null; received: boolean } = { timer: null, received: false };

  constructor(
    private readonly socket: Socket,
    private readonly peer: Peer,
    private readonly source: BlockReader,
    private readonly size: number | null,
    private readonly settings: TransferSettings,
  ) {
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    // Send failures are lost packets to TFTP (the timers recover); an 'error' event without a
    // listener would throw and take the whole server, or its thread, down.
    socket.on('error', () => undefined);
  }

  /** Ends the transfer early; the running `run()` rejects with this failure. */
  fail(failure: TransferFailed): void {
    if (this.failure !== null) return;
    this.failure = failure;
    this.source.close();
    this.waiter?.reject(failure);
  }

  /** Sends the file; resolves once the client acknowledged the last block. */
  async run(requested: readonly WireOption[]): Promise<TransferStats> {
    try {
      await this.transfer(requested);
      return this.stats;
    } catch (error) {
      const failure =
        this.failure ??
        (error instanceof TransferFailed
          ? error
          : new TransferFailed('read-error', `reading the file failed: ${String(error)}`));
      // RFC 1350 §7: an ERROR ends the transfer without acknowledgement, so it
      // is sent once; not in answer to the client's own ERROR.
      if (failure.reason !== 'client-error') {
        const packet = encodePacket({ op: 'ERROR', code: ErrorCode.NotDefined, message: failure.message });
        // Awaited: the socket closes right after, and would drop an unsent datagram.
        await new Promise<void>((resolve) =>
          this.socket.send(packet, this.peer.port, this.peer.address, () => resolve()),
        );
      }
      throw failure;
    } finally {
      if (this.firstAck.timer !== null) clearTimeout(this.firstAck.timer);
      this.source.close();
    }
  }

  private async transfer(requested: readonly WireOption[]): Promise<void> {
    // Stopped before it started (while its socket was bound): nothing goes out but the ERROR.
    this.throwIfFailed();
    const negotiated = negotiate(requested, this.settings.limits, this.size);
    const { blksize, windowsize } = negotiated;
    this.stats.blksize = blksize;
    this.stats.windowsize = windowsize;
    this.timeoutSeconds = negotiated.timeoutSeconds;
    if (negotiated.accepted.length > 0) {
      // RFC 2347: the client confirms the OACK with ACK 0 before DATA 1.
      await this.exchange([[encodePacket({ op: 'OACK', options: negotiated.accepted })]], (block) =>
        block === 0 ? 0 : null,
      );
    }
    let acked = 0;
    let window: Datagram[] = [];
    let last: number | null = null;
    let restartedAt = -1;
    /** Blocks read while the previous window's ACK was on its way, so disk reads stay off the round trip. */
    const ahead: Promise<Buffer>[] = [];
    const readAhead = (): void => {
      while (last === null && ahead.length < windowsize) {
        const block = this.source.read(blksize);
        // Handled when it is awaited below; this keeps an early failure from being "unhandled".
        block.catch(() => undefined);
        ahead.push(block);
      }
    };
    for (;;) {
      while (window.length < windowsize && last === null) {
        this.throwIfFailed();
        const data = await (ahead.shift() ?? this.source.read(blksize));
        const block = acked + window.length + 1;
        window.push([dataHeader(block), data]);
        // RFC 1350 §6: a block shorter than blksize (possibly empty) ends the file.
        if (data.length < blksize) last = block;
      }
      this.throwIfFailed();
      const base = acked;
      const sent = window.length;
      const acknowledged = this.exchange(window, (block) => {
        // Block numbers are 16 bits and wrap past 65535 (to 0, as tftp-hpa,
        // atftp and curl expect), so the ACK is read relative to the window.
        const distance = (block - base) & 0xffff;
        if (distance >= 1 && distance <= sent) return base + distance;
        // RFC 7440 §4: an ACK of the block before the window means the client
        // lost its first block and dropped the rest: resend the window now,
        // once. With lock-step (windowsize 1) a duplicate ACK is ignored: the
        // Sorcerer's Apprentice fix of RFC 1123 §4.2.3.1.
        if (distance === 0 && windowsize > 1 && restartedAt !== base) {
          restartedAt = base;
          return base;
        }
        return null;
      });
      readAhead();
      const through = await acknowledged;
      if (through === base) continue;
      for (const [, data] of window.slice(0, through - base)) this.stats.bytes += data?.length ?? 0;
      // RFC 7440 §4: after an ACK inside the window, the next window starts right after it.
      window = window.slice(through - base);
      acked = through;
      if (acked === last) return;
    }
  }

  /** Sends `packets`, then resends them with back-off until `accept` takes an ACK. */
  private exchange(packets: Datagram[], accept: (block: number) => number | null): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let attempt = 0;
      let timer: NodeJS.Timeout;
      const sendAll = (): void => {
        for (const packet of packets) this.send(packet);
      };
      const arm = (): void => {
        timer = setTimeout(onTimeout, this.delay(attempt));
      };
      const settle = (): void => {
        clearTimeout(timer);
        this.waiter = null;
      };
      const onTimeout = (): void => {
        if (attempt >= this.settings.maxRetries) {
          settle();
          reject(new TransferFailed('client-timeout', `no acknowledgement after ${attempt} retransmissions`));
          return;
        }
        attempt += 1;
        this.stats.retransmits += 1;
        sendAll();
        arm();
      };
      this.armFirstAck();
      this.waiter = {
        accept,
        resolve: (block) => {
          settle();
          resolve(block);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      sendAll();
      arm();
    });
  }

  /**
   * A transfer that never heard back is reclaimed on a deadline of its own,
   * shorter than the retransmission schedule (47 s with the server's
   * defaults, minutes with a negotiated `timeout`): until a client
   * acknowledges once, nothing shows it is there at all, and its source
   * address may be forged.
   */
  private armFirstAck(): void {
    if (this.firstAck.received || this.firstAck.timer !== null) return;
    const ms = this.settings.firstAckTimeoutMs;
    this.firstAck.timer = setTimeout(
      () => this.fail(new TransferFailed('unacknowledged', `no acknowledgement of the first packet within ${ms} ms`)),
      ms,
    );
  }

  private delay(attempt: number): number {
    // RFC 2349: a negotiated timeout is the retransmission interval both sides use.
    const base = this.timeoutSeconds !== null ? this.timeoutSeconds * 1000 : this.settings.retransmitMs;
    return Math.min(base * 2 ** attempt, Math.max(base, this.settings.maxRetransmitMs));
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (rinfo.address !== this.peer.address || rinfo.port !== this.peer.port) {
      // RFC 1350 §4: a packet from another port is answered with ERROR 5 and
      // does not disturb the transfer.
      this.socket.send(
        encodePacket({ op: 'ERROR', code: ErrorCode.UnknownTransferId, message: 'Unknown transfer ID' }),
        rinfo.port,
        rinfo.address,
      );
      return;
    }
    let packet;
    try {
      packet = decodePacket(msg);
    } catch (error) {
      // A mangled datagram from the client is treated as lost: the timers recover.
      if (error instanceof TftpPacketError) return;
      throw error;
    }
    if (packet.op === 'ACK') {
      const waiter = this.waiter;
      if (waiter === null) return;
      const block = waiter.accept(packet.block);
      if (block === null) return;
      if (!this.firstAck.received) {
        this.firstAck.received = true;
        if (this.firstAck.timer !== null) clearTimeout(this.firstAck.timer);
      }
      waiter.resolve(block);
    } else if (packet.op === 'ERROR') {
      this.fail(new TransferFailed('client-error', `client sent ERROR ${packet.code}: ${packet.message}`));
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  private send(packet: Datagram): void {
    // No callback: an error goes to the 'error' listener above, and each block is spared a tick.
    this.socket.send(packet, this.peer.port, this.peer.address);
  }
}
