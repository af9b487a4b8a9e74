/**
 * IPAM's typed errors. Each has a stable `name` and a `reason` that the API
 * maps to a status: invalid → 400, not-found → 404, conflict and exhausted → 409,
 * busy → 503. IPAM imports nothing of Anvil's, so these stand alone.
 */
export type IpamErrorReason = 'invalid' | 'not-found' | 'conflict' | 'exhausted' | 'busy';

export abstract class IpamError extends Error {
  abstract readonly reason: IpamErrorReason;
  override get name(): string {
    return this.constructor.name;
  }
}

/** Bad input: a malformed address or CIDR, or a pool shape that cannot work. */
export class InvalidIpamInput extends IpamError {
  readonly reason = 'invalid';
}

export class PoolNotFound extends IpamError {
  readonly reason = 'not-found';
  constructor(pool: string) {
    super(`IP pool ${pool} could not be found.`);
  }
}

export class ClaimNotFound extends IpamError {
  readonly reason = 'not-found';
  constructor(pool: string, claim: string) {
    super(`IP claim ${claim} could not be found in pool ${pool}.`);
  }
}

export class PoolAlreadyExists extends IpamError {
  readonly reason = 'conflict';
  constructor(pool: string) {
    super(`An IP pool named ${pool} already exists.`);
  }
}

export class PoolInUse extends IpamError {
  readonly reason = 'conflict';
  constructor(pool: string, claims: number) {
    super(`IP pool ${pool} still has ${claims} claim(s); release them before deleting the pool.`);
  }
}

/** The address a claim asked for, or was pre-allocated, is not available to it. */
export class AddressUnavailable extends IpamError {
  readonly reason = 'conflict';
}

/** An existing claim of that name does not match what was asked for. */
export class ClaimMismatch extends IpamError {
  readonly reason = 'conflict';
}

export class PoolExhausted extends IpamError {
  readonly reason = 'exhausted';
  constructor(pool: string) {
    super(`IP pool ${pool} is exhausted: no free address is left in its ranges.`);
  }
}

/** The `marker` of a list names no row. */
export class MarkerNotFound extends IpamError {
  readonly reason = 'not-found';
  constructor(marker: string) {
    super(`Marker ${marker} could not be found.`);
  }
}

/** Lost too many races in a row: the pool is being hammered; the caller may retry. */
export class AllocationContended extends IpamError {
  readonly reason = 'busy';
  constructor(pool: string, attempts: number) {
    super(`Gave up on IP pool ${pool} after ${attempts} attempts lost to concurrent changes; retry.`);
  }
}
