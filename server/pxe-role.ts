import { NodeBootBackend, startBootServices, type BootServices } from '../services/boot/index.js';
import { ConfigError, settings, type AnvilConfig } from '../services/config/index.js';
import type { Core } from './core.js';
import { checkPortFree, listenFailure, type ListenSetting } from './ports.js';

/**
 * Checks, before anything starts, what the boot services need: the URL the
 * agents are to reach the API at (`servesApi`: this process runs the API,
 * whose URL will do), and a free port for the HTTP boot server.
 */
export async function preparePxeRole(config: AnvilConfig, servesApi: boolean): Promise<void> {
  if (!servesApi) agentApiUrlOf(config, null);
  await checkPortFree(httpListen(config));
}

function agentApiUrlOf(config: AnvilConfig, apiUrl: string | null): string {
  const url = config.boot.apiPublicUrl ?? apiUrl;
  if (url === null)
    throw new ConfigError(
      `invalid configuration ${settings.boot.apiPublicUrl.spec.env}: the pxe role needs the URL agents reach the API at`,
    );
  return url;
}

function httpListen(config: AnvilConfig): ListenSetting {
  return {
    host: config.boot.httpHost,
    port: config.boot.httpPort,
    hostVariable: settings.boot.httpHost.spec.env,
    portVariable: settings.boot.httpPort.spec.env,
  };
}

/** TFTP listens where the HTTP boot server does. */
function tftpListen(config: AnvilConfig, port: number): ListenSetting {
  return { ...httpListen(config), port, portVariable: settings.boot.tftpPort.spec.env };
}

/**
 * The network boot services (TFTP, HTTP boot, DHCP) over nodes, ports and IPAM.
 * `apiUrl` is this process's API, if it runs one: what agents are told when
 * ANVIL_API_PUBLIC_URL does not say otherwise.
 */
export async function startPxeRole(core: Core, apiUrl: string | null): Promise<BootServices> {
  const agentApiUrl = agentApiUrlOf(core.config, apiUrl);
  const backend = new NodeBootBackend({
    nodes: core.nodes,
    ports: core.ports,
    ipam: core.ipam,
    history: core.history,
    apiUrl: agentApiUrl,
    agentImages: core.config.agentImages,
  });
  const boot = await startBootServices(core.config.boot, backend, core.metrics, core.log).catch((err: unknown) => {
    const { tftpPort } = core.config.boot;
    const http = listenFailure(err, httpListen(core.config));
    throw tftpPort === null || http !== err ? http : listenFailure(err, tftpListen(core.config, tftpPort));
  });
  core.agentIsos.attach({ bootUrl: boot.httpUrl, apiUrl: agentApiUrl });
  return boot;
}
