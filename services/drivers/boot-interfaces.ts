import { requireHttpBoot, requireInterface, type BmcDriver } from '../../bmc-drivers/index.js';
import { agentImagesFor, agentKindOf, type AgentImageKind } from '../boot/index.js';
import { bootModeOf, type Node } from '../nodes/index.js';
import { StepFailure } from '../steps/index.js';
import type { HardwareInterface, ValidationEnv } from './hardware-interface.js';
import { requireBmc, requireBootFileHref, requireKeys, ValidationFailure } from './validation.js';

/** The work for which the conductor boots the ramdisk agent. */
export type AgentWork = 'inspect' | 'clean' | 'deploy' | 'rescue';

/** The agent `work` boots: the rescue ramdisk for a rescue, the deploy one for everything else. */
function agentKindFor(work: AgentWork): AgentImageKind {
  return work === 'rescue' ? 'rescue' : 'deploy';
}

/** The agent ISO built for a node that names none (services/vmedia), as the boot interfaces that boot ISOs use it. */
export interface AgentIsoSource {
  /** Why no ISO of `kind`'s agent can be built for the node here, or null. */
  problem(node: Node, kind: AgentImageKind): string | null;
  /** Builds and publishes the node's ISO of `kind`'s agent; its URL. */
  publish(node: Node, kind: AgentImageKind): Promise<string>;
  /** Removes the node's published ISO, if any. */
  withdraw(node: Node): Promise<void>;
}

/**
 * How the machine boots the agent and a ramdisk instance: over the
 * network, from a virtual CD, or by UEFI HTTP boot of an ISO.
 */
export interface BootInterface extends HardwareInterface {
  /** The agent boots from an ISO the BMC hands the firmware, so it needs no port that may network-boot. */
  readonly fromIso: boolean;
  /** What the machine fetches to boot the agent for `work`: the hrefs checked before it is powered on. */
  agentFiles(node: Node, work: AgentWork, env: ValidationEnv): string[];
  /** Why the agent's boot media cannot be prepared here, or null (checked before the machine is touched). */
  mediaProblem(node: Node, isos: AgentIsoSource): string | null;
  /** Points the next boot (once) at the agent. */
  bootAgent(node: Node, driver: BmcDriver, isos: AgentIsoSource): Promise<void>;
  /** Points every boot at the ramdisk deploy's instance. */
  bootRamdiskInstance(node: Node, driver: BmcDriver): Promise<void>;
  /** Takes away what the agent booted from, so the instance never boots it. */
  ejectAgent(node: Node, driver: BmcDriver, isos: AgentIsoSource): Promise<void>;
}

/**
 * A kernel and ramdisk pair for the agent (`deploy`) or the rescue ramdisk
 * exists at some level (Ironic's get_agent_kernel_ramdisk); the pair named in
 * driver_info is checked for what the machine can fetch, configured ones
 * were checked when the configuration was loaded.
 */
export function requireAgentImages(node: Node, kind: 'deploy' | 'rescue', env: ValidationEnv, lead: string): void {
  if (agentImagesFor(node, kind, env.agentImages) === null)
    requireKeys(node, 'driver_info', [`${kind}_kernel`, `${kind}_ramdisk`], lead);
  for (const key of [`${kind}_kernel`, `${kind}_ramdisk`])
    if (node.driver_info[key] !== undefined) requireBootFileHref(node, key, true);
}

function nonEmpty(node: Node, doc: 'driver_info' | 'instance_info', keys: string[]): string[] {
  return keys.map((k) => node[doc][k]).filter((v): v is string => typeof v === 'string' && v !== '');
}

/** A string at `doc/key`, or the boot fails naming it. */
function required(node: Node, doc: 'driver_info' | 'instance_info', key: string, why: string): string {
  const value = node[doc][key];
  if (typeof value !== 'string' || value === '') throw new StepFailure(why);
  return value;
}

/** Network boot (DHCP, TFTP, iPXE): the agent's kernel and ramdisk, served by the boot HTTP server or from a URL. */
export class IpxeBoot implements BootInterface {
  readonly name = 'ipxe';
  readonly fromIso = false;

  /** The agent's kernel and ramdisk: driver_info's, else those configured for the node's cpu_arch or for all. */
  validate(node: Node, env: ValidationEnv): void {
    requireAgentImages(node, 'deploy', env, 'Cannot validate PXE bootloader');
  }

  agentFiles(node: Node, work: AgentWork, env: ValidationEnv): string[] {
    const images = agentImagesFor(node, agentKindFor(work), env.agentImages);
    return images === null ? [] : [images.kernel, images.ramdisk];
  }

  mediaProblem(): null {
    return null;
  }

  async bootAgent(node: Node, driver: BmcDriver): Promise<void> {
    await driver.management.setBootDevice('pxe', { persistent: false, mode: bootModeOf(node) });
  }

