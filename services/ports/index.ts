export { type Port } from './model.js';
export { PORT_SORT_KEYS, PortRepository, type PortFilter } from './repository.js';
export { PORT_PATCHABLE_FIELDS, PortService } from './service.js';
