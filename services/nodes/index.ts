export { nodeHealth, type HealthState } from './health.js';
export { isUuidLike, isValidLogicalName, normalizeMac, normalizeUuid } from './identifiers.js';
export { NodeLocks } from './locks.js';
export {
  FAULTS,
  INTERFACE_FIELDS,
  type InterfaceName,
  type JsonObject,
  type Node,
  type NodeChanges,
  type PowerState,
  type TargetPowerState,
} from './model.js';
export {
  NODE_CHASSIS_CONSTRAINT,
  NODE_SORT_KEYS,
  NodeRepository,
  type NodeFilter,
  type NodeStamp,
} from './repository.js';
export { NodeService, PATCHABLE_FIELDS, type NodeUpdate } from './service.js';
export {
  FAILURE_STATES,
  isActionable,
  isProvisionState,
  transition,
  type ProvisionEvent,
  type ProvisionState,
  type Verb,
  PORT_CHANGE_STATES,
  UPDATE_ALLOWED_STATES,
} from './states.js';
export { checkTrait } from './traits.js';
export { bootModeOf, type NodeBootMode } from './boot-mode.js';
