export { ConfigError } from './error.js';
export { checkApiExposure } from './exposure.js';
export { loadConfig } from './load.js';
export { settings, type AnvilConfig } from './settings.js';
