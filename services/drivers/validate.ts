import { InvalidDriverInfo as InvalidBmcInfo, parseDriverInfo } from '../../bmc-drivers/index.js';
import { bootModeOf, type InterfaceName, type Node } from '../nodes/index.js';

/** One interface's check failed; the message says why, in Ironic's words. */
class ValidationFailure extends Error {}

/** Ironic's `check_for_missing_params`, with the interface's own lead (`Cannot validate PXE bootloader`) when it has one. */
function missing(kind: 'driver_info' | 'instance_info', keys: string[], lead?: string): ValidationFailure {
  return new ValidationFailure(
    `${lead ? `${lead}. ` : ''}Some parameters were missing in node's ${kind}. Missing are: [${keys.map((k) => `'${k}'`).join(', ')}]`,
  );
}

export interface InterfaceValidation {
  result: boolean;
  reason?: string;
}

type Check = (node: Node) => void;

/** The BMC connection the node's driver needs: address, credentials and options, read as the conductor will. */
const bmc: Check = (n) => {
  try {
    parseDriverInfo(n.driver, n.driver_info);
  } catch (err) {
    if (err instanceof InvalidBmcInfo) throw new ValidationFailure(err.message);
    throw err;
  }
};
const ok: Check = () => undefined;

function unsupported(iface: InterfaceName): Check {
  return () => {
    throw new ValidationFailure(`Driver does not support ${iface} (disabled or not implemented).`);
  };
}

function requireKeys(kind: 'driver_info' | 'instance_info', keys: string[], lead?: string): Check {
  return (n) => {
    const doc = kind === 'driver_info' ? n.driver_info : n.instance_info;
    const absent = keys.filter((k) => doc[k] === undefined || doc[k] === null || doc[k] === '');
    if (absent.length > 0) throw missing(kind, absent, lead);
  };
}

