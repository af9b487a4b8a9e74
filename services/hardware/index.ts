export { NodeHardware } from './node-hardware.js';
