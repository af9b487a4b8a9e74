import { isIP } from 'node:net';
import { ConfigError } from './error.js';
import { settings, type AnvilConfig } from './settings.js';

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Refuses to serve the API without authentication anywhere but loopback.
 * Called by the processes that serve the API: a conductor or pxe process
 * listens on no API port, so the check is not theirs.
 */
export function checkApiExposure(config: AnvilConfig): void {
  if (config.auth === 'none' && !isLoopback(config.api.host)) {
    throw new ConfigError(
      `${settings.auth.spec.env}=none is refused while the API listens on ${config.api.host}: listen on loopback, or configure authentication`,
    );
  }
}
