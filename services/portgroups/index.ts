export { checkMembership, checkStandalone, type Candidate } from './membership.js';
export { type Portgroup } from './model.js';
export { PORTGROUP_SORT_KEYS, PortgroupRepository, type PortgroupFilter, type PortgroupMember } from './repository.js';
export { PORTGROUP_PATCHABLE_FIELDS, PortgroupService } from './service.js';