  async bootRamdiskInstance(node: Node, driver: BmcDriver): Promise<void> {
    await driver.management.setBootDevice('pxe', { persistent: true, mode: bootModeOf(node) });
  }

  async ejectAgent(): Promise<void> {}
}

/**
 * What the BMCs of ISO boots hand the firmware, as Ironic's redfish boot
 * interfaces: driver_info's `deploy_iso` (`rescue_iso` for a rescue) when it
 * is set, else an ISO built from that agent's kernel and ramdisk
 * (driver_info's, or configured), withdrawn when the agent's work is over.
 */
abstract class IsoBoot {
  readonly fromIso = true;

  validate(node: Node, env: ValidationEnv): void {
    requireBmc(node);
    if (hasIso(node, 'deploy')) requireBootFileHref(node, 'deploy_iso', false);
    else requireAgentImages(node, 'deploy', env, VMEDIA_LEAD);
  }

  agentFiles(node: Node, work: AgentWork, env: ValidationEnv): string[] {
    const kind = agentKindFor(work);
    if (hasIso(node, kind)) return nonEmpty(node, 'driver_info', [`${kind}_iso`]);
    const images = agentImagesFor(node, kind, env.agentImages);
    return images === null ? [] : [images.kernel, images.ramdisk];
  }

  mediaProblem(node: Node, isos: AgentIsoSource): string | null {
    const kind = agentKindOf(node);
    return hasIso(node, kind) ? null : isos.problem(node, kind);
  }

  /** The agent ISO's URL: the one driver_info names, or the one built for the node now. */
  protected async agentIso(node: Node, isos: AgentIsoSource): Promise<string> {
    const kind = agentKindOf(node);
    return hasIso(node, kind) ? (node.driver_info[`${kind}_iso`] as string) : isos.publish(node, kind);
  }
}

/** Ironic's lead for a redfish boot interface's missing driver_info. */
export const VMEDIA_LEAD = 'Error validating Redfish virtual media';

export function hasIso(node: Node, kind: AgentImageKind): boolean {
  const iso = node.driver_info[`${kind}_iso`];
  return typeof iso === 'string' && iso !== '';
}

/** Redfish virtual media: the BMC attaches the agent ISO as a CD the machine boots once. */
export class VirtualMediaBoot extends IsoBoot implements BootInterface {
  constructor(readonly name: string) {
    super();
  }

  async bootAgent(node: Node, driver: BmcDriver, isos: AgentIsoSource): Promise<void> {
    const iso = await this.agentIso(node, isos);
    try {
      await requireInterface(driver, 'virtualMedia').insert(iso);
      await driver.management.setBootDevice('cdrom', { persistent: false, mode: bootModeOf(node) });
    } catch (err) {
      await isos.withdraw(node);
      throw err;
    }
  }

  async bootRamdiskInstance(node: Node, driver: BmcDriver): Promise<void> {
    const iso = required(
      node,
      'instance_info',
      'boot_iso',
      'The ramdisk deploy over virtual media needs instance_info/boot_iso.',
    );
    await requireInterface(driver, 'virtualMedia').insert(iso);
    await driver.management.setBootDevice('cdrom', { persistent: true, mode: bootModeOf(node) });
  }

  async ejectAgent(node: Node, driver: BmcDriver, isos: AgentIsoSource): Promise<void> {
    await requireInterface(driver, 'virtualMedia').eject();
    await isos.withdraw(node);
  }
}

/**
 * Ironic's redfish-https: the BMC sets the next boot to UEFI HTTP boot of the
 * agent ISO's URL; nothing is attached, so nothing is ejected. HTTP boot is
 * a UEFI feature, so a node set to legacy BIOS boot is refused by validate
 * rather than failing at the BMC. Whether the BMC offers UefiHttp is its
 * answer to give: the driver refuses before changing anything when it does not.
 */
export class UefiHttpBoot extends IsoBoot implements BootInterface {
  readonly name = 'redfish-https';

  override validate(node: Node, env: ValidationEnv): void {
    super.validate(node, env);
    if (bootModeOf(node) !== 'uefi')
      throw new ValidationFailure(`UEFI HTTP boot requires UEFI for node ${node.uuid}; its boot mode is legacy BIOS.`);
  }

  async bootAgent(node: Node, driver: BmcDriver, isos: AgentIsoSource): Promise<void> {
    const iso = await this.agentIso(node, isos);
    try {
      await requireHttpBoot(driver)(iso, { persistent: false });
    } catch (err) {
      await isos.withdraw(node);
      throw err;
    }
  }

  async bootRamdiskInstance(node: Node, driver: BmcDriver): Promise<void> {
    const iso = required(
      node,
      'instance_info',
      'boot_iso',
      'The ramdisk deploy over UEFI HTTP boot needs instance_info/boot_iso.',
    );
    await requireHttpBoot(driver)(iso, { persistent: true });
  }

  async ejectAgent(node: Node, _driver: BmcDriver, isos: AgentIsoSource): Promise<void> {
    await isos.withdraw(node);
  }
}
