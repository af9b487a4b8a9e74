export { NodeAddresses, networkDataFor, nodeAddresses, releaseNodeAddresses } from './node-addresses.js';
