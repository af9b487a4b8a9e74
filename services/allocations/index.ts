export { Allocator } from './allocator.js';
export { type Allocation } from './model.js';
export { ALLOCATION_SORT_KEYS, AllocationRepository, type AllocationFilter } from './repository.js';
export { AllocationService } from './service.js';
export { AllocationWorker } from './worker.js';
