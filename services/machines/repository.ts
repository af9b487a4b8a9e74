import type { Knex } from 'knex';
import { col, listPage, rowCodec, uniqueViolationError, type PageRequest } from '../db/index.js';
import { Conflict } from '../errors.js';
import { ChangeRecorder, nodeChanges } from '../feed/index.js';
import { MachineNotFound } from './errors.js';
import {
  MACHINE_PHASES,
  providerIdOf,
  type Machine,
  type MachinePhase,
  type MachineSpec,
  type Remediation,
} from './model.js';

export interface MachineFilter {
  cluster?: string;
  phase?: MachinePhase;
}

export const MACHINE_SORT_KEYS = ['id', 'uuid', 'name', 'cluster', 'phase', 'created_at', 'updated_at'] as const;
export type MachineSortKey = (typeof MACHINE_SORT_KEYS)[number];

/** What the reconciler writes about a machine; the spec and `deleting` are the API's. */
export type MachineStatus = Partial<
  Pick<Machine, 'phase' | 'addresses' | 'ready' | 'failure_reason' | 'failure_message' | 'remediation'>
>;

type NewMachine = Pick<Machine, 'uuid' | 'name' | 'spec' | 'created_at'>;

/** A free host as the reconciler weighs it: its labels and traits live in these, its deploy interfaces come with its driver. */
export interface HostCandidate {
  id: number;
  uuid: string;
  name: string | null;
  driver: string;
  extra: Record<string, unknown>;
  traits: string[];
}

/** A claim's outcome: the host is the machine's, locked for a moment, gone to another, or the machine stopped waiting. */
export type HostClaim = 'claimed' | 'busy' | 'taken' | 'gone';

const isSpec = (v: unknown): v is MachineSpec => col.isRecord(v) && typeof v.cluster === 'string';
const isAddresses = (v: unknown): v is Machine['addresses'] =>
  Array.isArray(v) && v.every((a) => col.isRecord(a) && typeof a.type === 'string' && typeof a.address === 'string');
const isRemediation = (v: unknown): v is Remediation => col.isRecord(v) && v.strategy === 'reboot';

const MACHINES = rowCodec<Machine>('machines', {
  id: col.generatedId,
  uuid: col.text,
  name: col.text,
  spec: col.json('a machine spec', isSpec),
  phase: col.oneOf(MACHINE_PHASES),
  deleting: col.boolean,
  node_uuid: col.nullable(col.text),
  addresses: col.json('a list of addresses', isAddresses),
  ready: col.boolean,
  failure_reason: col.nullable(col.text),
  failure_message: col.nullable(col.text),
  phase_times: col.jsonObject,
  remediation: col.nullable(col.json('a remediation', isRemediation)),
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
});
const HOSTS = rowCodec<HostCandidate>('nodes', {
  id: col.integer,
  uuid: col.text,
  name: col.nullable(col.text),
  driver: col.text,
  extra: col.jsonObject,
  traits: col.jsonStringList,
});

/** Where a host is booting the agent for a machine: deploying it, or undeploying and cleaning it. */
const HOST_WORK_STATES = ['deploying', 'wait call-back', 'deleting', 'cleaning', 'clean wait'];

/** Free hosts one claim weighs: enough to spread and reuse, bounded on a large fleet. */
const FREE_HOST_LIMIT = 1000;

/** Thrown inside a claim's transaction to undo it. */
class ClaimUndone extends Error {}
/** Thrown inside a claim's transaction: the host is another machine's. */
class HostTaken extends Error {}

/**
 * The machines table. Every write of a machine goes through one of the
 * methods marked WRITE, each in its own transaction, so recording the change
 * (the change feed) is one line in each.
 */
export class MachineRepository {
  private readonly changes: ChangeRecorder;

  constructor(private readonly knex: Knex) {
    this.changes = ChangeRecorder.of(knex);
  }

  /**
   * Records the machine as the feed shows it, last in the transaction that
   * wrote it, with the nodes whose instance_uuid that transaction changed.
   */
  private async recordMachine(
    trx: Knex.Transaction,
    action: 'created' | 'updated' | 'deleted',
    machine: Machine,
    nodeIds: number[] = [],
  ): Promise<void> {
    await this.changes.record(trx, [
      { kind: 'machine', action, data: machineView(machine) },
      ...(await nodeChanges(trx, 'updated', nodeIds)),
    ]);
  }

  /** The machine as this transaction sees it. */
  private async read(trx: Knex.Transaction, id: number): Promise<Machine> {
    return MACHINES.fromFound(await trx('machines').where({ id }).first(), () => new MachineNotFound(String(id)));
  }

