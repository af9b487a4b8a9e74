// How a failed IPMI attempt reads to the call guard. The client has already
// retransmitted lost datagrams within its own deadline; this decides whether
// the whole command is worth sending again.
import type { BmcFailure } from '../errors.js';
import { IpmiAuthError, IpmiCompletionCodeError, IpmiError, IpmiProtocolError, IpmiTimeoutError } from './errors.js';

/** Completion codes that mean "not now" (IPMI v2.0 Table 5-2): node busy, timeout while processing, response could not be provided, BMC initialising. */
const BUSY_CODES = new Set([0xc0, 0xc3, 0xce, 0xd2]);
const CC_INSUFFICIENT_PRIVILEGE = 0xd4;

export function ipmiFailure(error: unknown): BmcFailure | null {
  if (!(error instanceof IpmiError)) return null;
  const message = error.message;
  if (error instanceof IpmiTimeoutError) return { kind: 'timeout', transient: true, message };
  if (error instanceof IpmiAuthError) return { kind: 'auth', transient: false, message };
  if (error instanceof IpmiCompletionCodeError) {
    if (BUSY_CODES.has(error.code)) return { kind: 'unavailable', transient: true, message };
    if (error.code === CC_INSUFFICIENT_PRIVILEGE) return { kind: 'auth', transient: false, message };
    return { kind: 'refused', transient: false, message };
  }
  if (error instanceof IpmiProtocolError) return { kind: 'protocol', transient: false, message };
  // The client's plain IpmiError: the BMC's name did not resolve.
  return { kind: 'unreachable', transient: true, message };
}
