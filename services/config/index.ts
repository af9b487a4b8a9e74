export { ConfigError } from './error.js';
export { checkApiExposure } from './exposure.js';
export { loadConfig } from './load.js';
export type { AnvilConfig } from './settings.js';
