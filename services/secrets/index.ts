export { hasSensitive, isSensitiveKey, maskSecrets, mapSensitive, MASK } from './sensitive-keys.js';
export { SecretBox, SecretKeyError } from './secret-box.js';
