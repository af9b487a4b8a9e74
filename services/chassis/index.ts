export { type Chassis } from './model.js';
export { CHASSIS_SORT_KEYS, ChassisRepository } from './repository.js';
export { CHASSIS_PATCHABLE_FIELDS, ChassisService } from './service.js';
