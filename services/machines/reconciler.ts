import { ClaimNotFound, IpamError, PoolNotFound, type IpamService } from '../../ipam/index.js';
import { AnvilError } from '../errors.js';
import type { StoredInventory } from '../inspect/index.js';
import { claimAddressesForNode, networkDataFor, nodeAddresses, nodeClaimName } from '../ipam/index.js';
import type { Logger } from '../logger.js';
import { isActionable, type JsonObject, type Node, type NodeLocks, type NodeRepository } from '../nodes/index.js';
import { chooseHosts, HOST_LABELS } from './host-choice.js';
import type { Machine } from './model.js';
import { remediationStep } from './remediation.js';
import {
  configDriveFor,
  customDeployStep,
  instanceInfoFor,
  inventoryAddresses,
  machineAddresses,
} from './rendering.js';
import type { MachineRepository } from './repository.js';

/** How the reconciler asks for node work: through the conductors' Intake, never by writing states. */
export interface NodeRequests {
  provision(
    node: Node,
    req: { verb: 'deploy' | 'delete' | 'abort'; target: string; configdrive?: JsonObject; deploySteps?: JsonObject[] },
  ): Promise<void>;
  setPower(node: Node, target: 'rebooting', timeoutSeconds: number | null): Promise<void>;
}

export interface ReconcilerDeps {
  repo: MachineRepository;
  nodes: Pick<NodeRepository, 'getById' | 'findByUuid' | 'update'>;
  locks: Pick<NodeLocks, 'withLock'>;
  requests: NodeRequests;
  ipam: IpamService;
  ports: { listForNode(nodeId: number): Promise<{ uuid: string; address: string; pxe_enabled: boolean }[]> };
  inventory: { get(nodeId: number, nodeUuid: string): Promise<StoredInventory> };
  /** The host label whose value is the host's failure domain (ANVIL_FAILURE_DOMAIN_LABEL). */
  failureDomainLabel: string;
  log: Logger;
}

const DEPLOY_FAILED = 'deploy failed';
/** Where a host is no longer the machine's to undeploy: back in the pool, or taken out of it by an operator. */
const RETURNED_STATES: readonly string[] = ['available', 'manageable', 'enroll'];

/**
 * One pass over one machine, as a Cluster API provider's reconcile: look at
 * the machine and its host, take the next step, and return; the next kick or
 * sweep takes the one after. Each step is safe to repeat (a conductor that
 * died mid-way leaves a machine the next owner picks up where it stands).
 *
 *   pending        find and claim a free host; none → stay, with the reason
 *   provisioning   write the image, claim addresses, ask the host to deploy;
 *                  `active` → provisioned; `deploy failed` → failed
 *   deleting       abort or undeploy (cleaning per the machine's mode), then
 *                  release addresses, label the host for reuse, remove the row
 *
 * A paused machine is left alone whatever it asks.
 */
