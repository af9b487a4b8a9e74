// The fleet's fault book (sim/faults) as one host's IPMI fault hooks.
// IpmiSimServer reads its `faults` afresh for every datagram, reply,
// handshake and command, so a view that resolves the book on each read makes
// a PUT to the control API take effect at the next packet, with no timer and
// no listener per host.
import type { FaultBook, Faults, RandomSource } from '../faults/index.js';
import type { IpmiSimFaults } from './server.js';

/**
 * What an HTTP error status means on IPMI: 503 "service unavailable" is
 * C0h "node busy"; 500 "internal error" is FFh "unspecified error"
 * (IPMI v2.0 Table 5-2).
 */
const COMPLETION_CODE_FOR_STATUS: Readonly<Record<Faults['errorStatus'], number>> = {
  503: 0xc0,
  500: 0xff,
};

/** Fraction of datagrams dropped: all of them when the BMC hangs, since UDP has no connection to hold open. */
function ipmiDropRate(faults: Faults): number {
  return faults.hang ? 1 : faults.udpDropRate;
}

/** The completion code one command is answered with, or undefined to run it. */
export function ipmiFaultCompletionCode(faults: Faults, random: RandomSource): number | undefined {
  if (faults.errorRate > 0 && random() < faults.errorRate) return COMPLETION_CODE_FOR_STATUS[faults.errorStatus];
  return undefined;
}

function ipmiLatencyMs(faults: Faults, random: RandomSource): number {
  const jitter = faults.latencyJitterMs > 0 ? Math.floor(random() * (faults.latencyJitterMs + 1)) : 0;
  return faults.latencyMs + jitter;
}

/** One host's IPMI fault hooks, decided from the fault book each time the server asks. */
export class HostIpmiFaults implements IpmiSimFaults {
  constructor(
    private readonly book: FaultBook,
    private readonly hostName: string,
    private readonly random: RandomSource,
  ) {}

  get dropRate(): number {
    return ipmiDropRate(this.current());
  }

  get latencyMs(): number {
    return ipmiLatencyMs(this.current(), this.random);
  }

  get completionCode(): number | undefined {
    return ipmiFaultCompletionCode(this.current(), this.random);
  }

  get refuseAuth(): boolean {
    return this.current().refuseAuth;
  }

  private current(): Faults {
    return this.book.forHost(this.hostName);
  }
}
