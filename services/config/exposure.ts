import { BlockList, isIP } from 'node:net';
import { ConfigError } from './error.js';
import { settings, type AnvilConfig } from './settings.js';

/** 127.0.0.0/8 and ::1; BlockList also finds IPv4 loopback written IPv4-mapped (`::ffff:127.0.0.1`). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
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
