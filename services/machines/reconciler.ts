import { ClaimNotFound, IpamError, PoolNotFound, type IpamService } from '../../ipam/index.js';
import { findHardwareType } from '../drivers/index.js';
import { AnvilError, InvalidParameterValue } from '../errors.js';
import type { StoredInventory } from '../inspect/index.js';
import { claimAddressesForNode, networkDataFor, nodeAddresses, nodeClaimName } from '../ipam/index.js';
import type { Logger } from '../logger.js';
import { isActionable, type JsonObject, type Node, type NodeLocks, type NodeRepository } from '../nodes/index.js';
import { chooseHosts, CUSTOM_DEPLOY_INTERFACE, HOST_LABELS } from './host-choice.js';
import type { Machine, MachineSpec } from './model.js';
import { WAITING_FOR_SLOT, type ProvisioningSlots } from './provisioning-slots.js';
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
  /** `instanceUuid`: carried out only while the node's instance_uuid is this one, checked under the lock the request takes. */
  provision(
    node: Node,
    req: {
      verb: 'deploy' | 'delete' | 'abort';
      target: string;
      configdrive?: JsonObject;
      deploySteps?: JsonObject[];
      instanceUuid?: string;
    },
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
  /** Machines' hosts deployed or undeployed at once (ANVIL_MACHINES_PROVISIONING_LIMIT), shared with the worker. */
  slots: ProvisioningSlots;
  log: Logger;
}

const DEPLOY_FAILED = 'deploy failed';
/** Why a machine waits for an operator to fix its host; dropped once the host moves on. */
const HOST_STUCK = 'HostStuck';
/** Where a host is no longer the machine's to undeploy: back in the pool, or taken out of it by an operator. */
const RETURNED_STATES: readonly string[] = ['available', 'manageable', 'enroll'];
/** Where a claimed host waits for an operator before the machine can deploy on it. */
const OUT_OF_POOL_STATES: readonly string[] = ['manageable', 'enroll'];

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
 *                  release addresses, label the host for reuse, restore its
 *                  deploy interface, remove the row
 *
 * A host that cannot go on (a failed undeploy, protected, taken out of the
 * pool, in maintenance) is not retried blindly: the machine records
 * `HostStuck` with what the host says, and goes on by itself once an
 * operator has fixed the host (it is `available` again, or `active` for a
 * machine still provisioning); the reason goes as soon as the host moves on.
 *
 * A paused machine is left alone whatever it asks.
 */
export class MachineReconciler {
  private readonly slots: ProvisioningSlots;

