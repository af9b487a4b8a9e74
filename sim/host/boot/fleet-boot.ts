// Network boot for a whole fleet: one firmware (HostBoot) per host, one
// disk directory per host, one agent server for all of them.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentServer, HostDisk } from '../../agent/index.js';
import type { FaultBook, RandomSource } from '../../faults/index.js';
import type { Fleet } from '../fleet.js';
import { ApiDispatchers } from './api-dispatchers.js';
import { resolveBootConfig, type BootConfig } from './boot-config.js';
import { HostBoot } from './host-boot.js';

export interface FleetBoot {
  /** The directory holding one directory of disk files per host. */
  diskRoot: string;
  /** Ends every boot and agent; removes the disk root when it was made here. */
  close(): Promise<void>;
}

export async function startFleetBoot(
  fleet: Fleet,
  config: BootConfig,
  deps: { faults: FaultBook; random: RandomSource },
): Promise<FleetBoot> {
  const resolved = resolveBootConfig(config);
  const madeHere = config.diskRoot === undefined;
  const diskRoot = config.diskRoot ?? (await mkdtemp(join(tmpdir(), 'anvil-sim-disks-')));
  await mkdir(diskRoot, { recursive: true });
  const agents = new AgentServer();
  // One connection pool per host address for the agents' API calls, verifying the API against the given CA.
  const apiDispatchers = new ApiDispatchers(resolved.apiCa);
  const boots = new Map<string, HostBoot>();
  for (const host of fleet.hosts) {
    // Directories are made when an agent first writes, so an idle fleet of 10,000 leaves no trace.
    const disk = new HostDisk(join(diskRoot, encodeURIComponent(host.name)));
    boots.set(
      host.name,
      new HostBoot(host, { config: resolved, agents, disk, faults: deps.faults, random: deps.random, apiDispatchers }),
    );
  }
  return {
    diskRoot,
    close: async () => {
      await Promise.all([...boots.values()].map((boot) => boot.close()));
      await apiDispatchers.close();
      if (madeHere) await rm(diskRoot, { recursive: true, force: true });
    },
  };
}
