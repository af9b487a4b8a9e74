import { resolveBootFile } from '../boot/index.js';
import { configDriveProblem } from '../deploy/index.js';
import {
  bootInterfaceOf,
  validateNodeInterfaces,
  type AgentIsoSource,
  type AgentWork,
  type ValidationEnv,
} from '../drivers/index.js';
import type { Node } from '../nodes/index.js';

/** How Ironic words a step that could not be prepared (its `inspection_error_handler`, `prepare_cleaning`, `deploy.prepare` failures). */
const UNPREPARED: Record<AgentWork, (node: Node, reason: string) => string> = {
  inspect: (_node, reason) => `Failed to inspect hardware. Reason: unable to start inspection: ${reason}`,
  clean: (node, reason) => `Failed to prepare node ${node.uuid} for cleaning: ${reason}`,
  deploy: (_node, reason) => `Failed to prepare to deploy: ${reason}`,
  rescue: (_node, reason) => `Failed to rescue: ${reason}`,
};

export interface StepPrerequisiteOptions {
  /**
   * The directory the boot HTTP server serves `/boot-files/` from, when this
   * process runs that server; null when another process does (`--role
   * conductor` beside `--role pxe`), where a boot file given as a path cannot
   * be seen from here and is left to the host's own fetch.
   */
  bootFilesDir: string | null;
  /** Bound on the HEAD request that checks a boot file given as a URL. */
  headTimeoutMs: number;
  /** The MACs of the node's ports that may network-boot (`pxe_enabled`): DHCP and iPXE answer only them. */
  pxeMacs(node: Node): Promise<string[]>;
  /** What validation reads besides the node: the configured agent images. */
  env: ValidationEnv;
  /** Agent ISOs built for nodes that boot from an ISO and name none. */
  agentIsos: AgentIsoSource;
}

/**
 * What a step needs before it may touch the machine (DESIGN decision 15): a
 * step that cannot start fails at once, with the reason, instead of powering
 * the machine on into a network boot with nothing to boot and waiting out
 * the callback timeout. First what `validate` says of the interfaces the step
 * uses (pure), then what only the conductor can look at: the config drive it
 * would hand the agent, and whether the boot files exist.
 */
export class StepPrerequisites {
  constructor(private readonly options: StepPrerequisiteOptions) {}

  /** Why `work` cannot start on `node`, as its last_error, or null when it may. */
  async problem(node: Node, work: AgentWork): Promise<string | null> {
    const invalid = interfaceProblem(node, work, this.options.env);
    if (invalid !== null) {
      // Ironic refuses a deploy in `do_node_deploy`'s validation with these words; the others fail in preparing.
      return work === 'deploy'
        ? `Failed to validate deploy or power info for node ${node.uuid}: ${invalid}`
        : UNPREPARED[work](node, invalid);
    }
    const unprepared =
      (work === 'deploy' ? configDriveProblem(node.instance_info.configdrive) : null) ??
      (await this.noBootablePort(node)) ??
      (await this.missingBootFile(node, work)) ??
      bootInterfaceOf(node).mediaProblem(node, this.options.agentIsos);
    return unprepared === null ? null : UNPREPARED[work](node, unprepared);
  }

  /**
   * A network boot finds the node by a MAC: without a port that may boot,
   * DHCP and the iPXE scripts would never answer the machine. Ironic's PXE
   * boot validation says it so; a virtual media or UEFI HTTP boot, which the
   * BMC points at the ISO, needs no port.
   */
  private async noBootablePort(node: Node): Promise<string | null> {
    if (bootInterfaceOf(node).fromIso || (await this.options.pxeMacs(node)).length > 0) return null;
    return `Node ${node.uuid} does not have any port associated with it.`;
  }

  /** The first boot file the agent's boot names that is known not to exist, worded as Ironic's image href validation. */
  private async missingBootFile(node: Node, work: AgentWork): Promise<string | null> {
    const found = await Promise.all(
      bootInterfaceOf(node)
        .agentFiles(node, work, this.options.env)
        .map((href) => (/^https?:\/\//.test(href) ? this.checkUrl(href) : this.checkPath(href))),
    );
    return found.find((problem) => problem !== null) ?? null;
  }

  /**
   * HEAD, bounded by a short timeout, failing only on an answer that the
   * file is not there (404, 410). An unreachable server or another status
   * proves nothing: hosts fetch boot files over the provisioning network,
   * which the conductor need not be on, a server may refuse HEAD (405) or
   * strangers (403); those boots go ahead, as before.
   */
  private async checkUrl(href: string): Promise<string | null> {
    let status: number;
    try {
      const res = await fetch(href, { method: 'HEAD', signal: AbortSignal.timeout(this.options.headTimeoutMs) });
      await res.body?.cancel();
      status = res.status;
    } catch {
      return null;
    }
    return status === 404 || status === 410
      ? `Validation of image href ${href} failed, reason: Got HTTP code ${status} instead of 200 in response to HEAD request.`
      : null;
  }

  /** A path must name a regular file under the boot files directory, as the boot HTTP server will look for it. */
  private async checkPath(href: string): Promise<string | null> {
    const dir = this.options.bootFilesDir;
    if (dir === null) return null;
    const resolved = await resolveBootFile(dir, href);
    return 'problem' in resolved ? resolved.problem : null;
  }
}

/** The first failing `validate` result of the interfaces `work` uses: the boot interface, and the deploy or rescue interface. */
function interfaceProblem(node: Node, work: AgentWork, env: ValidationEnv): string | null {
  const results = validateNodeInterfaces(node, env);
  for (const iface of work === 'deploy' || work === 'rescue' ? ['boot', work] : ['boot']) {
    const result = results[iface];
    if (result && !result.result) return result.reason ?? `the ${iface} interface does not validate`;
  }
  return null;
}
