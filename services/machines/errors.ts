import { Conflict, NotFound } from '../errors.js';

export class MachineNotFound extends NotFound {
  constructor(ident: string) {
    super(`Machine ${ident} could not be found.`);
  }
}

/** A create by a name already taken with another spec: create is idempotent only for the same spec. */
export class MachineSpecConflict extends Conflict {
  constructor(name: string, why = 'with a different spec') {
    super(`A machine named ${name} already exists ${why}.`);
  }
}

/** A create by the name of a machine on its way out: the provider creates it again once it is gone. */
export class MachineBeingDeleted extends Conflict {
  constructor(name: string) {
    super(`Machine ${name} is being deleted; create it again once it is gone.`);
  }
}
