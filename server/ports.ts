import { createServer } from 'node:net';
import { ConfigError } from '../services/config/index.js';

/** Where a server is to listen, and the settings that say so (named in an error). */
export interface ListenSetting {
  host: string;
  port: number;
  hostVariable: string;
  portVariable: string;
}

/**
 * Refuses a port another process holds, one this process may not bind, or
 * an address that is not this machine's, before anything is started or
 * written: binds it and lets it go at once. Port 0 (any free port) is bound
 * too, which checks the address.
 */
export async function checkPortFree(setting: ListenSetting): Promise<void> {
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host: setting.host, port: setting.port, exclusive: true }, resolve);
    });
  } catch (err) {
    throw listenFailure(err, setting);
  }
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/**
 * A failed listen as the operator can act on it, naming the setting to
 * change; an error of any other kind, or about another port (a start that
 * binds several), is returned as it is.
 */
export function listenFailure(err: unknown, setting: ListenSetting): unknown {
  const { host, port, hostVariable, portVariable } = setting;
  const failed = err as NodeJS.ErrnoException & { port?: number };
  if (failed.port !== undefined && failed.port !== port) return err;
  switch (failed.code) {
    case 'EADDRINUSE':
      return new ConfigError(
        `invalid configuration ${portVariable}: port ${port} on ${host} is already in use by another process; stop it or choose another port`,
      );
    case 'EACCES':
      return new ConfigError(
        `invalid configuration ${portVariable}: this process may not listen on port ${port}; choose a port above 1023 or grant it the privilege`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError(`invalid configuration ${hostVariable}: ${host} is not an address of this machine`);
    default:
      return err;
  }
}
