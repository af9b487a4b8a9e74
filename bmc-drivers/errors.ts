// Typed failures of the driver layer. Services see these, never the Redfish
// or IPMI clients' own errors, so they need not know which protocol a node
// speaks. No message carries a credential: passwords are never interpolated,
// and BMC text is redacted before it lands in a message.

/** A BMC address that names no driver Anvil has, or is malformed. */
export class InvalidBmcAddress extends Error {
  constructor(readonly reason: string) {
    super(`invalid BMC address: ${reason}`);
    this.name = 'InvalidBmcAddress';
  }
}

/** A node's `driver` or `driver_info` that cannot build a driver; `key` names the culprit. */
export class InvalidDriverInfo extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`invalid driver_info: ${key} ${reason}`);
    this.name = 'InvalidDriverInfo';
  }
}

/** The driver cannot do this at all; raised before any BMC call, so the API can answer 400 at once. */
export class UnsupportedOperation extends Error {
  constructor(
    readonly driver: string,
    readonly operation: string,
    readonly reason: string,
  ) {
    super(`${driver} driver does not support ${operation}: ${reason}`);
    this.name = 'UnsupportedOperation';
  }
}

/** A call on a driver after close(): a bug in the caller, never the BMC's doing. */
export class DriverClosed extends Error {
  constructor(
    readonly driver: string,
    readonly bmc: string,
  ) {
    super(`the ${driver} driver for ${bmc} is closed`);
    this.name = 'DriverClosed';
  }
}

export type BmcFailureKind = 'timeout' | 'unreachable' | 'auth' | 'unavailable' | 'refused' | 'protocol';

/** How a driver reads one failed attempt; the guard turns it into a BmcError. */
export interface BmcFailure {
  kind: BmcFailureKind;
  /** Worth another attempt: the same request may well succeed in a moment. */
  transient: boolean;
  /** The client's words, credential-free. */
  message: string;
}

export interface BmcCallContext {
  driver: string;
  operation: string;
  /** host:port, plus the Redfish system path when there is one. */
  bmc: string;
  attempts: number;
}

/** A BMC call that failed after the guard's attempts. */
export abstract class BmcError extends Error {
  abstract readonly kind: BmcFailureKind;
  readonly driver: string;
  readonly operation: string;
  readonly bmc: string;
  readonly attempts: number;
  readonly transient: boolean;

  constructor(context: BmcCallContext, failure: Pick<BmcFailure, 'message' | 'transient'>) {
    const tries = context.attempts > 1 ? ` after ${context.attempts} attempts` : '';
    super(`${context.driver} ${context.operation} on ${context.bmc} failed${tries}: ${failure.message}`);
    this.name = new.target.name;
    this.driver = context.driver;
    this.operation = context.operation;
    this.bmc = context.bmc;
    this.attempts = context.attempts;
    this.transient = failure.transient;
  }
}

/** No answer in time: the guard's deadline or the client's. */
export class BmcTimeout extends BmcError {
  readonly kind = 'timeout';
}

/** Could not reach the BMC: refused, reset, unresolvable, or its TLS certificate did not verify. */
export class BmcUnreachable extends BmcError {
  readonly kind = 'unreachable';
}

/** The BMC refused the credentials or the privilege. Never retried: retries lock accounts. */
export class BmcAuthFailed extends BmcError {
  readonly kind = 'auth';
}

/** The BMC said it is busy or broken for now (HTTP 5xx, IPMI node busy). */
export class BmcUnavailable extends BmcError {
  readonly kind = 'unavailable';
}

/** The BMC understood and said no (HTTP 4xx, an IPMI completion code, a failed task). */
export class BmcRefused extends BmcError {
  readonly kind = 'refused';
}

/** The BMC answered something that is not the protocol. */
export class BmcProtocolError extends BmcError {
  readonly kind = 'protocol';
}

const ERROR_OF_KIND: Readonly<Record<BmcFailureKind, new (context: BmcCallContext, failure: BmcFailure) => BmcError>> =
  {
    timeout: BmcTimeout,
    unreachable: BmcUnreachable,
    auth: BmcAuthFailed,
    unavailable: BmcUnavailable,
    refused: BmcRefused,
    protocol: BmcProtocolError,
  };

export function bmcErrorOf(context: BmcCallContext, failure: BmcFailure): BmcError {
  return new ERROR_OF_KIND[failure.kind](context, failure);
}
