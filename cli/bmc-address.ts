/**
 * A Metal3-style BMC address turned into a node's `driver` and
 * `driver_info`, as the Anvil API takes them. Pure. The CLI cannot import
 * the service's BMC layer (it talks only HTTP), so this is the small part of
 * that mapping an inventory file needs; the server validates the result.
 */
export interface BmcEnrollment {
  driver: 'redfish' | 'ipmi';
  driverInfo: Record<string, string | number>;
  /** Virtual-media and UEFI HTTP addresses boot the agent from an ISO over Redfish. */
  bootInterface: 'ipxe' | 'redfish-virtual-media' | 'redfish-https' | null;
}

export class BadBmcAddress extends Error {
  override readonly name = 'BadBmcAddress';
}

const SUPPORTED =
  'redfish[+http|+https]://host[:port]/redfish/v1/Systems/<id>, redfish-virtualmedia[+http|+https]://…, redfish-uefihttp[+http|+https]://…, or ipmi://host[:port]';
const REDFISH_SCHEME = /^(redfish|redfish-virtualmedia|redfish-uefihttp)(?:\+(http|https))?$/;
/** Metal3's schemes that choose how the agent boots, as baremetal-operator maps them. */
const BOOT_BY_SCHEME: Record<string, BmcEnrollment['bootInterface']> = {
  'redfish-virtualmedia': 'redfish-virtual-media',
  'redfish-uefihttp': 'redfish-https',
};
const SYSTEM_PATH = /^\/redfish\/v1\/Systems\/[^/?#]+$/;
const IPMI_PORT = 623;

export function enrollmentFromBmc(address: string, username: string, password: string): BmcEnrollment {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(address.trim());
  if (match === null) throw new BadBmcAddress(`no scheme; expected ${SUPPORTED}`);
  const scheme = match[1]!.toLowerCase();
  let url: URL;
  try {
    // One scheme WHATWG URL does not special-case, so no default port is dropped.
    url = new URL(`bmc://${match[2]}`);
  } catch {
    throw new BadBmcAddress('not a valid URL');
  }
  if (url.username !== '' || url.password !== '')
    throw new BadBmcAddress('credentials belong in username and password, not in the address');
  if (url.hostname === '') throw new BadBmcAddress('names no host');
  if (url.search !== '' || url.hash !== '') throw new BadBmcAddress('must not have a query or fragment');
  const path = url.pathname.replace(/\/+$/, '');

  if (scheme === 'ipmi') {
    if (path !== '') throw new BadBmcAddress('an IPMI address has no path');
    return {
      driver: 'ipmi',
      driverInfo: {
        ipmi_address: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        ipmi_port: url.port === '' ? IPMI_PORT : Number(url.port),
        ipmi_username: username,
        ipmi_password: password,
      },
      bootInterface: null,
    };
  }
  const redfish = REDFISH_SCHEME.exec(scheme);
  if (redfish === null) throw new BadBmcAddress(`unsupported scheme "${scheme}"; expected ${SUPPORTED}`);
  if (path !== '' && !SYSTEM_PATH.test(path)) throw new BadBmcAddress('the path must be /redfish/v1/Systems/<id>');
  // Metal3 and Ironic: Redfish without a transport means https.
  const transport = redfish[2] ?? 'https';
  return {
    driver: 'redfish',
    driverInfo: {
      redfish_address: `${transport}://${url.host}`,
      ...(path === '' ? {} : { redfish_system_id: path }),
      redfish_username: username,
      redfish_password: password,
    },
    bootInterface: BOOT_BY_SCHEME[redfish[1]!] ?? null,
  };
}