/** As the iPXE script renderer tells a URL from a path (pxe/http/scripts.ts): lower-case schemes only. */
const HTTP_URL = /^https?:\/\//;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * A boot file in driver_info names something the machine can fetch: an
 * http(s) URL, or (where `paths`) a path the boot HTTP server serves from its
 * boot files directory. Other schemes (Ironic's glance, file://) have no
 * server here to hand them to the machine; worded as Ironic's image href
 * validation.
 */
function bootFileHref(key: string, paths: boolean): Check {
  return (n) => {
    const href = n.driver_info[key];
    if (typeof href === 'string' && (HTTP_URL.test(href) || (paths && !SCHEME.test(href)))) return;
    const scheme = typeof href === 'string' ? SCHEME.exec(href)?.[1] : undefined;
    const why = scheme ? `Image download protocol ${scheme} is not supported` : 'It is not an http(s) URL';
    const wanted = paths
      ? 'an http(s) URL or a path under the boot files directory'
      : 'an http(s) URL the BMC can fetch';
    throw new ValidationFailure(
      `Validation of image href ${typeof href === 'string' ? href : JSON.stringify(href)} failed, reason: ${why}; driver_info/${key} must be ${wanted}.`,
    );
  };
}

/** Network boot of the agent: its kernel and ramdisk, served by the boot HTTP server (a path) or from a URL. */
const agentBoot: Check = (n) => {
  requireKeys('driver_info', ['deploy_kernel', 'deploy_ramdisk'], 'Cannot validate PXE bootloader')(n);
  bootFileHref('deploy_kernel', true)(n);
  bootFileHref('deploy_ramdisk', true)(n);
};

/** Boot from the agent ISO the BMC fetches (driver_info/deploy_iso), as the deploy does. */
const virtualMediaBoot: Check = (n) => {
  bmc(n);
  requireKeys('driver_info', ['deploy_iso'], 'Error validating Redfish virtual media')(n);
  bootFileHref('deploy_iso', false)(n);
};

/**
 * Ironic's RedfishHttpsBoot.validate: the BMC connection and the agent ISO
 * the firmware fetches by UEFI HTTP boot (driver_info/deploy_iso). HTTP boot
 * is a UEFI feature, so a node set to legacy BIOS boot is refused here rather
 * than failing at the BMC. Whether the BMC offers UefiHttp is its answer to
 * give: the driver refuses before changing anything when it does not.
 */
const uefiHttpBoot: Check = (n) => {
  bmc(n);
  requireKeys('driver_info', ['deploy_iso'], 'Error validating Redfish virtual media')(n);
  bootFileHref('deploy_iso', false)(n);
  if (bootModeOf(n) !== 'uefi')
    throw new ValidationFailure(`UEFI HTTP boot requires UEFI for node ${n.uuid}; its boot mode is legacy BIOS.`);
};

const directDeploy: Check = (n) => {
  requireKeys('instance_info', ['image_source'])(n);
  const info = n.instance_info;
  const source = String(info.image_source);
  const hasHash = Boolean(info.image_os_hash_algo) && Boolean(info.image_os_hash_value);
  // Local files need no checksum (Ironic agent.py); remote images must be verifiable.
  if (!source.startsWith('file://') && !info.image_checksum && !hasHash) {
    throw new ValidationFailure(
      'Missing image checksum: set instance_info/image_checksum, or image_os_hash_algo and image_os_hash_value',
    );
  }
};

const ramdiskDeploy: Check = (n) => {
  const i = n.instance_info;
  // What boots an ISO (a virtual CD, a UEFI HTTP boot) boots boot_iso; kernel and ramdisk are for the network boot.
  if (ISO_BOOTS.includes(n.boot_interface)) {
    if (!i.boot_iso) throw missing('instance_info', ['boot_iso']);
    return;
  }
  if (!i.boot_iso && !(i.kernel && i.ramdisk)) {
    throw new ValidationFailure(
      'instance_info needs boot_iso, or kernel and ramdisk, for the ramdisk deploy interface',
    );
  }
};

/** Boot interfaces that boot the agent from an ISO the BMC hands the firmware (a virtual CD, or a UEFI HTTP boot URI). */
const ISO_BOOTS = ['redfish-virtual-media', 'idrac-redfish-virtual-media', 'redfish-https'];

/**
 * Ironic's AgentRescue.validate: the boot interface validates, the rescue
 * ramdisk's kernel and initramfs are named for the network boot, and a
 * rescue password is set (the API puts it there with the rescue request; the
 * conductor swaps it for its hash). A rescue ISO over virtual media is not
 * something Anvil builds, so those boot interfaces are refused here.
 */
const agentRescue: Check = (n) => {
  if (ISO_BOOTS.includes(n.boot_interface))
    throw new ValidationFailure(
      `Rescue through the agent needs a network boot interface (ipxe); boot_interface ${n.boot_interface} cannot boot a rescue ramdisk.`,
    );
  // Unrescue boots the instance from its disk; a ramdisk deploy's instance has none to boot from.
  if (n.deploy_interface === 'ramdisk')
    throw new ValidationFailure(
      'Rescue through the agent needs an instance on disk; the ramdisk deploy interface has none to return to.',
    );
  (CHECKS[n.boot_interface] ?? ok)(n);
  requireKeys('driver_info', ['rescue_kernel', 'rescue_ramdisk'], 'Cannot validate PXE bootloader')(n);
  bootFileHref('rescue_kernel', true)(n);
  bootFileHref('rescue_ramdisk', true)(n);
  const password = n.instance_info.rescue_password ?? n.instance_info.hashed_rescue_password;
  if (password === undefined || password === null)
    throw new ValidationFailure(
      `Node ${n.uuid} is missing 'instance_info/rescue_password'. It is required for rescuing node.`,
    );
  if (typeof password !== 'string' || password.trim() === '')
    throw new ValidationFailure(
      `The 'instance_info/rescue_password' is an empty string for node ${n.uuid}. The 'rescue_password' must be a non-empty string value.`,
    );
};

/** Checks of implementations whose name another interface uses too (`agent` inspects and rescues). */
const INTERFACE_CHECKS: Partial<Record<InterfaceName, Record<string, Check>>> = {
  rescue: { agent: agentRescue },
};

/** Checks per interface implementation; implementations absent here validate without conditions. */
const CHECKS: Record<string, Check> = {
  redfish: bmc,
  'idrac-redfish': bmc,
  ipmitool: bmc,
  ipxe: agentBoot,
  'redfish-virtual-media': virtualMediaBoot,
  'idrac-redfish-virtual-media': virtualMediaBoot,
  'redfish-https': uefiHttpBoot,
  direct: directDeploy,
  ramdisk: ramdiskDeploy,
  // Installs only what its deploy steps say; no image is required of it.
  'custom-agent': ok,
  agent: ok,
  noop: ok,
  fake: ok,
};

const INTERFACES: InterfaceName[] = [
  'bios',
  'boot',
  'console',
  'deploy',
  'firmware',
  'inspect',
  'management',
  'network',
  'power',
  'raid',
  'rescue',
  'storage',
];

/** What `GET /v1/nodes/{id}/validate` reports: each interface's result and, on failure, why. */
export function validateNodeInterfaces(node: Node): Record<string, InterfaceValidation> {
  const out: Record<string, InterfaceValidation> = {};
  for (const iface of INTERFACES) {
    const impl = node[`${iface}_interface`];
    const check = impl.startsWith('no-') ? unsupported(iface) : (INTERFACE_CHECKS[iface]?.[impl] ?? CHECKS[impl] ?? ok);
    try {
      check(node);
      out[iface] = { result: true };
    } catch (err) {
      if (!(err instanceof ValidationFailure)) throw err;
      out[iface] = { result: false, reason: err.message };
    }
  }
  return out;
}
