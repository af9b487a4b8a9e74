/**
 * Transfers of bytes and files on the native data path (native/transfer.c,
 * built by `npm install` into build/Release/anvil_tftp.node): each on a
 * thread of its own, as tftpd-hpa runs each in a process of its own. The
 * options are negotiated here, with the same code as the TypeScript path.
 * Where the addon was not built, `loadNativeTransfers` answers null and the
 * server runs transfers on its worker threads instead.
 */
import type { FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { negotiate } from './options.js';
import { encodePacket, type WireOption } from './packet.js';
import type { RunningTransfer } from './transfer-threads.js';
import {
  TransferFailed,
  type FailureReason,
  type Peer,
  type TransferSettings,
  type TransferStats,
} from './transfer.js';

interface NativeResult {
  ok: boolean;
  reason: string;
  message: string;
  bytes: number;
  retransmits: number;
}

interface NativeJob {
  /** The literal address the transfer's socket binds (the listener's). */
  host: string;
  peerAddress: string;
  peerPort: number;
  /** An open file's descriptor, or -1 to send `bytes`. */
  fd: number;
  bytes?: Uint8Array;
  blksize: number;
  windowsize: number;
  /** The OACK to send first, when options were accepted. */
  oack?: Uint8Array;
  /** The first retransmission delay: the negotiated `timeout`, or the server's default. */
  retransmitMs: number;
  maxRetries: number;
  maxRetransmitMs: number;
  firstAckTimeoutMs: number;
}

interface NativeBinding {
  /** Binds the transfer's socket and starts its thread; throws when either fails. */
  start(job: NativeJob, done: (result: NativeResult) => void): object;
  stop(handle: object, reason: string, message: string): void;
}

export interface NativeContent {
  content: { bytes: Uint8Array } | { handle: FileHandle; size: number };
}

/** The addon, or null when it was not built (no compiler where `npm install` ran). */
export function loadNativeTransfers(): NativeTransfers | null {
  // The package root: two folders up from the source, three from the build (dist/).
  const root = new URL(import.meta.url.endsWith('.ts') ? '../../' : '../../../', import.meta.url);
  try {
    const binding = createRequire(import.meta.url)(
      new URL('build/Release/anvil_tftp.node', root).pathname,
    ) as NativeBinding;
    return new NativeTransfers(binding);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

export class NativeTransfers {
  constructor(private readonly binding: NativeBinding) {}

  /** Starts a transfer; a socket that cannot bind rejects `done` with that error. */
  run(job: {
    peer: Peer;
    host: string;
    requested: readonly WireOption[];
    settings: TransferSettings;
    content: NativeContent['content'];
  }): RunningTransfer {
    const { content, settings } = job;
    const size = 'bytes' in content ? content.bytes.byteLength : content.size;
    const negotiated = negotiate(job.requested, settings.limits, size);
    let stats: TransferStats = {
      bytes: 0,
      blksize: negotiated.blksize,
      windowsize: negotiated.windowsize,
      retransmits: 0,
    };
    const closeFile = (): Promise<void> => ('handle' in content ? content.handle.close() : Promise.resolve());
    let handle: object | null = null;
    let ended = false;
    const done = new Promise<TransferStats>((resolve, reject) => {
      const finished = (result: NativeResult): void => {
        ended = true;
        stats = { ...stats, bytes: result.bytes, retransmits: result.retransmits };
        const outcome = result.ok
          ? (): void => resolve(stats)
          : (): void => reject(new TransferFailed(result.reason as FailureReason, result.message));
        // The file stays open until the thread is done with it.
        closeFile().then(outcome, outcome);
      };
      handle = this.binding.start(
        {
          host: job.host,
          peerAddress: job.peer.address,
          peerPort: job.peer.port,
          fd: 'handle' in content ? content.handle.fd : -1,
          bytes: 'bytes' in content ? content.bytes : undefined,
          blksize: negotiated.blksize,
          windowsize: negotiated.windowsize,
          oack: negotiated.accepted.length > 0 ? encodePacket({ op: 'OACK', options: negotiated.accepted }) : undefined,
          // RFC 2349: a negotiated timeout is the retransmission interval both sides use.
          retransmitMs: negotiated.timeoutSeconds !== null ? negotiated.timeoutSeconds * 1000 : settings.retransmitMs,
          maxRetries: settings.maxRetries,
          maxRetransmitMs: settings.maxRetransmitMs,
          firstAckTimeoutMs: settings.firstAckTimeoutMs,
        },
        finished,
      );
    }).catch(async (error: unknown) => {
      // Thrown by start(): nothing ran, so the file is closed here.
      if (handle === null) await closeFile().catch(() => undefined);
      throw error;
    });
    return {
      done,
      stats: () => stats,
      stop: (failure) => {
        if (handle !== null && !ended) this.binding.stop(handle, failure.reason, failure.message);
      },
    };
  }
}
