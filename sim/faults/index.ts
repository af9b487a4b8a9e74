export { faultSpecSchema, resolveFaults, NO_FAULTS } from './spec.js';
export type { FaultSpec, Faults } from './spec.js';
export { decideRequest, decideAuthRefused, decidePowerDrift, decideBootFailure } from './decide.js';
export type { RequestVerdict } from './decide.js';
export { seededRandom } from './random.js';
export type { RandomSource } from './random.js';
export { FaultBook } from './book.js';
