/**
 * Anvil's read-only TFTP server: listens for requests, gives each one its
 * own socket and transfer (a thread of its own on the native data path where
 * `npm install` built it, else one of the transfer threads, so sends use
 * every core), and reports what it served. Files come from a per-request
 * virtual provider first (generated per-host files), then from the root
 * directory, confined to it.
 */
import { createSocket } from 'node:dgram';
import { realpath, stat, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { isIPv6 } from 'node:net';
import { Readable } from 'node:stream';
import type { BootBackend } from '../backend.js';
import { MAX_BLKSIZE } from './options.js';
import { decodePacket, encodePacket, ErrorCode, TftpPacketError, type TftpPacket, type WireOption } from './packet.js';
import { mapRequestPath, openInRoot, TftpRefusal, type RefusalReason } from './root.js';
import { FileBlocks } from './file-blocks.js';
import { loadNativeTransfers } from './native-transfers.js';
import { BlockSource, type BlockReader } from './source.js';
import { TransferThreads, type RunningTransfer } from './transfer-threads.js';
import { Transfer, TransferFailed, type FailureReason, type Peer } from './transfer.js';
import { bindSocket, peerSocket } from './udp.js';

/**
 * A generated or configured file: its bytes, an open file (read by a
 * transfer thread, and closed there), or a stream and (when known, for
 * `tsize`) its length (read on the server's own thread).
 */
export type VirtualFile = Uint8Array | { handle: FileHandle; size: number } | { stream: Readable; size: number | null };

/** What one transfer sends. */
type Content =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'file'; handle: FileHandle; size: number }
  | { kind: 'stream'; stream: Readable; size: number | null };

/**
 * Consulted before the root for every request, with the confined relative
 * path (never containing `..`). Null falls back to the root.
 */
export type VirtualFileResolver = (path: string, client: Peer) => VirtualFile | null | Promise<VirtualFile | null>;

export type TftpEvent =
  | {
      event: 'transfer-complete' | 'transfer-failed';
      /** The path served (relative to the root), or the name as requested when it was refused before mapping. */
      file: string;
      /** The client's IP address (IPv4-mapped IPv6 addresses in dotted form). */
      client: string;
      clientPort: number;
      /** Data bytes the client acknowledged. */
      bytes: number;
      seconds: number;
      blksize: number;
      windowsize: number;
      retransmits: number;
      /** Set for failures: a refusal before any data, or why a started transfer stopped. */
      reason?: RefusalReason | FailureReason | 'internal';
      /** Set for failures: the error's message (for `internal`, what the resolver or the file system threw). */
      detail?: string;
    }
  /** The transfer completed but telling the backend failed; the client got its file. */
  | { event: 'record-failed'; file: string; client: string; error: unknown };

export interface TftpServerOptions {
  /** The served directory (for Anvil: where Debian's `ipxe` package files are, e.g. /usr/lib/ipxe). */
  root: string;
  /** Default 0.0.0.0. */
  host?: string;
  /** Default 69; 0 picks a free port. */
  port?: number;
  resolve?: VirtualFileResolver;
  /** Told about each completed transfer, by the client's address (`recordServedTo`). */
  backend?: Pick<BootBackend, 'recordServedTo'>;
  /** Metrics and logs; called synchronously, it must not throw. */
  observer?: (event: TftpEvent) => void;
  /** First retransmission delay when the client does not negotiate `timeout`; default 1000. */
  retransmitMs?: number;
  /** Default 5: with the defaults a vanished client is given up after 47 s (resends at 1, 3, 7, 15 and 31 s). */
  maxRetries?: number;
  /** Cap on the doubled delay; default 16000. */
  maxRetransmitMs?: number;
  /** A transfer running longer than this is ended; default 600000 (10 min). */
  transferTimeoutMs?: number;
  /**
   * A transfer whose first packet (OACK or DATA 1) is not acknowledged within
   * this is dropped, whatever `timeout` the client negotiated; default 5000:
   * the first packet and its resends at 1 and 3 s. A PXE ROM acknowledges
   * within milliseconds; what never does (a flood, a scan, firmware walking
   * away from a `tsize` probe) gives its slot back this soon.
   */
  firstAckTimeoutMs?: number;
  /** Default 65464 (RFC 2348's largest). */
  maxBlksize?: number;
  /** Default 16: a window is buffered for retransmission, so this bounds memory per transfer. */
  maxWindowsize?: number;
  /** Default 65536: windows are shrunk to fit (see `NegotiationLimits.maxWindowBytes`). */
  maxWindowBytes?: number;
  /**
   * Requests beyond this many running transfers are refused with "Server busy";
   * default 1000. The last resort: `maxTransfersPerClient` keeps one source from filling it.
   */
  maxTransfers?: number;
  /**
   * Running transfers one client address may have (over all its ports); its
   * requests beyond this are refused, other clients are unaffected. Default 8:
   * a PXE ROM or iPXE needs one or two at once, a few more when firmware
   * abandons a transfer and starts another from a new port.
   */
  maxTransfersPerClient?: number;
  /**
   * Threads that transfers of bytes and files run on where the native data
   * path does not (a stream from the resolver stays on the server's own);
   * default one per core, at most 4. 0: every transfer on the server's own thread.
   */
  transferThreads?: number;
  /**
   * Transfers of bytes and files on the native data path (a thread per
   * transfer, in C), where `npm install` built it; default true. False: on
   * the transfer threads, as where it was not built.
   */
  nativeTransfers?: boolean;
}

