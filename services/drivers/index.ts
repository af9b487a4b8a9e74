export { HARDWARE_TYPES, findHardwareType, type HardwareType } from './hardware-types.js';
export { validateNodeInterfaces, type InterfaceValidation } from './validate.js';
