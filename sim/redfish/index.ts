export { startRedfishSim } from './server.js';
export type { RedfishSim, RedfishSimOptions } from './server.js';
export type { SimContext } from './context.js';
export type { SessionStore } from './sessions.js';
export { CONTROL_ROOT } from './routes/control.js';
