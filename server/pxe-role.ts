import { NodeBootBackend, startBootServices, type BootServices } from '../services/boot/index.js';
import { ConfigError } from '../services/config/index.js';
import type { Core } from './core.js';

/**
 * The network boot services (TFTP, HTTP boot, DHCP) over nodes, ports and IPAM.
 * `apiUrl` is this process's API, if it runs one: what agents are told when
 * ANVIL_API_PUBLIC_URL does not say otherwise.
 */
export async function startPxeRole(core: Core, apiUrl: string | null): Promise<BootServices> {
  const agentApiUrl = core.config.boot.apiPublicUrl ?? apiUrl;
  if (agentApiUrl === null)
    throw new ConfigError(
      'invalid configuration ANVIL_API_PUBLIC_URL: the pxe role needs the URL agents reach the API at',
    );
  const backend = new NodeBootBackend({
    nodes: core.nodes,
    ports: core.ports,
    ipam: core.ipam,
    history: core.history,
    apiUrl: agentApiUrl,
    agentImages: core.config.agentImages,
  });
  const boot = await startBootServices(core.config.boot, backend, core.metrics, core.log);
  core.agentIsos.attach({ bootUrl: boot.httpUrl, apiUrl: agentApiUrl });
  return boot;
}