export class MachineReconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(machine: Machine): Promise<void> {
    if (machine.spec.paused) return;
    if (machine.deleting) return this.tearDown(machine);
    if (machine.remediation !== null) return this.remediate(machine);
    if (machine.phase === 'pending') return this.findHost(machine);
    if (machine.phase === 'provisioning') return this.provision(machine);
  }

  private async findHost(machine: Machine): Promise<void> {
    if (machine.node_uuid !== null) {
      await this.deps.repo.updateStatus(machine, { phase: 'provisioning' });
      return;
    }
    const { spec } = machine;
    const free = await this.deps.repo.freeHosts({
      resourceClass: spec.host_selector.resource_class,
      traits: spec.host_selector.traits,
    });
    const choice = chooseHosts(spec, free, this.deps.failureDomainLabel);
    for (const host of choice.ordered) {
      const outcome = await this.deps.repo.claim(machine, host);
      if (outcome === 'gone') return;
      if (outcome === 'claimed') {
        this.deps.log.info({ machine: machine.name, node_uuid: host.uuid }, 'machine claimed a host');
        const claimed = await this.deps.repo.getById(machine.id);
        await this.deps.repo.updateStatus(claimed, { phase: 'provisioning' });
        return;
      }
    }
    // Every fitting host was taken or locked meanwhile: the sweep tries again.
    const reason = choice.reason ?? 'every matching host was taken by another machine';
    if (machine.failure_message !== reason) {
      await this.deps.repo.updateStatus(machine, { failure_reason: 'NoHost', failure_message: reason });
    }
  }

  private async provision(machine: Machine): Promise<void> {
    const node = await this.hostOf(machine);
    if (node === null) {
      await this.fail(machine, 'HostLost', 'the host was deleted or given to another instance');
      return;
    }
    switch (node.provision_state) {
      case 'available':
        await this.startDeploy(machine, node);
        return;
      case 'active':
        await this.deps.repo.updateStatus(machine, {
          phase: 'provisioned',
          ready: true,
          addresses: await this.addressesOf(machine, node),
          failure_reason: null,
          failure_message: null,
        });
        return;
      case DEPLOY_FAILED:
        await this.fail(machine, 'DeployFailed', node.last_error ?? 'the deploy failed');
        return;
      default:
      // deploying, wait call-back...: the conductor is at work.
    }
  }

  /**
   * Writes what the deploy needs on the host (image or custom deploy step,
   * addresses) and asks its conductor to deploy with the machine's config
   * drive. A refusal the host will not outgrow fails the machine; a lock
   * held for a moment is tried again by the next pass.
   */
  private async startDeploy(machine: Machine, node: Node): Promise<void> {
    const { spec } = machine;
    try {
      await this.deps.locks.withLock(node.id, node.uuid, async () => {
        const fresh = await this.deps.nodes.getById(node.id);
        await this.deps.nodes.update(
          node.id,
          spec.image !== null
            ? { instance_info: instanceInfoFor(fresh.instance_info, spec.image) }
            : { deploy_interface: 'custom-agent' },
        );
      });
      await claimAddressesForNode(
        this.deps.ipam,
        node,
        (spec.data_template?.networks ?? []).map((n) => n.pool),
      );
      const networkData = await networkDataFor(this.deps.ipam, node, await this.deps.ports.listForNode(node.id));
      const steps = customDeployStep(spec);
      await this.deps.requests.provision(await this.deps.nodes.getById(node.id), {
        verb: 'deploy',
        target: 'active',
        configdrive: configDriveFor(spec, machine, node, networkData),
        ...(steps.length > 0 ? { deploySteps: steps } : {}),
      });
      this.deps.log.info({ machine: machine.name, node_uuid: node.uuid }, 'machine deploy requested');
    } catch (err) {
      if (isTransient(err)) return;
      if (err instanceof IpamError) {
        // A pool deleted or exhausted since the machine was created.
        await this.fail(machine, 'AddressClaimFailed', err.message);
        return;
      }
      if (err instanceof AnvilError) {
        await this.fail(machine, 'DeployRefused', err.message);
        return;
      }
      throw err;
    }
  }

  private async addressesOf(machine: Machine, node: Node) {
    let fromInventory: string[] = [];
    try {
      fromInventory = inventoryAddresses((await this.deps.inventory.get(node.id, node.uuid)).inventory);
    } catch (err) {
      // A host deployed without inspection has no inventory: its IPAM addresses are all there is.
      if (!(err instanceof AnvilError)) throw err;
    }
    return machineAddresses(machine.name, await nodeAddresses(this.deps.ipam, node), fromInventory);
  }

  /**
   * Takes the machine down. A host that is deployed, failed, or waiting for
   * its agent is undeployed (Ironic's `deleted`, which also ends a deploy in
   * wait call-back) with the machine's cleaning mode; a host mid-step is left
   * to reach a state that allows it. Once the host is `available` (or taken
   * out of the pool by an operator), the machine's addresses are released,
   * the host is labelled with the cluster and role it served, and the machine
   * row goes, freeing the host in the same transaction.
   */
  private async tearDown(machine: Machine): Promise<void> {
    // Undeploying clears the host's instance_uuid (as Ironic's tear down does): the host stays this machine's to give back until another takes it.
    const node = await this.hostOf(machine, { orFreed: true });
    if (node === null) {
      await this.deps.repo.remove(machine);
      return;
    }
    if (machine.phase !== 'deprovisioning') {
      machine = await this.deps.repo.updateStatus(machine, { phase: 'deprovisioning', ready: false });
    }
    if (RETURNED_STATES.includes(node.provision_state)) {
      await this.giveBack(machine, node);
      return;
    }
    try {
      if (node.provision_state === 'deploy hold') {
        // Held before its image is written: abort it (to deploy failed), which undeploys on the next pass.
        await this.deps.requests.provision(node, { verb: 'abort', target: 'abort' });
        return;
      }
      if (!isActionable(node.provision_state, 'delete')) {
        // Mid-step (deploying, deleting, cleaning): the next pass looks again. A failure no request leaves is the operator's.
        if (!node.provision_state.endsWith('failed')) return;
        const message = `the host is in ${node.provision_state}: ${node.last_error ?? 'an operator must return it'}`;
        if (machine.failure_message !== message)
          await this.deps.repo.updateStatus(machine, { failure_reason: 'HostStuck', failure_message: message });
        return;
      }
      await this.deps.locks.withLock(node.id, node.uuid, async () => {
        const fresh = await this.deps.nodes.getById(node.id);
        await this.deps.nodes.update(node.id, {
          automated_clean: machine.spec.automated_cleaning_mode === 'metadata',
          // Labelled before it goes back to the pool, so that node_reuse sees the labels the moment it is free.
          extra: reuseLabels(machine, fresh.extra),
        });
      });
      await this.deps.requests.provision(await this.deps.nodes.getById(node.id), { verb: 'delete', target: 'deleted' });
      this.deps.log.info({ machine: machine.name, node_uuid: node.uuid }, 'machine undeploy requested');
    } catch (err) {
      if (isTransient(err)) return;
      throw err;
    }
  }

  private async giveBack(machine: Machine, node: Node): Promise<void> {
    for (const { pool } of machine.spec.data_template?.networks ?? []) {
      try {
        await this.deps.ipam.release(pool, nodeClaimName(node.uuid, pool));
      } catch (err) {
        if (!(err instanceof ClaimNotFound) && !(err instanceof PoolNotFound)) throw err;
      }
    }
    if (node.extra[HOST_LABELS.lastCluster] !== machine.spec.cluster) {
      // Never undeployed by this machine (it failed before deploying, or an operator took the host back).
      await this.deps.locks.withLock(node.id, node.uuid, async () => {
        const fresh = await this.deps.nodes.getById(node.id);
        await this.deps.nodes.update(node.id, { extra: reuseLabels(machine, fresh.extra) });
      });
    }
    await this.deps.repo.remove(machine);
    this.deps.log.info({ machine: machine.name, node_uuid: node.uuid }, 'machine deleted, host freed');
  }

  /** One step of a reboot remediation (see remediation.ts for what "came back" means). */
  private async remediate(machine: Machine): Promise<void> {
    const remediation = machine.remediation!;
    const node = await this.hostOf(machine);
    if (node === null) {
      await this.deps.repo.updateStatus(machine, { remediation: null });
      await this.fail(machine, 'HostLost', 'the host was deleted or given to another instance');
      return;
    }
    const step = remediationStep(remediation, node, Date.now());
    switch (step.kind) {
      case 'wait':
        return;
      case 'recovered':
        await this.deps.repo.updateStatus(machine, { remediation: null, ready: true });
        this.deps.log.info({ machine: machine.name, attempts: remediation.attempts }, 'remediation: host came back');
        return;
      case 'reboot':
        try {
          await this.deps.requests.setPower(node, 'rebooting', null);
        } catch (err) {
          if (isTransient(err)) return;
          if (!(err instanceof AnvilError)) throw err;
          // A reboot the host refuses outright (cleaning, disable_power_off) cannot remediate it.
          await this.deps.repo.updateStatus(machine, { remediation: null });
          await this.fail(machine, 'RemediationFailed', `the host refused the reboot: ${err.message}`);
          return;
        }
        await this.deps.repo.updateStatus(machine, {
          ready: false,
          remediation: { ...remediation, attempts: remediation.attempts + 1, started_at: new Date().toISOString() },
        });
        return;
      case 'give up':
        await this.deps.locks.withLock(node.id, node.uuid, async () => {
          const fresh = await this.deps.nodes.getById(node.id);
          await this.deps.nodes.update(node.id, { extra: { ...fresh.extra, [HOST_LABELS.unhealthy]: 'true' } });
        });
        await this.deps.repo.updateStatus(machine, { remediation: null });
        await this.fail(machine, 'RemediationFailed', step.why);
    }
  }

  /** The machine's host, while it still points at the machine (or, `orFreed`, at nothing). */
  private async hostOf(machine: Machine, { orFreed = false } = {}): Promise<Node | null> {
    if (machine.node_uuid === null) return null;
    const node = await this.deps.nodes.findByUuid(machine.node_uuid);
    if (node === null) return null;
    return node.instance_uuid === machine.uuid || (orFreed && node.instance_uuid === null) ? node : null;
  }

  private async fail(machine: Machine, reason: string, message: string): Promise<void> {
    const fresh = await this.deps.repo.getById(machine.id);
    await this.deps.repo.updateStatus(fresh, {
      phase: 'failed',
      ready: false,
      failure_reason: reason,
      failure_message: message,
    });
    this.deps.log.info({ machine: machine.name, reason, message }, 'machine failed');
  }
}

/** The host's extra labelled with the cluster and role the machine served (role: spec.role, else the host's `role` label). */
function reuseLabels(machine: Machine, extra: JsonObject): JsonObject {
  const role = machine.spec.role ?? (typeof extra.role === 'string' ? extra.role : null);
  const labelled: JsonObject = { ...extra, [HOST_LABELS.lastCluster]: machine.spec.cluster };
  if (role !== null) labelled[HOST_LABELS.lastRole] = role;
  else delete labelled[HOST_LABELS.lastRole];
  return labelled;
}

/** A refusal that passes: the node locked for a moment (409), or no free conductor worker (503). */
function isTransient(err: unknown): boolean {
  return err instanceof AnvilError && (err.kind === 'conflict' || err.kind === 'temporary');
}
