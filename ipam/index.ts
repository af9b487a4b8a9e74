export {
  formatAddress,
  netmaskOf,
  parseAddress,
  parseCidr,
  type Cidr,
  type IpAddress,
  type IpFamily,
} from './address.js';
export {
  AddressUnavailable,
  AllocationContended,
  ClaimMismatch,
  ClaimNotFound,
  InvalidIpamInput,
  IpamError,
  MarkerNotFound,
  PoolAlreadyExists,
  PoolExhausted,
  PoolInUse,
  PoolNotFound,
  type IpamErrorReason,
} from './errors.js';
export {
  ALLOCATION_STRATEGIES,
  validatePool,
  type AllocationStrategy,
  type CanonicalPoolSpec,
  type Pool,
  type PoolSpec,
  type RangeSpec,
} from './pool.js';
export { type ClaimChange, type ClaimChangeHook, type ListPage } from './repository.js';
export { createIpamTables, dropAddressValueIndex, dropIpamTables, indexAddressesByValue } from './schema.js';
export { IpamService, type ClaimRequest, type ClaimView, type PoolUsage, type PoolView } from './service.js';
