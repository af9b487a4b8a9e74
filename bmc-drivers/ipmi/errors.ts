// Typed errors of the IPMI client. Messages name the BMC and the command,
// never a credential: callers log them as they are.

/** Base class: every error the IPMI client throws is one of these. */
export class IpmiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** No valid answer before the call's deadline (retransmissions included). */
export class IpmiTimeoutError extends IpmiError {
  constructor(
    readonly target: string,
    readonly operation: string,
    readonly elapsedMs: number,
  ) {
    super(`${operation} to ${target}: no answer within ${elapsedMs} ms`);
  }
}

/**
 * The BMC refused the session: wrong user name or password, Kg mismatch,
 * privilege not granted, or a key-exchange code that does not verify.
 */
export class IpmiAuthError extends IpmiError {
  constructor(
    message: string,
    /** RMCP+ status code (IPMI v2.0 Table 13-15) when the BMC sent one. */
    readonly rmcpStatus?: number,
  ) {
    super(message);
  }
}

// IPMI v2.0 Table 5-2, generic completion codes.
const COMPLETION_CODE_NAMES: ReadonlyMap<number, string> = new Map([
  [0xc0, 'node busy'],
  [0xc1, 'invalid command'],
  [0xc2, 'command invalid for given LUN'],
  [0xc3, 'timeout while processing command'],
  [0xc4, 'out of space'],
  [0xc5, 'reservation cancelled or invalid'],
  [0xc6, 'request data truncated'],
  [0xc7, 'request data length invalid'],
  [0xc8, 'request data field length limit exceeded'],
  [0xc9, 'parameter out of range'],
  [0xca, 'cannot return number of requested data bytes'],
  [0xcb, 'requested sensor, data, or record not present'],
  [0xcc, 'invalid data field in request'],
  [0xcd, 'command illegal for specified sensor or record type'],
  [0xce, 'command response could not be provided'],
  [0xcf, 'cannot execute duplicated request'],
  [0xd0, 'SDR repository in update mode'],
  [0xd1, 'device in firmware update mode'],
  [0xd2, 'BMC initialization in progress'],
  [0xd3, 'destination unavailable'],
  [0xd4, 'insufficient privilege level'],
  [0xd5, 'command not supported in present state'],
  [0xd6, 'command sub-function disabled or unavailable'],
  [0xff, 'unspecified error'],
]);

export function describeCompletionCode(code: number): string {
  if (code >= 0x80 && code <= 0xbe) return 'command-specific error';
  return COMPLETION_CODE_NAMES.get(code) ?? 'reserved completion code';
}

/** The BMC answered the command with a non-zero completion code. */
export class IpmiCompletionCodeError extends IpmiError {
  constructor(
    readonly code: number,
    readonly command: string,
  ) {
    super(
      `${command} failed: completion code 0x${code.toString(16).padStart(2, '0')} (${describeCompletionCode(code)})`,
    );
  }
}

/** A packet that does not follow the specification, or an exchange that cannot go on. */
export class IpmiProtocolError extends IpmiError {}
