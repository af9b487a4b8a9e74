/**
 * One read transfer on its own UDP socket (the server's transfer ID, RFC 1350
 * §4): option acknowledgement, then DATA in windows of `windowsize` blocks
 * (RFC 7440; 1 is RFC 1350's lock-step), each window retransmitted with
 * exponential back-off until acknowledged or the retries run out.
 *
 * Driven by the socket's events: the ACK handler sends the next window itself,
 * from blocks read ahead while the client was busy, so a lock-step round trip
 * costs no promise, no new timer and no turn of the event loop.
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

type Phase = 'negotiating' | 'sending' | 'done';

/** RFC 2349: a negotiated `timeout` is the retransmission interval both sides use; else the server's own. */
export function firstRetransmitMs(timeoutSeconds: number | null, settings: TransferSettings): number {
  return timeoutSeconds !== null ? timeoutSeconds * 1000 : settings.retransmitMs;
}

export class Transfer {
  readonly stats: TransferStats = { bytes: 0, blksize: 0, windowsize: 1, retransmits: 0 };
  private failure: TransferFailed | null = null;
  /** The first retransmission delay: set as the options are negotiated, before anything is sent. */
  private retransmitMs = 0;
  /** Armed when the first packet leaves, cleared by the first ACK the transfer accepts. */
  private readonly firstAck: { timer: NodeJS.Timeout | null; received: boolean } = { timer: null, received: false };
  private outcome: { resolve: () => void; reject: (failure: TransferFailed) => void } | null = null;
  private phase: Phase = 'negotiating';
  /** What is out and unacknowledged: the OACK, or DATA `acked + 1` to `acked + window.length`. */
  private window: Datagram[] = [];
  /** True once `window` went out and until it is acknowledged (false while its blocks are still being read). */
  private windowSent = false;
  private acked = 0;
  /** The block shorter than blksize that ends the file, once read. */
  private last: number | null = null;
  /** RFC 7440 §4: the window resent at once on an ACK of the block before it, once per window. */
  private restartedAt = -1;
  /** Blocks read ahead of the window, so disk reads stay off the round trip. */
  private readonly ready: Buffer[] = [];
  private reading = false;
  private sourceEnded = false;
  private retransmit: { timer: NodeJS.Timeout; ms: number } | null = null;
  private attempt = 0;

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
    if (this.failure !== null || this.phase === 'done') return;
    this.failure = failure;
    this.phase = 'done';
    this.stopTimers();
    this.source.close();
    this.outcome?.reject(failure);
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
      this.stopTimers();
      this.source.close();
    }
  }

  private transfer(requested: readonly WireOption[]): Promise<void> {
    // Stopped before it started (while its socket was bound): nothing goes out but the ERROR.
    if (this.failure !== null) return Promise.reject(this.failure);
    const negotiated = negotiate(requested, this.settings.limits, this.size);
    this.stats.blksize = negotiated.blksize;
    this.stats.windowsize = negotiated.windowsize;
    this.retransmitMs = firstRetransmitMs(negotiated.timeoutSeconds, this.settings);
    const done = new Promise<void>((resolve, reject) => {
      this.outcome = { resolve, reject };
    });
    this.readAhead();
    if (negotiated.accepted.length > 0) {
      // RFC 2347: the client confirms the OACK with ACK 0 before DATA 1.
      this.window = [[encodePacket({ op: 'OACK', options: negotiated.accepted })]];
      this.sendWindow();
    } else {
      this.phase = 'sending';
      this.sendNextWindow();
    }
    return done;
  }

  /** Keeps a window's worth of blocks read beyond the one in flight. */
  private readAhead(): void {
    if (this.reading || this.sourceEnded || this.phase === 'done') return;
    if (this.ready.length >= this.stats.windowsize) return;
    this.reading = true;
    this.source.read(this.stats.blksize).then(
      (block) => {
        this.reading = false;
        if (this.phase === 'done') return;
        this.ready.push(block);
        // RFC 1350 §6: a block shorter than blksize (possibly empty) ends the file.
        if (block.length < this.stats.blksize) this.sourceEnded = true;
        if (this.phase === 'sending' && !this.windowSent) this.sendNextWindow();
        this.readAhead();
      },
      (error: unknown) => {
        this.reading = false;
        this.fail(new TransferFailed('read-error', `reading the file failed: ${String(error)}`));
      },
    );
  }

  /** Fills the window from the blocks read ahead and sends it once it is whole (or holds the last block). */
  private sendNextWindow(): void {
    const { blksize, windowsize } = this.stats;
    while (this.window.length < windowsize && this.last === null) {
      const data = this.ready.shift();
      if (data === undefined) break;
      const block = this.acked + this.window.length + 1;
      this.window.push([dataHeader(block), data]);
      if (data.length < blksize) this.last = block;
    }
    this.readAhead();
    // A partial window would leave an RFC 7440 client waiting for the rest: the next read sends it.
    if (this.window.length === windowsize || this.last !== null) this.sendWindow();
  }

  private sendWindow(): void {
    this.windowSent = true;
    this.attempt = 0;
    for (const packet of this.window) this.send(packet);
    this.armFirstAck();
    this.armRetransmit();
  }

  private onAck(block: number): void {
    if (this.phase === 'negotiating') {
      if (block !== 0) return;
      this.acknowledged();
      this.window = [];
      this.windowSent = false;
      this.phase = 'sending';
      this.sendNextWindow();
      return;
    }
    if (this.phase !== 'sending' || !this.windowSent) return;
    // Block numbers are 16 bits and wrap past 65535 (to 0, as tftp-hpa, atftp
    // and curl expect), so the ACK is read relative to the window.
    const distance = (block - this.acked) & 0xffff;
    if (distance >= 1 && distance <= this.window.length) {
      this.acknowledged();
      for (let i = 0; i < distance; i++) this.stats.bytes += this.window[i]![1]!.length;
      this.acked += distance;
      if (this.acked === this.last) {
        this.complete();
        return;
      }
      // RFC 7440 §4: after an ACK inside the window, the next window starts right after it.
      this.window = distance === this.window.length ? [] : this.window.slice(distance);
      this.windowSent = false;
      this.sendNextWindow();
    } else if (distance === 0 && this.stats.windowsize > 1 && this.restartedAt !== this.acked) {
      // RFC 7440 §4: an ACK of the block before the window means the client
      // lost its first block and dropped the rest: resend the window now,
      // once. With lock-step (windowsize 1) a duplicate ACK is ignored: the
      // Sorcerer's Apprentice fix of RFC 1123 §4.2.3.1.
      this.restartedAt = this.acked;
      this.sendWindow();
    }
  }

  private acknowledged(): void {
    if (this.firstAck.received) return;
    this.firstAck.received = true;
    if (this.firstAck.timer !== null) clearTimeout(this.firstAck.timer);
  }

  private complete(): void {
    this.phase = 'done';
    this.stopTimers();
    this.outcome?.resolve();
  }

  /** One timer per transfer, re-armed in place while its delay stays the same (every block of a healthy transfer). */
  private armRetransmit(): void {
    const ms = this.delay(this.attempt);
    if (this.retransmit?.ms === ms) {
      this.retransmit.timer.refresh();
      return;
    }
    if (this.retransmit !== null) clearTimeout(this.retransmit.timer);
    this.retransmit = { timer: setTimeout(() => this.onRetransmitTimeout(), ms), ms };
  }

  private onRetransmitTimeout(): void {
    if (this.phase === 'done' || !this.windowSent) return;
    if (this.attempt >= this.settings.maxRetries) {
      this.fail(new TransferFailed('client-timeout', `no acknowledgement after ${this.attempt} retransmissions`));
      return;
    }
    this.attempt += 1;
    this.stats.retransmits += 1;
    for (const packet of this.window) this.send(packet);
    this.armRetransmit();
  }

  private stopTimers(): void {
    if (this.retransmit !== null) clearTimeout(this.retransmit.timer);
    this.retransmit = null;
    if (this.firstAck.timer !== null) clearTimeout(this.firstAck.timer);
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
    const base = this.retransmitMs;
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
    if (packet.op === 'ACK') this.onAck(packet.block);
    else if (packet.op === 'ERROR')
      this.fail(new TransferFailed('client-error', `client sent ERROR ${packet.code}: ${packet.message}`));
  }

  private send(packet: Datagram): void {
    // No callback: an error goes to the 'error' listener above, and each block is spared a tick.
    this.socket.send(packet, this.peer.port, this.peer.address);
  }
}
