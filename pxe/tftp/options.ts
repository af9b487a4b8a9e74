/**
 * Option negotiation for a read request (RFC 2347): which of the client's
 * options the server accepts, with what values, and the OACK that says so.
 * Pure: the server passes what it knows (limits, the file's size).
 */
import type { WireOption } from './packet.js';

/** RFC 2348 §"Blocksize Option Specification": valid sizes are 8 to 65464 octets. */
const MIN_BLKSIZE = 8;
export const MAX_BLKSIZE = 65464;
/** RFC 1350 §2: without the option, blocks are 512 bytes. */
const DEFAULT_BLKSIZE = 512;
/** RFC 7440 §3: 1 to 65535 blocks; 1 is RFC 1350's lock-step. */
const MAX_WINDOWSIZE = 65535;

export interface NegotiationLimits {
  /** The largest block the server sends (at most 65464). */
  maxBlksize: number;
  /** The largest window the server sends; each in-flight block stays buffered for retransmission. */
  maxWindowsize: number;
  /**
   * The most bytes one window may carry. A window is one burst; past the
   * client's socket buffer (212992 bytes by default on Linux) the tail is
   * dropped and costs a retransmission timeout (atftp at blksize 8192 and
   * windowsize 16 lost packets on loopback, at 65464 and windowsize 4 too).
   */
  maxWindowBytes: number;
}

export interface Negotiated {
  blksize: number;
  windowsize: number;
  /** RFC 2349: the client's retransmission timeout in seconds, which the server adopts; null when not negotiated. */
  timeoutSeconds: number | null;
  /** The OACK options, in the client's order; empty means no OACK: data starts at once (RFC 2347). */
  accepted: WireOption[];
}

const DECIMAL = /^[0-9]{1,10}$/;

export function negotiate(
  requested: readonly WireOption[],
  limits: NegotiationLimits,
  fileSize: number | null,
): Negotiated {
  const result: Negotiated = { blksize: DEFAULT_BLKSIZE, windowsize: 1, timeoutSeconds: null, accepted: [] };
  // First the values, then the OACK: the window's cap depends on blksize,
  // which the client may list after windowsize.
  const answers: { option: WireOption; answer: () => string }[] = [];
  const seen = new Set<string>();
  for (const option of requested) {
    const name = option.name.toLowerCase();
    // A repeated option is the client's mistake; the first one is the one answered.
    if (seen.has(name)) continue;
    seen.add(name);
    // RFC 2347: an option the server does not understand, or whose value it
    // cannot accept, is left out of the OACK rather than failing the request.
    if (!DECIMAL.test(option.value)) continue;
    const value = Number(option.value);
    switch (name) {
      case 'blksize':
        // RFC 2348: a larger block than the server handles is answered with a smaller one.
        if (value < MIN_BLKSIZE) continue;
        result.blksize = Math.min(value, limits.maxBlksize, MAX_BLKSIZE);
        answers.push({ option, answer: () => String(result.blksize) });
        break;
      case 'tsize':
        // RFC 2349 §"Transfer Size Option": a read request carries 0 and the
        // server answers with the size; unknown for a generated stream, so omitted.
        if (fileSize === null) continue;
        answers.push({ option, answer: () => String(fileSize) });
        break;
      case 'timeout':
        // RFC 2349 §"Timeout Interval Option": 1 to 255 seconds, echoed unchanged or not at all.
        if (value < 1 || value > 255) continue;
        result.timeoutSeconds = value;
        answers.push({ option, answer: () => String(value) });
        break;
      case 'windowsize':
        // RFC 7440 §3: the server may answer with a smaller window.
        if (value < 1 || value > MAX_WINDOWSIZE) continue;
        result.windowsize = value;
        answers.push({ option, answer: () => String(result.windowsize) });
        break;
      default:
        break;
    }
  }
  const byBytes = Math.max(1, Math.floor(limits.maxWindowBytes / result.blksize));
  result.windowsize = Math.min(result.windowsize, limits.maxWindowsize, byBytes);
  result.accepted = answers.map(({ option, answer }) => ({ name: option.name, value: answer() }));
  return result;
}