export interface TftpServer {
  readonly host: string;
  readonly port: number;
  readonly activeTransfers: number;
  /** Transfer threads started so far (they start as concurrent transfers need them). */
  readonly transferThreads: number;
  /** Whether transfers of bytes and files run on the native data path. */
  readonly nativeTransfers: boolean;
  /** Stops listening and ends running transfers (their clients get an ERROR). */
  close(): Promise<void>;
}

/** A misconfigured server (root missing or not a directory), raised by `startTftpServer`. */
export class TftpConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TftpConfigError';
  }
}

export async function startTftpServer(options: TftpServerOptions): Promise<TftpServer> {
  const rootReal = await realRoot(options.root);
  const host = options.host ?? '0.0.0.0';
  const type = isIPv6(host) ? 'udp6' : 'udp4';
  const settings = {
    retransmitMs: options.retransmitMs ?? 1000,
    maxRetries: options.maxRetries ?? 5,
    maxRetransmitMs: options.maxRetransmitMs ?? 16_000,
    firstAckTimeoutMs: options.firstAckTimeoutMs ?? 5000,
    limits: {
      maxBlksize: Math.min(options.maxBlksize ?? MAX_BLKSIZE, MAX_BLKSIZE),
      maxWindowsize: options.maxWindowsize ?? 16,
      maxWindowBytes: options.maxWindowBytes ?? 65536,
    },
  };
  const transferTimeoutMs = options.transferTimeoutMs ?? 600_000;
  const maxTransfers = options.maxTransfers ?? 1000;
  const maxPerClient = options.maxTransfersPerClient ?? 8;
  const observe = options.observer ?? ((): void => undefined);
  /** Running requests by client address and port, each with its way to stop. */
  const active = new Map<string, (failure: TransferFailed) => void>();
  /** Running requests by client address (in `plainAddress` form), for `maxTransfersPerClient`. */
  const perClient = new Map<string, number>();
  const finished = new Set<Promise<void>>();
  let closing = false;
  const threadCount = options.transferThreads ?? Math.min(availableParallelism(), 4);
  const native = options.nativeTransfers === false ? null : loadNativeTransfers();
  const threads =
    native === null && threadCount > 0
      ? new TransferThreads(threadCount, (reason, message) => new TransferFailed(reason, message))
      : null;

  const listener = createSocket({ type });
  try {
    await bindSocket(listener, host, options.port ?? 69);
  } catch (error) {
    listener.close();
    throw error;
  }
  // The native path binds each transfer to a literal address: the one the listener resolved `host` to.
  const boundHost = listener.address().address;

  listener.on('message', (msg, rinfo) => {
    let packet: TftpPacket;
    try {
      packet = decodePacket(msg);
    } catch (error) {
      // Junk on port 69 is dropped unanswered: the source may be spoofed, and
      // answering junk from anyone would make the server a reflector.
      if (error instanceof TftpPacketError) return;
      throw error;
    }
    if (packet.op !== 'RRQ' && packet.op !== 'WRQ') return;
    if (closing) return;
    const key = `${rinfo.address}|${rinfo.port}`;
    // A client that did not hear from us yet resends its RRQ; the transfer
    // already under way for it answers, not a second one on another port.
    if (active.has(key)) return;
    const peer: Peer = { address: rinfo.address, port: rinfo.port };
    const client = plainAddress(peer.address);
    const running = perClient.get(client) ?? 0;
    // Refusals come from port 69 rather than a transfer port of their own: a
    // flood must not make the server open a socket per request it turns away.
    // Their text is short and fixed (the address and count go to the
    // observer), so a forged source gets back little more than it sent.
    // The client's own bound first, so a noisy source is named as such even
    // when it has also filled the server.
    if (running >= maxPerClient) {
      refuse(peer, 'Too many transfers from this client');
      observe(failedEvent(packet.filename, peer, 0, 'client-limit', `${running} transfers running from ${client}`));
      return;
    }
    if (active.size >= maxTransfers) {
      refuse(peer, 'Server busy');
      observe(failedEvent(packet.filename, peer, 0, 'busy', `${maxTransfers} transfers running`));
      return;
    }
    perClient.set(client, running + 1);
    const job = serve(packet, peer, key).finally(() => {
      const left = (perClient.get(client) ?? 1) - 1;
      if (left > 0) perClient.set(client, left);
      else perClient.delete(client);
      finished.delete(job);
    });
    finished.add(job);
  });
  // An ICMP error surfacing on the listener concerns one past reply, not the server.
  listener.on('error', () => undefined);

  async function serve(request: Extract<TftpPacket, { op: 'RRQ' | 'WRQ' }>, peer: Peer, key: string): Promise<void> {
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    let stop: (failure: TransferFailed) => void = () => undefined;
    // close() may stop the request while the file is still being opened. A
    // property rather than a `let`: the compiler does not see the closure
    // assign a local, and would take it for the null it started as.
    const early: { stop: TransferFailed | null } = { stop: null };
    active.set(key, (failure) => {
      early.stop = failure;
      stop(failure);
    });
    let file = request.filename;
    try {
      if (request.op === 'WRQ')
        throw new TftpRefusal('write-refused', ErrorCode.AccessViolation, 'TFTP server is read-only');
      // Netascii is refused rather than converted: PXE firmware and iPXE
      // always ask for octet, and conversion would change the size `tsize` promises.
      if (request.mode.toLowerCase() !== 'octet')
        throw new TftpRefusal('mode', ErrorCode.IllegalOperation, 'Only octet mode is served');
      file = mapRequestPath(request.filename);
      const content = await openContent(file, peer);
      if (early.stop !== null) {
        await closeContent(content);
        throw early.stop;
      }
      const transfer = start(content, request.options, peer);
      stop = (failure) => transfer.stop(failure);
      const deadline = setTimeout(
        () => transfer.stop(new TransferFailed('transfer-timeout', `transfer exceeded ${transferTimeoutMs} ms`)),
        transferTimeoutMs,
      );
      try {
        const stats = await transfer.done;
        observe({
          event: 'transfer-complete',
          file,
          client: plainAddress(peer.address),
          clientPort: peer.port,
          seconds: seconds(),
          ...stats,
        });
        await record(file, peer);
      } catch (error) {
        if (!(error instanceof TransferFailed)) throw error;
        observe({
          event: 'transfer-failed',
          file,
          client: plainAddress(peer.address),
          clientPort: peer.port,
          seconds: seconds(),
          ...transfer.stats(),
          reason: error.reason,
          detail: error.message,
        });
      } finally {
        clearTimeout(deadline);
      }
    } catch (error) {
      if (error instanceof TftpRefusal) {
        await sendError(peer, error.code, error.message);
        observe(failedEvent(file, peer, seconds(), error.reason, error.message));
      } else if (error instanceof TransferFailed) {
        observe(failedEvent(file, peer, seconds(), error.reason, error.message));
      } else {
        await sendError(peer, ErrorCode.NotDefined, 'Internal error');
        observe(failedEvent(file, peer, seconds(), 'internal', error instanceof Error ? error.message : String(error)));
      }
    } finally {
      active.delete(key);
    }
  }

  /** Runs the transfer natively or in a thread when its content can go there (bytes or a file); a stream stays here. */
  function start(content: Content, requested: readonly WireOption[], peer: Peer): RunningTransfer {
    if (native !== null && content.kind !== 'stream')
      return native.run({
        peer,
        host: boundHost,
        requested,
        settings,
        content: content.kind === 'bytes' ? { bytes: content.bytes } : { handle: content.handle, size: content.size },
      });
    if (threads !== null && content.kind !== 'stream')
      return threads.run({
        peer,
        host,
        type,
        requested,
        settings,
        content: content.kind === 'bytes' ? { bytes: content.bytes } : { handle: content.handle, size: content.size },
      });
    // RFC 1350 §4: every transfer gets a fresh port (its TID).
    const socket = peerSocket(type);
    const source = blockSource(content);
    const transfer = new Transfer(socket, peer, source, contentSize(content), settings);
    return {
      done: bindSocket(socket, host, 0)
        .then(() => transfer.run(requested))
        .finally(() => {
          source.close();
          socket.close();
        }),
      stats: () => transfer.stats,
      stop: (failure) => transfer.fail(failure),
    };
  }

  /** Refusals and internal errors go from a port of their own (RFC 1350 §4), sent once. */
  async function sendError(peer: Peer, code: ErrorCode, message: string): Promise<void> {
    const socket = createSocket({ type });
    socket.on('error', () => undefined);
    try {
      await bindSocket(socket, host, 0);
      await new Promise<void>((resolve) =>
        socket.send(encodePacket({ op: 'ERROR', code, message }), peer.port, peer.address, () => resolve()),
      );
    } catch {
      // A socket that cannot bind cannot answer: the client times out.
    } finally {
      socket.close();
    }
  }

  /** Turns a request away at once, from the listening port (ERROR 0: RFC 1350 has no code for "not now"). */
  function refuse(peer: Peer, message: string): void {
    listener.send(encodePacket({ op: 'ERROR', code: ErrorCode.NotDefined, message }), peer.port, peer.address);
  }

  async function openContent(file: string, peer: Peer): Promise<Content> {
    const virtual = options.resolve ? await options.resolve(file, peer) : null;
    if (virtual instanceof Uint8Array) return { kind: 'bytes', bytes: virtual };
    if (virtual !== null && 'handle' in virtual) return { kind: 'file', handle: virtual.handle, size: virtual.size };
    if (virtual !== null) return { kind: 'stream', stream: virtual.stream, size: virtual.size };
    const opened = await openInRoot(rootReal, file);
    return { kind: 'file', handle: opened.handle, size: opened.size };
  }

  async function record(file: string, peer: Peer): Promise<void> {
    const backend = options.backend;
    if (backend === undefined) return;
    const client = plainAddress(peer.address);
    try {
      await backend.recordServedTo(client, { protocol: 'tftp', detail: file });
    } catch (error) {
      observe({ event: 'record-failed', file, client, error });
    }
  }

  const address = listener.address();
  return {
    host: address.address,
    port: address.port,
    get activeTransfers() {
      return active.size;
    },
    get transferThreads() {
      return threads?.size ?? 0;
    },
    nativeTransfers: native !== null,
    async close() {
      closing = true;
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const stop of active.values()) stop(new TransferFailed('server-closing', 'TFTP server shutting down'));
      await Promise.all(finished);
      await threads?.close();
    },
  };
}