  /** WRITE: a new machine, `pending`. */
  async create(m: NewMachine): Promise<Machine> {
    const row = {
      ...MACHINES.toRow({
        ...m,
        phase: 'pending',
        deleting: false,
        node_uuid: null,
        addresses: [],
        ready: false,
        failure_reason: null,
        failure_message: null,
        phase_times: { pending: m.created_at },
        remediation: null,
        updated_at: null,
      }),
      // A column of its own, so that a provider's listing by cluster is an index lookup.
      cluster: m.spec.cluster,
    };
    let inserted: unknown;
    try {
      inserted = await this.knex.transaction(async (trx) => {
        const ids: unknown = await trx('machines').insert(row).returning('id');
        const [first] = rowCodec<{ id: number }>('machines', { id: col.generatedId }).fromRows(ids);
        if (first) await this.recordMachine(trx, 'created', await this.read(trx, first.id));
        return ids;
      });
    } catch (err) {
      throw uniqueViolationError(err, 'machines', {
        name: () => new Conflict(`A machine named ${m.name} already exists.`),
        uuid: () => new Conflict(`A machine with UUID ${m.uuid} already exists.`),
      });
    }
    const [first] = rowCodec<{ id: number }>('machines', { id: col.generatedId }).fromRows(inserted);
    if (!first) throw new col.RowDecodeError('machines: the insert answered no id');
    return this.getById(first.id);
  }

  async getById(id: number): Promise<Machine> {
    return MACHINES.fromFound(await this.knex('machines').where({ id }).first(), () => new MachineNotFound(String(id)));
  }

  async find(column: 'uuid' | 'name', value: string): Promise<Machine | null> {
    return MACHINES.fromFirst(await this.knex('machines').where(column, value).first());
  }

  async list(q: PageRequest<MachineSortKey> & { filter: MachineFilter }): Promise<Machine[]> {
    const query = this.knex('machines').select('machines.*');
    if (q.filter.cluster !== undefined) query.where('cluster', q.filter.cluster);
    if (q.filter.phase !== undefined) query.where('phase', q.filter.phase);
    return listPage(this.knex, MACHINES, query, q, MachineNotFound);
  }

  /**
   * Machines the reconciler has something to do for (on their way, leaving,
   * or being remediated), by id after `afterId`, so that a sweep resumes
   * where the last one stopped. Paused machines are skipped; `scannedTo` is
   * the last id looked at (paused or not), null when there was none, and
   * `more` whether rows may follow it.
   */
  async listUnsettled(
    afterId: number,
    limit: number,
  ): Promise<{ machines: Machine[]; scannedTo: number | null; more: boolean }> {
    const rows = MACHINES.fromRows(
      await this.knex('machines')
        .where('id', '>', afterId)
        .where((w) => {
          w.whereIn('phase', ['pending', 'provisioning', 'deprovisioning'])
            .orWhere('deleting', true)
            .orWhereNotNull('remediation');
        })
        .orderBy('id')
        .limit(limit),
    );
    return {
      machines: rows.filter((m) => !m.spec.paused),
      scannedTo: rows.at(-1)?.id ?? null,
      more: rows.length === limit,
    };
  }

  /** WRITE: the provider's spec (a PATCH). */
  async updateSpec(id: number, spec: MachineSpec): Promise<Machine> {
    await this.knex.transaction(async (trx) => {
      await trx('machines')
        .where({ id })
        .update({ ...MACHINES.toRow({ spec }), updated_at: now() });
      await this.recordMachine(trx, 'updated', await this.read(trx, id));
    });
    return this.getById(id);
  }

  /** WRITE: a DELETE was accepted; the reconciler takes the machine down. */
  async markDeleting(id: number): Promise<Machine> {
    await this.knex.transaction(async (trx) => {
      await trx('machines').where({ id }).update({ deleting: true, updated_at: now() });
      await this.recordMachine(trx, 'updated', await this.read(trx, id));
    });
    return this.getById(id);
  }

  /** WRITE: the reconciler's findings; a new phase is stamped with its time. */
  async updateStatus(machine: Machine, status: MachineStatus): Promise<Machine> {
    const at = now();
    const changes: Partial<Machine> = { ...status };
    if (status.phase !== undefined && status.phase !== machine.phase) {
      changes.phase_times = { ...machine.phase_times, [status.phase]: at };
    }
    await this.knex.transaction(async (trx) => {
      await trx('machines')
        .where({ id: machine.id })
        .update({ ...MACHINES.toRow(changes), updated_at: at });
      await this.recordMachine(trx, 'updated', await this.read(trx, machine.id));
    });
    return this.getById(machine.id);
  }

  /**
   * Free hosts (available, powered, out of maintenance, unclaimed) of the
   * class and with the traits, at most `FREE_HOST_LIMIT` of them (as an
   * allocation's candidates); labels are the caller's to weigh.
   */
  async freeHosts(want: { resourceClass: string | null; traits: readonly string[] }): Promise<HostCandidate[]> {
    const query = this.knex('nodes').select('id', 'uuid', 'name', 'driver', 'extra', 'traits');
    whereFree(query);
    if (want.resourceClass !== null) query.where('resource_class', want.resourceClass);
    // Traits are a JSON list of [A-Z0-9_] names: a quoted name matches one element once `_` is escaped for LIKE.
    for (const trait of want.traits) {
      query.whereRaw(`traits like ? escape '\\'`, [`%"${trait.replaceAll('_', '\\_')}"%`]);
    }
    return HOSTS.fromRows(await query.orderBy('id').limit(FREE_HOST_LIMIT));
  }

