import { randomUUID } from 'node:crypto';
import { PoolNotFound, type IpamService } from '../../ipam/index.js';
import type { SortDir } from '../db/index.js';
import { Conflict, InvalidParameterValue, InvalidState } from '../errors.js';
import { isUuidLike, normalizeUuid } from '../nodes/index.js';
import { MachineBeingDeleted, MachineNotFound, MachineSpecConflict } from './errors.js';
import type { Machine, MachineSpec } from './model.js';
import type { MachineFilter, MachineRepository, MachineSortKey } from './repository.js';
import { sameSpec, type MachineCreate, type RemediationRequest } from './spec.js';

/** Where a machine the API wrote is handed to be reconciled at once: this process's conductor, when it runs one. */
export interface MachineHandOff {
  kick(machine: Machine): void;
}

/**
 * The API's side of machines: it writes intent (a spec, a delete, a
 * remediation) and answers at once; the conductor that owns the machine
 * does the work (DESIGN decision 4).
 */
export class MachineService {
  constructor(
    private readonly repo: MachineRepository,
    private readonly ipam: Pick<IpamService, 'getPool'>,
    private readonly local: MachineHandOff | null,
  ) {}

  async get(ident: string): Promise<Machine> {
    const found = isUuidLike(ident)
      ? await this.repo.find('uuid', normalizeUuid(ident))
      : await this.repo.find('name', ident);
    if (!found) throw new MachineNotFound(ident);
    return found;
  }

  list(q: { filter: MachineFilter; sortKey: MachineSortKey; sortDir: SortDir; limit: number; marker?: string }) {
    return this.repo.list(q);
  }

  /**
   * Idempotent by name, as a provider re-creating after a restart expects:
   * the same spec answers the machine that exists (`created: false`), a
   * different one 409. Pools the data template names must exist.
   */
  async create(input: MachineCreate): Promise<{ machine: Machine; created: boolean }> {
    const spec: MachineSpec = input.spec;
    const existing = await this.repo.find('name', input.name);
    if (existing) {
      if (existing.deleting) throw new MachineBeingDeleted(existing.name);
      return { machine: this.same(existing, spec), created: false };
    }
    for (const { pool } of spec.data_template?.networks ?? []) {
      try {
        await this.ipam.getPool(pool);
      } catch (err) {
        if (err instanceof PoolNotFound)
          throw new InvalidParameterValue(`The data template names a missing pool: ${pool}`);
        throw err;
      }
    }
    let machine: Machine;
    try {
      machine = await this.repo.create({
        uuid: randomUUID(),
        name: input.name,
        spec,
        created_at: new Date().toISOString(),
      });
    } catch (err) {
      // Another create of the same name won the race: answer as if it came first.
      const raced = err instanceof Conflict ? await this.repo.find('name', input.name) : null;
      if (raced === null) throw err;
      return { machine: this.same(raced, spec), created: false };
    }
    this.local?.kick(machine);
    return { machine, created: true };
  }

  private same(existing: Machine, spec: MachineSpec): Machine {
    if (!sameSpec(existing.spec, spec)) throw new MachineSpecConflict(existing.name);
    return existing;
  }

  /** Pauses or resumes reconciliation (CAPI's pivot/move). */
  async setPaused(ident: string, paused: boolean): Promise<Machine> {
    const machine = await this.get(ident);
    const updated = await this.repo.updateSpec(machine.id, { ...machine.spec, paused });
    if (!paused) this.local?.kick(updated);
    return updated;
  }

  /** Accepts the delete; the conductor deprovisions and removes the machine after. */
  async delete(ident: string): Promise<Machine> {
    const machine = await this.get(ident);
    const marked = machine.deleting ? machine : await this.repo.markDeleting(machine.id);
    this.local?.kick(marked);
    return marked;
  }

  async remediate(ident: string, req: RemediationRequest): Promise<Machine> {
    const machine = await this.get(ident);
    if (machine.phase !== 'provisioned' || machine.deleting) {
      throw new InvalidState(
        `Machine ${machine.name} can be remediated only while provisioned, but it is ${machine.deleting ? 'being deleted' : machine.phase}.`,
      );
    }
    if (machine.remediation !== null) return machine;
    const updated = await this.repo.updateStatus(machine, {
      remediation: { ...req, attempts: 0, started_at: null },
    });
    this.local?.kick(updated);
    return updated;
  }
}