  constructor(private readonly deps: ReconcilerDeps) {
    this.slots = deps.slots;
  }

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
        if (node.maintenance) await this.stuck(machine, hostHeld(node));
        else await this.startDeploy(machine, node);
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
        // deploying, wait call-back...: the conductor is at work, unless an operator holds the host.
        if (OUT_OF_POOL_STATES.includes(node.provision_state) || node.maintenance) {
          await this.stuck(machine, hostHeld(node));
        } else {
          await this.hostMovedOn(machine);
        }
    }
  }

  /**
   * Writes what the deploy needs on the host (image or custom deploy step,
   * deploy interface, addresses) and asks its conductor to deploy with the
   * machine's config drive. Under the node lock the machine and host are
   * read again: a machine being deleted, or a host given back meanwhile (by
   * another conductor while the ring changes), is not deployed. The deploy
   * request itself holds only while the host is still the machine's, checked
   * under the lock it takes once this one is released: a host a user or an
   * allocation took in between is left alone, and the next pass finds the
   * machine's host lost. A refusal the host will not outgrow fails the
   * machine; a lock held for a moment is tried again by the next pass.
   */
  private async startDeploy(machine: Machine, node: Node): Promise<void> {
    const { spec } = machine;
    if (!(await this.slots.mayBeFree())) return this.waitForSlot(machine);
    try {
      const stillOurs = await this.deps.locks.withLock(node.id, node.uuid, async () => {
        const current = await this.deps.repo.find('uuid', machine.uuid);
        const fresh = await this.deps.nodes.getById(node.id);
        if (current === null || current.deleting || fresh.instance_uuid !== machine.uuid) return false;
        await this.deps.nodes.update(node.id, {
          ...deployInterfaceFor(spec, fresh),
          ...(spec.image !== null ? { instance_info: instanceInfoFor(fresh.instance_info, spec.image) } : {}),
        });
        return true;
      });
      if (!stillOurs) return;
      await claimAddressesForNode(
        this.deps.ipam,
        node,
        (spec.data_template?.networks ?? []).map((n) => n.pool),
      );
      const networkData = await networkDataFor(this.deps.ipam, node, await this.deps.ports.listForNode(node.id));
      const steps = customDeployStep(spec);
      const started = await this.slots.take(async () => {
        await this.deps.requests.provision(await this.deps.nodes.getById(node.id), {
          verb: 'deploy',
          target: 'active',
          configdrive: configDriveFor(spec, machine, node, networkData),
          ...(steps.length > 0 ? { deploySteps: steps } : {}),
          instanceUuid: machine.uuid,
        });
      });
      if (!started) return this.waitForSlot(machine);
      await this.hostMovedOn(machine);
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
   * to reach a state that allows it. An undeploy that failed (the host went
   * to `error` after the machine started deprovisioning) is not asked again:
   * the machine records `HostStuck` with the host's last_error, and the
   * operator who fixes the host (undeploys it again, or manages and provides
   * it) lets the machine go on. Once the host is `available` (or taken out of
   * the pool by an operator), the machine's addresses are released, the host
   * is labelled with the cluster and role it served and gets its deploy
   * interface back, and the machine row goes, freeing the host in the same
   * transaction.
   */
  private async tearDown(machine: Machine): Promise<void> {
    // Undeploying clears the host's instance_uuid (as Ironic's tear down does): the host stays this machine's to give back until another takes it.
    const node = await this.hostOf(machine, { orFreed: true });
    if (node === null) {
      // The host is gone or another's: the addresses claimed in its name are still the machine's to release.
      if (machine.node_uuid !== null) await this.releaseAddresses(machine, machine.node_uuid);
      await this.deps.repo.remove(machine);
      return;
    }
    const undeployStarted = machine.phase === 'deprovisioning' ? (machine.phase_times.deprovisioning ?? null) : null;
    if (machine.phase !== 'deprovisioning') {
      machine = await this.deps.repo.updateStatus(machine, { phase: 'deprovisioning', ready: false });
    }
    if (RETURNED_STATES.includes(node.provision_state)) {
      await this.giveBack(machine, node);
      return;
    }
    if (node.provision_state === 'error' && undeployStarted !== null && failedSince(node, undeployStarted)) {
      await this.stuck(machine, `the undeploy failed: ${node.last_error ?? 'the host is in error'}`);
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
        if (!node.provision_state.endsWith('failed')) return this.hostMovedOn(machine);
        await this.stuck(
          machine,
          `the host is in ${node.provision_state}: ${node.last_error ?? 'an operator must return it'}`,
        );
        return;
      }
      if (!(await this.slots.mayBeFree())) return this.waitForSlot(machine);
      await this.deps.locks.withLock(node.id, node.uuid, async () => {
        const fresh = await this.deps.nodes.getById(node.id);
        await this.deps.nodes.update(node.id, {
          automated_clean: machine.spec.automated_cleaning_mode === 'metadata',
          // Labelled before it goes back to the pool, so that node_reuse sees the labels the moment it is free.
          extra: reuseLabels(machine, fresh.extra),
        });
      });
      const started = await this.slots.take(async () => {
        await this.deps.requests.provision(await this.deps.nodes.getById(node.id), {
          verb: 'delete',
          target: 'deleted',
        });
      });
      if (!started) return this.waitForSlot(machine);
      await this.hostMovedOn(machine);
      this.deps.log.info({ machine: machine.name, node_uuid: node.uuid }, 'machine undeploy requested');
    } catch (err) {
      if (isTransient(err)) return;
      if (!(err instanceof AnvilError)) throw err;
      // Protected, in maintenance: refused until an operator changes the host; said, and asked again next sweep.
      await this.stuck(machine, `the host refused the undeploy: ${err.message}`);
    }
  }

  /**
   * Frees the host, under its lock and only while it is still back in the
   * pool: a conductor that raced to deploy it for this machine (while the
   * ring changed) holds the lock or has moved it on, and this pass waits.
   */
  private async giveBack(machine: Machine, node: Node): Promise<void> {
    await this.releaseAddresses(machine, node.uuid);
    try {
      await this.deps.locks.withLock(node.id, node.uuid, async () => {
        const fresh = await this.deps.nodes.getById(node.id);
        if (!RETURNED_STATES.includes(fresh.provision_state)) return;
        if (fresh.instance_uuid !== null && fresh.instance_uuid !== machine.uuid) return;
        // Labels: never undeployed by this machine (it failed before deploying, or an operator took the host back).
        await this.deps.nodes.update(node.id, {
          extra: withoutDeployInterfaceMark(reuseLabels(machine, fresh.extra)),
          ...restoredDeployInterface(fresh),
        });
        await this.deps.repo.remove(machine);
        this.deps.log.info({ machine: machine.name, node_uuid: node.uuid }, 'machine deleted, host freed');
      });
    } catch (err) {
      if (isTransient(err)) return;
      throw err;
    }
  }

  /** Releases the addresses the machine's data template claimed in its host's name. */
  private async releaseAddresses(machine: Machine, nodeUuid: string): Promise<void> {
    for (const { pool } of machine.spec.data_template?.networks ?? []) {
      try {
        await this.deps.ipam.release(pool, nodeClaimName(nodeUuid, pool));
      } catch (err) {
        if (!(err instanceof ClaimNotFound) && !(err instanceof PoolNotFound)) throw err;
      }
    }
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
      case 'reboot': {
        // Recorded first: a conductor that dies right after asking must not ask again without counting.
        const asked = await this.deps.repo.updateStatus(machine, {
          ready: false,
          remediation: { ...remediation, attempts: remediation.attempts + 1, started_at: new Date().toISOString() },
        });
        try {
          await this.deps.requests.setPower(node, 'rebooting', null);
        } catch (err) {
          if (isTransient(err)) {
            // Not asked after all: the next pass asks again, as the same attempt.
            await this.deps.repo.updateStatus(asked, { remediation });
            return;
          }
          if (!(err instanceof AnvilError)) throw err;
          // A reboot the host refuses outright (cleaning, disable_power_off) cannot remediate it.
          await this.deps.repo.updateStatus(asked, { remediation: null });
          await this.fail(machine, 'RemediationFailed', `the host refused the reboot: ${err.message}`);
        }
        return;
      }
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

  /** Says the machine waits for a provisioning slot (once: the message does not change while it waits). */
  private async waitForSlot(machine: Machine): Promise<void> {
    if (machine.failure_reason === WAITING_FOR_SLOT) return;
    await this.deps.repo.updateStatus(machine, {
      failure_reason: WAITING_FOR_SLOT,
      failure_message: `waiting for a provisioning slot: ${this.slots.limit} machines' hosts are being deployed or undeployed (ANVIL_MACHINES_PROVISIONING_LIMIT)`,
    });
  }

  /**
   * Drops a wait's reason once the host is at work for the machine: it got
   * its slot, or an operator fixed it (a stale HostStuck would tell a
   * provider to look at a host that is fine).
   */
  private async hostMovedOn(machine: Machine): Promise<void> {
    if (machine.failure_reason !== WAITING_FOR_SLOT && machine.failure_reason !== HOST_STUCK) return;
    await this.deps.repo.updateStatus(machine, { failure_reason: null, failure_message: null });
  }

  /** Says why the machine cannot go on until an operator fixes its host; the phase stays. */
  private async stuck(machine: Machine, message: string): Promise<void> {
    if (machine.failure_reason === HOST_STUCK && machine.failure_message === message) return;
    await this.deps.repo.updateStatus(machine, { failure_reason: HOST_STUCK, failure_message: message });
    this.deps.log.warn({ machine: machine.name, message }, 'machine waits for its host');
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

/**
 * The deploy interface the machine needs on the host, checked against the
 * host's hardware type as the node API checks a PATCH: `custom-agent` for a
 * custom deploy (refused with the reason when the type has none), `direct`
 * for an image when the type offers it (fake-hardware deploys with `fake`).
 * The interface the host had is kept in its extra, to be restored when the
 * machine gives it back.
 */
function deployInterfaceFor(spec: MachineSpec, node: Node): Partial<Pick<Node, 'deploy_interface' | 'extra'>> {
  const offered = findHardwareType(node.driver)?.interfaces.deploy ?? [];
  const wanted = spec.custom_deploy !== null ? CUSTOM_DEPLOY_INTERFACE : 'direct';
  if (node.deploy_interface === wanted) return {};
  if (!offered.includes(wanted)) {
    if (wanted === 'direct') return {};
    // chooseHosts picks only hosts that offer it: this one changed since it was chosen.
    throw new InvalidParameterValue(
      `The host ${node.uuid} (hardware type ${node.driver}) has no ${CUSTOM_DEPLOY_INTERFACE} deploy interface for a custom deploy. Valid values are: ${offered.join(', ')}.`,
    );
  }
  const kept = typeof node.extra[HOST_LABELS.deployInterface] === 'string';
  return {
    deploy_interface: wanted,
    extra: kept ? node.extra : { ...node.extra, [HOST_LABELS.deployInterface]: node.deploy_interface },
  };
}

/** The deploy interface the host had before a machine changed it, when its type still offers it. */
function restoredDeployInterface(node: Node): Partial<Pick<Node, 'deploy_interface'>> {
  const before = node.extra[HOST_LABELS.deployInterface];
  if (typeof before !== 'string' || before === node.deploy_interface) return {};
  return (findHardwareType(node.driver)?.interfaces.deploy ?? []).includes(before) ? { deploy_interface: before } : {};
}

function withoutDeployInterfaceMark(extra: JsonObject): JsonObject {
  const out = { ...extra };
  delete out[HOST_LABELS.deployInterface];
  return out;
}

/** Why an operator holds the host: taken out of the pool, or in maintenance. */
function hostHeld(node: Node): string {
  if (node.maintenance)
    return `the host is in maintenance${node.maintenance_reason ? `: ${node.maintenance_reason}` : ''}`;
  return `the host is ${node.provision_state}; an operator must make it available`;
}

/** Whether the host's last provision state change (to `error`) came after `since`. */
function failedSince(node: Node, since: string): boolean {
  return node.provision_updated_at !== null && Date.parse(node.provision_updated_at) >= Date.parse(since);
}

/** A refusal that passes: the node locked for a moment (409), or no free conductor worker (503). */
function isTransient(err: unknown): boolean {
  return err instanceof AnvilError && (err.kind === 'conflict' || err.kind === 'temporary');
}
