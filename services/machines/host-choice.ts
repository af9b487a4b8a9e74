import { findHardwareType } from '../drivers/index.js';
import { labelsOf, matchesSelector } from '../labels/index.js';
import type { MachineSpec } from './model.js';
import type { HostCandidate } from './repository.js';

/** Labels Anvil writes on a host's `extra`. */
export const HOST_LABELS = {
  /** The cluster whose machine last held the host (for node_reuse). */
  lastCluster: 'anvil.last_cluster',
  /** That machine's role: spec.role, else the host's own `role` label. */
  lastRole: 'anvil.last_role',
  /** "true" once remediation gave up on the host: never chosen again until cleared. */
  unhealthy: 'anvil.unhealthy',
  /** The host's deploy interface before a machine changed it (custom-agent, direct): restored when given back. */
  deployInterface: 'anvil.deploy_interface',
} as const;

/** The deploy interface that runs a custom deploy's agent step (Metal3's customDeploy). */
export const CUSTOM_DEPLOY_INTERFACE = 'custom-agent';

/** Whether a host's hardware type offers the deploy interface a custom deploy needs. */
function offersCustomDeploy(host: Pick<HostCandidate, 'driver'>): boolean {
  return (findHardwareType(host.driver)?.interfaces.deploy ?? []).includes(CUSTOM_DEPLOY_INTERFACE);
}

export interface HostChoice {
  /** Hosts to try, best first. */
  ordered: HostCandidate[];
  /** Why there are none, for the machine's failure_message; null when some. */
  reason: string | null;
}

/**
 * The hosts a machine may take, best first: those its selector and failure
 * domain accept, that are not marked unhealthy and, for a custom deploy,
 * whose hardware type can run it (a host claimed only to be refused would
 * fail the machine while a fitting one may be free). With node_reuse, the hosts
 * this cluster's machines of the same role held last come first; the rest
 * are shuffled so that racing machines do not all try the same host. Pure.
 */
export function chooseHosts(
  spec: MachineSpec,
  free: readonly HostCandidate[],
  failureDomainLabel: string,
  random: () => number = Math.random,
): HostChoice {
  const healthy = free.filter((h) => labelsOf(h.extra)[HOST_LABELS.unhealthy] !== 'true');
  const selected = healthy.filter((h) => matchesSelector(spec.host_selector, labelsOf(h.extra)));
  const inDomain =
    spec.failure_domain === null
      ? selected
      : selected.filter((h) => labelsOf(h.extra)[failureDomainLabel] === spec.failure_domain);
  const deployable = spec.custom_deploy === null ? inDomain : inDomain.filter(offersCustomDeploy);
  if (deployable.length === 0) {
    const reason =
      inDomain.length > 0
        ? `no available host matching the selector has the ${CUSTOM_DEPLOY_INTERFACE} deploy interface a custom deploy needs`
        : selected.length > 0
          ? `no host in failure domain ${spec.failure_domain ?? ''}`
          : 'no available host matches the selector';
    return { ordered: [], reason };
  }
  const ordered = shuffle(deployable, random);
  if (spec.node_reuse) {
    const reused = (h: HostCandidate) => {
      const labels = labelsOf(h.extra);
      return (
        labels[HOST_LABELS.lastCluster] === spec.cluster &&
        (spec.role === null || labels[HOST_LABELS.lastRole] === spec.role)
      );
    };
    return { ordered: [...ordered.filter(reused), ...ordered.filter((h) => !reused(h))], reason: null };
  }
  return { ordered, reason: null };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
