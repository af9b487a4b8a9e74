export { runDemo, type DemoOptions } from './run.js';
export type { DemoPorts } from './preflight.js';
