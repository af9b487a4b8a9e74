/** A configuration the service cannot start with; the message names the setting's environment variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
