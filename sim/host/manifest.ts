import type { Fleet } from './fleet.js';

/** The file `anvil-sim` writes and `anvil enroll` reads (DESIGN.md §5). */
export interface SimManifest {
  hosts: SimManifestHost[];
}

export interface SimManifestHost {
  name: string;
  uuid: string;
  redfish: { address: string; username: string; password: string };
  ipmi: { address: string; username: string; password: string };
  macs: string[];
}

export interface ManifestEndpoints {
  /** Where the Redfish face listens, e.g. `http://127.0.0.1:8000`. */
  redfishUrl: string;
  redfishUsername: string;
  redfishPassword: string;
  ipmiHost: string;
  /** The IPMI face gives host i the UDP port ipmiBasePort + i. */
  ipmiBasePort: number;
  /**
   * The ports the IPMI face really bound, in fleet order; they win over
   * ipmiBasePort, since ephemeral ports (base port 0) are not consecutive.
   */
  ipmiPorts?: readonly number[];
}

export function buildManifest(fleet: Fleet, endpoints: ManifestEndpoints): SimManifest {
  const redfish = new URL(endpoints.redfishUrl);
  const scheme = redfish.protocol === 'https:' ? 'redfish+https' : 'redfish+http';
  return {
    hosts: fleet.hosts.map((host, index) => ({
      name: host.name,
      uuid: host.uuid,
      redfish: {
        address: `${scheme}://${redfish.host}/redfish/v1/Systems/${encodeURIComponent(host.name)}`,
        username: endpoints.redfishUsername,
        password: endpoints.redfishPassword,
      },
      ipmi: {
        address: `ipmi://${endpoints.ipmiHost}:${endpoints.ipmiPorts?.[index] ?? endpoints.ipmiBasePort + index}`,
        username: host.credentials.username,
        password: host.credentials.password,
      },
      macs: host.nics.map((n) => n.mac),
    })),
  };
}
