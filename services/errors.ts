/**
 * Typed domain errors. Services raise these; `api/errors.ts` maps each kind to
 * Ironic's HTTP status and error body in one place.
 */
export type ErrorKind =
  | 'invalid' // 400: bad input of any sort
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'not-acceptable' // 406: microversion too old for a verb or field
  | 'conflict' // 409: state, lock, uniqueness
  | 'temporary'; // 503: try again later

export abstract class AnvilError extends Error {
  abstract readonly kind: ErrorKind;
  override get name(): string {
    return this.constructor.name;
  }
}

export class InvalidParameterValue extends AnvilError {
  readonly kind = 'invalid';
}
export class InvalidStateRequested extends AnvilError {
  readonly kind = 'invalid';
}
export class NodeInMaintenance extends AnvilError {
  readonly kind = 'invalid';
}
export class PatchError extends AnvilError {
  readonly kind = 'invalid';
}
export class NoValidHost extends AnvilError {
  readonly kind = 'invalid';
}

export class NodeProtected extends AnvilError {
  readonly kind = 'forbidden';
  constructor(node: string) {
    super(`Node ${node} is protected and cannot be undeployed, rebuilt or deleted`);
  }
}

export class NotFound extends AnvilError {
  readonly kind = 'not-found';
}
export class NodeNotFound extends NotFound {
  constructor(ident: string) {
    super(`Node ${ident} could not be found.`);
  }
}
export class PortNotFound extends NotFound {
  constructor(ident: string) {
    super(`Port ${ident} could not be found.`);
  }
}
export class AllocationNotFound extends NotFound {
  constructor(ident: string) {
    super(`Allocation ${ident} could not be found.`);
  }
}
export class DriverNotFound extends NotFound {
  constructor(name: string) {
    super(`Could not find the following driver(s) or hardware type(s): ${name}.`);
  }
}

export class NotAcceptable extends AnvilError {
  readonly kind = 'not-acceptable';
}

export class Conflict extends AnvilError {
  readonly kind = 'conflict';
}
export class NodeLocked extends Conflict {
  constructor(node: string, host: string) {
    super(`Node ${node} is locked by host ${host}, please retry after the current operation is completed.`);
  }
}
export class InvalidState extends Conflict {}
export class NodeAssociated extends Conflict {
  constructor(node: string, instance: string) {
    super(`Node ${node} is associated with instance ${instance}.`);
  }
}
export class MACAlreadyExists extends Conflict {
  constructor(mac: string) {
    super(`A port with MAC address ${mac} already exists.`);
  }
}
export class DuplicateName extends Conflict {
  constructor(name: string) {
    super(`A node with name ${name} already exists.`);
  }
}
export class NodeAlreadyExists extends Conflict {
  constructor(uuid: string) {
    super(`A node with UUID ${uuid} already exists.`);
  }
}
export class PortAlreadyExists extends Conflict {
  constructor(uuid: string) {
    super(`A port with UUID ${uuid} already exists.`);
  }
}

export class TemporaryFailure extends AnvilError {
  readonly kind = 'temporary';
}
export class NoFreeConductorWorker extends TemporaryFailure {
  constructor() {
    super('Requested action cannot be performed due to lack of free conductor workers.');
  }
}
