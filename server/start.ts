import type { Server } from 'node:http';
import type { BootServices } from '../services/boot/index.js';
import type { AnvilConfig } from '../services/config/index.js';
import { createLogger, type Logger } from '../services/logger.js';
import { prepareApiRole, startApiRole, type ApiRole } from './api-role.js';
import { prepareConductorRole, startConductorRole, type ConductorRole } from './conductor-role.js';
import { openCore } from './core.js';
import { preparePxeRole, startPxeRole } from './pxe-role.js';

/** What this process runs: everything (the default), or only the HTTP API, a conductor, or the network boot services. */
export type Role = 'all' | 'api' | 'conductor' | 'pxe';

export interface RunningService {
  /** The API's base URL; null when this process runs no API. */
  url: string | null;
  server: Server | null;
  /** The network boot services, when this process runs them. */
  boot: BootServices | null;
  close(): Promise<void>;
}

const RUNS: Record<Role, { conductor: boolean; api: boolean; pxe: boolean }> = {
  all: { conductor: true, api: true, pxe: true },
  api: { conductor: false, api: true, pxe: false },
  conductor: { conductor: true, api: false, pxe: false },
  pxe: { conductor: false, api: false, pxe: true },
};

/**
 * The composition root of `anvil serve`: the shared core, then each role this
 * process runs, in the order they need each other (the conductor's worker for
 * the API, the API's URL for the agents the boot services start). Whatever
 * started is stopped again if a later role fails to start.
 */
export async function startService(
  config: AnvilConfig,
  { role = 'all', log = createLogger(config.logLevel) }: { role?: Role; log?: Logger } = {},
): Promise<RunningService> {
  const runs = RUNS[role];
  // What can be refused is refused before the database, the data directory or a port is touched.
  const apiPrepared = runs.api ? await prepareApiRole(config, log) : null;
  if (runs.conductor) await prepareConductorRole(config);
  if (runs.pxe) await preparePxeRole(config, runs.api);
  const core = await openCore(config, log, { servesBootFiles: runs.pxe });
  let conductor: ConductorRole | null = null;
  let api: ApiRole | null = null;
  let boot: BootServices | null = null;
  const stop = async () => {
    await boot?.close();
    await api?.close();
    await conductor?.stop();
    await core.close();
  };
  try {
    if (runs.conductor) conductor = await startConductorRole(core, { withApi: runs.api });
    if (apiPrepared !== null) api = await startApiRole(core, conductor, apiPrepared);
    if (runs.pxe) boot = await startPxeRole(core, api?.url ?? null);
  } catch (err) {
    await stop();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    url: api?.url ?? null,
    server: api?.server ?? null,
    boot,
    close() {
      closing ??= stop();
      return closing;
    },
  };
}
