export { IpxeScriptError } from './errors.js';
export { bootifParam, normalizeMac } from './mac.js';
export {
  renderErrorScript,
  renderHostScript,
  renderUnknownHostScript,
  type BootMode,
  type ScriptHost,
  type ScriptOptions,
  type UnknownHostPolicy,
} from './script.js';