  /** How many machines' hosts are being deployed or undeployed now (the provisioning limit's count). */
  async hostsAtWork(): Promise<number> {
    const row: unknown = await this.knex('machines')
      .join('nodes', 'nodes.uuid', 'machines.node_uuid')
      .whereIn('nodes.provision_state', HOST_WORK_STATES)
      .count({ n: '*' })
      .first();
    return col.isRecord(row) ? Number(row.n) : 0;
  }

  /**
   * WRITE: gives the host to the machine if it is still free and unlocked:
   * the node's row is the arbiter (a conditional UPDATE setting its
   * instance_uuid to the machine's uuid, as an Ironic allocation does), and
   * the machine takes the host only while it still waits for one, both in
   * one transaction: two conductors racing never give one host twice, nor
   * one machine two hosts.
   */
  async claim(machine: Machine, host: Pick<HostCandidate, 'id' | 'uuid'>): Promise<HostClaim> {
    try {
      return await this.knex.transaction(async (trx) => {
        const update = trx('nodes').where({ id: host.id }).whereNull('reservation');
        whereFree(update);
        let taken: number;
        try {
          taken = await update.update({ instance_uuid: machine.uuid });
        } catch (err) {
          // instance_uuid is unique: another claimer gave this machine a host meanwhile.
          throw uniqueViolationError(err, 'nodes', { instance_uuid: () => new ClaimUndone() });
        }
        if (taken !== 1) {
          const row: unknown = await trx('nodes').select('reservation').where({ id: host.id }).first();
          return col.isRecord(row) && typeof row.reservation === 'string' ? 'busy' : 'taken';
        }
        let moved: number;
        try {
          moved = await trx('machines')
            .where({ id: machine.id, phase: 'pending', deleting: false })
            .whereNull('node_uuid')
            .update({ node_uuid: host.uuid, failure_reason: null, failure_message: null, updated_at: now() });
        } catch (err) {
          // machines.node_uuid is unique: another machine still names this host; it is not free after all.
          throw uniqueViolationError(err, 'machines', { node_uuid: () => new HostTaken() });
        }
        if (moved !== 1) throw new ClaimUndone();
        await this.recordMachine(trx, 'updated', await this.read(trx, machine.id), [host.id]);
        return 'claimed';
      });
    } catch (err) {
      if (err instanceof ClaimUndone) return 'gone';
      if (err instanceof HostTaken) return 'taken';
      throw err;
    }
  }

  /** WRITE: the machine is gone; a host still pointing at it is freed in the same transaction. */
  async remove(machine: Machine): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const held = await this.heldNodeIds(trx, machine);
      const last = await this.read(trx, machine.id);
      await trx('nodes').where({ instance_uuid: machine.uuid }).update({ instance_uuid: null });
      await trx('machines').where({ id: machine.id }).delete();
      await this.recordMachine(trx, 'deleted', last, held);
    });
  }

  /** The nodes whose instance_uuid names the machine. */
  private async heldNodeIds(trx: Knex.Transaction, machine: Machine): Promise<number[]> {
    const rows: unknown[] = await trx('nodes').select('id').where({ instance_uuid: machine.uuid });
    return rowCodec<{ id: number }>('nodes', { id: col.integer })
      .fromRows(rows)
      .map((r) => r.id);
  }
}

/** A host no one holds: available, powered, out of maintenance, with no instance or allocation. */
function whereFree(query: Knex.QueryBuilder): void {
  query
    .where({ provision_state: 'available', maintenance: false })
    .whereNotNull('power_state')
    .whereNull('instance_uuid')
    .whereNull('allocation_uuid')
    // A machine that is still letting the host go (its row names it until then) holds it too.
    .whereNotExists(function holdingMachine(this: Knex.QueryBuilder) {
      void this.select(1).from('machines').whereRaw('machines.node_uuid = nodes.uuid');
    });
}

function now(): string {
  return new Date().toISOString();
}

/** A machine as the change feed shows it: what a Cluster API provider follows. */
function machineView(m: Machine): { uuid: string } & Record<string, unknown> {
  return {
    uuid: m.uuid,
    name: m.name,
    cluster: m.spec.cluster,
    phase: m.phase,
    deleting: m.deleting,
    paused: m.spec.paused === true,
    node_uuid: m.node_uuid,
    provider_id: m.node_uuid === null ? null : providerIdOf(m.node_uuid),
    ready: m.ready,
    addresses: m.addresses,
    failure_reason: m.failure_reason,
    failure_message: m.failure_message,
    updated_at: m.updated_at,
  };
}
