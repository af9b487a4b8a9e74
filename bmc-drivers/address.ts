// BMC addresses as Metal3's BareMetalHost spells them (pkg/hardwareutils/bmc):
// the scheme picks the protocol, the vendor flavour and the boot method.
// Pure: no I/O, no driver construction.
import { InvalidBmcAddress } from './errors.js';

export type BmcProtocol = 'redfish' | 'ipmi';
/** How the host is booted into the agent: network boot (iPXE), an ISO over Redfish virtual media, or an ISO by UEFI HTTP boot. */
export type BootMethod = 'ipxe' | 'virtual-media' | 'uefi-http';

export interface BmcAddress {
  protocol: BmcProtocol;
  /** Dell iDRAC asked for by name: Anvil's `idrac` hardware type. */
  vendor: 'idrac' | null;
  bootMethod: BootMethod;
  /** Host name or IP address; IPv6 without brackets. */
  host: string;
  port: number;
  /** http or https for Redfish; null for IPMI. */
  scheme: 'http' | 'https' | null;
  /** `/redfish/v1/Systems/<id>`; null for IPMI, or a Redfish BMC whose only system is meant. */
  systemPath: string | null;
}

interface SchemeMeaning {
  protocol: BmcProtocol;
  vendor: 'idrac' | null;
  bootMethod: BootMethod;
}

/** Scheme names without their `+http`/`+https` suffix. */
const SCHEMES: Readonly<Record<string, SchemeMeaning>> = {
  ipmi: { protocol: 'ipmi', vendor: null, bootMethod: 'ipxe' },
  // Metal3 treats libvirt:// as IPMI: virtualbmc in front of a libvirt domain.
  libvirt: { protocol: 'ipmi', vendor: null, bootMethod: 'ipxe' },
  redfish: { protocol: 'redfish', vendor: null, bootMethod: 'ipxe' },
  'redfish-virtualmedia': { protocol: 'redfish', vendor: null, bootMethod: 'virtual-media' },
  'redfish-uefihttp': { protocol: 'redfish', vendor: null, bootMethod: 'uefi-http' },
  'idrac-redfish': { protocol: 'redfish', vendor: 'idrac', bootMethod: 'ipxe' },
  'idrac-virtualmedia': { protocol: 'redfish', vendor: 'idrac', bootMethod: 'virtual-media' },
};

export const IPMI_PORT = 623;
const DEFAULT_HTTP_PORT: Readonly<Record<'http' | 'https', number>> = { http: 80, https: 443 };
const SCHEME_PREFIX = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
export const SYSTEM_PATH = /^\/redfish\/v1\/Systems\/[^/?#]+$/;

/**
 * Parses `redfish+http://10.0.0.5:8000/redfish/v1/Systems/1`,
 * `idrac-virtualmedia://bmc.example/redfish/v1/Systems/System.Embedded.1`,
 * `ipmi://10.0.0.5:6230`, or a bare `10.0.0.5:6230` (IPMI, as in Metal3).
 * Redfish defaults to https. Errors never echo the address: it may carry
 * credentials someone pasted into it.
 */
export function parseBmcAddress(address: string): BmcAddress {
  const text = address.trim();
  if (text === '') throw new InvalidBmcAddress('it is empty');
  const prefix = SCHEME_PREFIX.exec(text);
  const fullScheme = (prefix?.[1] ?? 'ipmi').toLowerCase();
  const [name = '', transport, ...extra] = fullScheme.split('+');
  const meaning = SCHEMES[name];
  if (meaning === undefined || extra.length > 0)
    throw new InvalidBmcAddress(`unknown scheme ${JSON.stringify(fullScheme)}`);
  if (transport !== undefined && (meaning.protocol !== 'redfish' || (transport !== 'http' && transport !== 'https'))) {
    throw new InvalidBmcAddress(`unknown scheme ${JSON.stringify(fullScheme)}`);
  }
  let url: URL;
  try {
    // A scheme WHATWG URL does not special-case, so every address is read
    // the same way and no port is dropped for being some scheme's default.
    url = new URL(`bmc://${prefix ? text.slice(prefix[0].length) : text}`);
  } catch {
    throw new InvalidBmcAddress('it is not a valid URL');
  }
  if (url.username !== '' || url.password !== '') throw new InvalidBmcAddress('it must not carry credentials');
  if (url.search !== '' || url.hash !== '') throw new InvalidBmcAddress('it must not have a query or fragment');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === '') throw new InvalidBmcAddress('it names no host');
  const path = url.pathname.replace(/\/+$/, '');

  if (meaning.protocol === 'ipmi') {
    if (path !== '') throw new InvalidBmcAddress('an IPMI address has no path');
    return { ...meaning, host, port: portOf(url, IPMI_PORT), scheme: null, systemPath: null };
  }
  const scheme = transport === 'http' ? 'http' : 'https';
  let systemPath: string | null = null;
  if (path !== '' && path !== '/redfish/v1') {
    if (!SYSTEM_PATH.test(path)) throw new InvalidBmcAddress('a Redfish path must be /redfish/v1/Systems/<id>');
    systemPath = path;
  }
  return { ...meaning, host, port: portOf(url, DEFAULT_HTTP_PORT[scheme]), scheme, systemPath };
}

function portOf(url: URL, fallback: number): number {
  if (url.port === '') return fallback;
  const port = Number(url.port);
  if (port < 1) throw new InvalidBmcAddress('its port must be 1..65535');
  return port;
}

/** `host:port` with IPv6 in brackets, as URLs and log lines want it. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
