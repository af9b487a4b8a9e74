export { type AgentIsoSource, type AgentWork, type BootInterface } from './boot-interfaces.js';
export { type ValidationEnv } from './hardware-interface.js';
export { consoleInfo, requireConsole } from './console.js';
export { HARDWARE_TYPES, findHardwareType, type HardwareType } from './hardware-types.js';
export { checkTargetRaidConfig, logicalDiskProperties } from './raid.js';
export {
  bootInterfaceOf,
  implementation,
  validateNodeInterfaces,
  type InterfaceValidation,
} from './implementations.js';