async function realRoot(root: string): Promise<string> {
  try {
    const real = await realpath(root);
    if (!(await stat(real)).isDirectory()) throw new TftpConfigError(`TFTP root ${root} is not a directory`);
    return real;
  } catch (error) {
    if (error instanceof TftpConfigError) throw error;
    throw new TftpConfigError(`TFTP root ${root} cannot be used: ${(error as Error).message}`);
  }
}

function blockSource(content: Content): BlockReader {
  switch (content.kind) {
    case 'bytes':
      return new BlockSource(Readable.from([content.bytes]));
    case 'file':
      return new FileBlocks(content.handle);
    case 'stream':
      return new BlockSource(content.stream);
  }
}

function contentSize(content: Content): number | null {
  return content.kind === 'bytes' ? content.bytes.byteLength : content.size;
}

/** Releases content a stopped request opened but will not send. */
async function closeContent(content: Content): Promise<void> {
  if (content.kind === 'file') await content.handle.close();
  if (content.kind === 'stream') content.stream.destroy();
}

function failedEvent(
  file: string,
  peer: Peer,
  seconds: number,
  reason: RefusalReason | FailureReason | 'internal',
  detail: string,
): TftpEvent {
  return {
    event: 'transfer-failed',
    file,
    client: plainAddress(peer.address),
    clientPort: peer.port,
    bytes: 0,
    seconds,
    blksize: 0,
    windowsize: 0,
    retransmits: 0,
    reason,
    detail,
  };
}

/** `::ffff:192.0.2.10` (an IPv4 client of a dual-stack socket) as `192.0.2.10`, the form the backend stores. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
