import type { Knex } from 'knex';

/** A row of the conductors table (migration 005). */
interface ConductorRow {
  id: number;
  hostname: string;
  conductor_group: string;
  online: boolean;
  heartbeat_at: string;
  created_at: string;
}

export interface LiveConductor {
  hostname: string;
  group: string;
}

/**
 * The conductors table: each conductor upserts its row and heartbeats it;
 * a conductor whose heartbeat is older than the timeout is dead to the rest,
 * which then release its locks and take its nodes (DESIGN decision 6).
 */
export class ConductorMembership {
  constructor(
    private readonly knex: Knex,
    private readonly timeoutSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async register(hostname: string, group: string): Promise<void> {
    const at = this.now().toISOString();
    const updated = await this.knex('conductors')
      .where({ hostname })
      .update({ conductor_group: group, online: true, heartbeat_at: at });
    if (updated === 0) {
      await this.knex('conductors')
        .insert({ hostname, conductor_group: group, online: true, heartbeat_at: at, created_at: at })
        .onConflict('hostname')
        .merge(['conductor_group', 'online', 'heartbeat_at']);
    }
  }

  async heartbeat(hostname: string): Promise<void> {
    await this.knex('conductors').where({ hostname }).update({ online: true, heartbeat_at: this.now().toISOString() });
  }

  /** A clean stop: the others need not wait for the timeout. */
  async unregister(hostname: string): Promise<void> {
    await this.knex('conductors').where({ hostname }).update({ online: false });
  }

  async alive(): Promise<LiveConductor[]> {
    const rows = await this.knex<ConductorRow>('conductors')
      .select('hostname', 'conductor_group')
      .where({ online: true })
      .where('heartbeat_at', '>', this.cutoff())
      .orderBy('hostname');
    return rows.map((r) => ({ hostname: r.hostname, group: r.conductor_group }));
  }

  /** Conductors that stopped, cleanly or not. */
  async dead(): Promise<string[]> {
    const rows = await this.knex<ConductorRow>('conductors')
      .select('hostname')
      .where((w) => {
        w.where({ online: false }).orWhere('heartbeat_at', '<=', this.cutoff());
      });
    return rows.map((r) => r.hostname);
  }

  private cutoff(): string {
    return new Date(this.now().getTime() - this.timeoutSeconds * 1000).toISOString();
  }
}
