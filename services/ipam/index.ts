export {
  NodeAddresses,
  claimAddressesForNode,
  networkDataFor,
  nodeAddresses,
  nodeClaimName,
  releaseNodeAddresses,
} from './node-addresses.js';
