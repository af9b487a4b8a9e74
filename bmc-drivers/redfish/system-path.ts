import { RedfishClient, type RedfishClientOptions, type RedfishCredentials } from './client.js';
import { RedfishProtocolError } from './errors.js';
import { collectionSchema, serviceRootSchema, systemSchema, type ComputerSystem, type ServiceRoot } from './schemas.js';

export type Vendor = 'dell' | 'hpe' | 'supermicro' | 'lenovo' | 'generic';

export interface RedfishAddress {
  /** Scheme, host and port, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** `/redfish/v1/Systems/<id>`, or null when the address names only the BMC. */
  systemPath: string | null;
}

/** The system one node is, on the BMC that manages it. */
export interface RedfishSystem {
  client: RedfishClient;
  path: string;
  id: string;
  vendor: Vendor;
}

const SCHEMES: Record<string, 'http' | 'https'> = {
  'redfish+http:': 'http',
  'redfish+https:': 'https',
  // Ironic reads a bare `redfish://` as https: BMCs default to TLS.
  'redfish:': 'https',
  'http:': 'http',
  'https:': 'https',
};

/**
 * Splits a BMC address such as
 * `redfish+http://127.0.0.1:8000/redfish/v1/Systems/sim-0` into the service
 * origin and the system path. A bare host (`10.0.0.5`) means https.
 */
export function parseRedfishAddress(address: string): RedfishAddress {
  const text = address.includes('://') ? address : `https://${address}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RedfishProtocolError('not a Redfish address');
  }
  const scheme = SCHEMES[url.protocol];
  if (scheme === undefined) throw new RedfishProtocolError(`unsupported Redfish address scheme ${url.protocol}`);
  if (url.username !== '' || url.password !== '') {
    throw new RedfishProtocolError('a Redfish address must not carry credentials');
  }
  const path = url.pathname.replace(/\/+$/, '');
  let systemPath: string | null = null;
  if (path !== '' && path !== '/redfish/v1') {
    if (!/^\/redfish\/v1\/Systems\/[^/]+$/.test(path)) {
      throw new RedfishProtocolError(`Redfish address path must be /redfish/v1/Systems/<id>, not ${path}`);
    }
    systemPath = path;
  }
  return { baseUrl: `${scheme}://${url.host}`, systemPath };
}

/** Reads the vendor from the service root or the system's Manufacturer. */
export function detectVendor(root: ServiceRoot, manufacturer: string | null | undefined): Vendor {
  const oemKeys = Object.keys(root.Oem ?? {});
  const words = [root.Vendor ?? '', manufacturer ?? '', ...oemKeys].join(' ').toLowerCase();
  if (words.includes('dell')) return 'dell';
  if (/\bhpe?\b|hewlett/.test(words)) return 'hpe';
  if (words.includes('supermicro')) return 'supermicro';
  if (words.includes('lenovo')) return 'lenovo';
  return 'generic';
}

/**
 * Finds the system: the one the address names, or the only member of the
 * Systems collection. A single-system BMC has exactly one (Dell iDRAC:
 * `System.Embedded.1`; HPE iLO, Supermicro, Lenovo XCC: `1`), so a bare BMC
 * address is enough for them; a multi-system service needs the path.
 */
export async function resolveSystem(client: RedfishClient, systemPath: string | null): Promise<RedfishSystem> {
  const root = (await client.getAs('/redfish/v1/', serviceRootSchema)).body;
  let path = systemPath;
  if (path === null) {
    const systemsPath = root.Systems?.['@odata.id'] ?? '/redfish/v1/Systems';
    const members = (await client.getAs(systemsPath, collectionSchema)).body.Members;
    const only = members.length === 1 ? members[0] : undefined;
    if (!only) {
      throw new RedfishProtocolError(
        `the BMC has ${members.length} systems; name one in the address (/redfish/v1/Systems/<id>)`,
      );
    }
    path = only['@odata.id'];
  }
  const system: ComputerSystem = (await client.getAs(path, systemSchema)).body;
  return { client, path: path.replace(/\/+$/, ''), id: system.Id, vendor: detectVendor(root, system.Manufacturer) };
}

/** The client's options but what the address and credentials give. */
export type ConnectOptions = Omit<RedfishClientOptions, 'baseUrl' | 'credentials'>;

/** Parses the address, opens a client, and resolves the system. */
export async function connectRedfish(
  address: string,
  credentials: RedfishCredentials,
  options: ConnectOptions = {},
): Promise<RedfishSystem> {
  const parsed = parseRedfishAddress(address);
  const client = new RedfishClient({ ...options, baseUrl: parsed.baseUrl, credentials });
  try {
    return await resolveSystem(client, parsed.systemPath);
  } catch (err) {
    await client.close();
    throw err;
  }
}
