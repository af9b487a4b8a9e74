/**
 * Typed domain errors. Services raise these; `api/errors.ts` maps each kind to
 * Ironic's HTTP status and error body in one place.
 */
export type ErrorKind =
  | 'invalid' // 400: bad input of any sort
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'method-not-allowed' // 405: a method the path does not serve at this version
  | 'not-acceptable' // 406: microversion too old for a verb or field
  | 'conflict' // 409: state, lock, uniqueness
  | 'gone' // 410: what was asked for existed once and is no longer kept (an expired feed cursor)
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
/** A backfilled allocation that does not fit its node (and the last_error of one that found none). */
export class AllocationFailed extends AnvilError {
  readonly kind = 'invalid';
  constructor(uuid: string, error: string) {
    super(`Failed to process allocation ${uuid}: ${error}.`);
  }
}
export class ChassisNotEmpty extends AnvilError {
  readonly kind = 'invalid';
  constructor(chassis: string) {
    super(`Cannot complete the requested action because chassis ${chassis} contains nodes.`);
  }
}
export class PortgroupNotEmpty extends AnvilError {
  readonly kind = 'invalid';
  /** `newNode`: the group was to move there, which only an empty group may. */
  constructor(portgroup: string, newNode?: string) {
    super(
      newNode === undefined
        ? `Cannot complete the requested action because portgroup ${portgroup} contains ports.`
        : `Portgroup ${portgroup} can not be associated with node ${newNode} because there are ports associated with this portgroup.`,
    );
  }
}
/** The ports already in a group disagree on their physical network, which every change into a group prevents. */
export class PortgroupPhysnetInconsistent extends AnvilError {
  readonly kind = 'invalid';
  constructor(portgroup: string, physicalNetworks: readonly (string | null)[]) {
    super(
      `Port group ${portgroup} has member ports with inconsistent physical networks (${physicalNetworks.map(String).join(', ')}). ` +
        'All ports in a port group must have the same physical network.',
    );
  }
}
export class InvalidDeployTemplate extends AnvilError {
  readonly kind = 'invalid';
  constructor(reason: string) {
    super(`Deploy template invalid: ${reason}.`);
  }
}
/** The node's interface for `extension` (console, raid...) is a `no-*` one. */
export class UnsupportedDriverExtension extends AnvilError {
  readonly kind = 'invalid';
  constructor(driver: string, extension: string) {
    super(`Driver ${driver} does not support ${extension} (disabled or not implemented).`);
  }
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
export class BiosSettingNotFound extends NotFound {
  constructor(node: string, name: string) {
    super(`Node ${node} doesn't have a BIOS setting '${name}'`);
  }
}
export class PortNotFound extends NotFound {
  constructor(ident: string) {
    super(`Port ${ident} could not be found.`);
  }
}
export class ChassisNotFound extends NotFound {
  constructor(ident: string) {
    super(`Chassis ${ident} could not be found.`);
  }
}
export class PortgroupNotFound extends NotFound {
  constructor(ident: string) {
    super(`Portgroup ${ident} could not be found.`);
  }
}
export class AllocationNotFound extends NotFound {
  constructor(ident: string) {
    super(`Allocation ${ident} could not be found.`);
  }
}
export class DeployTemplateNotFound extends NotFound {
  constructor(ident: string) {
    super(`Deploy template ${ident} could not be found.`);
  }
}
export class VolumeConnectorNotFound extends NotFound {
  constructor(ident: string) {
    super(`Volume connector ${ident} could not be found.`);
  }
}
export class VolumeTargetNotFound extends NotFound {
  constructor(ident: string) {
    super(`Volume target ${ident} could not be found.`);
  }
}
export class DriverNotFound extends NotFound {
  constructor(name: string) {
    super(`Could not find the following driver(s) or hardware type(s): ${name}.`);
  }
}

export class MethodNotAllowed extends AnvilError {
  readonly kind = 'method-not-allowed';
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
export class InstanceAssociated extends Conflict {
  constructor(instance: string, node: string) {
    super(
      `Instance ${instance} is already associated with a node, it cannot be associated with this other node ${node}`,
    );
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
export class ChassisAlreadyExists extends Conflict {
  constructor(uuid: string) {
    super(`A chassis with UUID ${uuid} already exists.`);
  }
}
export class PortgroupAlreadyExists extends Conflict {
  constructor(uuid: string) {
    super(`A portgroup with UUID ${uuid} already exists.`);
  }
}
export class PortgroupDuplicateName extends Conflict {
  constructor(name: string) {
    super(`A portgroup with name ${name} already exists.`);
  }
}
export class PortgroupMACAlreadyExists extends Conflict {
  constructor(mac: string) {
    super(`A portgroup with MAC address ${mac} already exists.`);
  }
}
export class DeployTemplateDuplicateName extends Conflict {
  constructor(name: string) {
    super(`A deploy template with name ${name} already exists.`);
  }
}
export class DeployTemplateAlreadyExists extends Conflict {
  constructor(uuid: string) {
    super(`A deploy template with UUID ${uuid} already exists.`);
  }
}
export class VolumeConnectorAlreadyExists extends Conflict {
  constructor(uuid: string) {
    super(`A volume connector with UUID ${uuid} already exists.`);
  }
}
export class VolumeConnectorTypeAndIdAlreadyExists extends Conflict {
  constructor(type: string, connectorId: string) {
    super(`A volume connector with type ${type} and connector ID ${connectorId} already exists.`);
  }
}
export class VolumeTargetAlreadyExists extends Conflict {
  constructor(uuid: string) {
    super(`A volume target with UUID ${uuid} already exists.`);
  }
}
export class VolumeTargetBootIndexAlreadyExists extends Conflict {
  constructor(bootIndex: number) {
    super(`A volume target with boot index '${bootIndex}' for the same node already exists.`);
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
