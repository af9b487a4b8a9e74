import type { Knex } from 'knex';
import { col, type PageRequest } from '../db/index.js';
import { NotFound } from '../errors.js';

/** A row of the conductors table (migration 005). */
interface ConductorRow {
  id: number;
  hostname: string;
  conductor_group: string;
  online: boolean;
  heartbeat_at: string;
  created_at: string;
  rpc_url: string | null;
}

export interface LiveConductor {
  hostname: string;
  group: string;
}

/** A conductor as the API lists it, the dead ones included. */
export interface ConductorRecord {
  hostname: string;
  group: string;
  /** Online and heartbeating within the timeout: what `alive()` selects. */
  alive: boolean;
  created_at: string;
  heartbeat_at: string;
}

/** Ironic's sort keys for conductors; `updated_at` is the last heartbeat. */
export const CONDUCTOR_SORT_KEYS = ['id', 'hostname', 'conductor_group', 'created_at', 'updated_at'] as const;
type ConductorSortKey = (typeof CONDUCTOR_SORT_KEYS)[number];

/** A page of conductors: the marker is the hostname of the last conductor seen, as in Ironic. */
export type ConductorPage = PageRequest<ConductorSortKey>;

const SORT_COLUMNS: Record<ConductorSortKey, Exclude<keyof ConductorRow, 'online'>> = {
  id: 'id',
  hostname: 'hostname',
  conductor_group: 'conductor_group',
  created_at: 'created_at',
  updated_at: 'heartbeat_at',
};

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

  /** `rpcUrl`: where this conductor answers the API's hardware calls. */
  async register(hostname: string, group: string, rpcUrl: string | null): Promise<void> {
    const at = this.now().toISOString();
    const updated = await this.knex('conductors')
      .where({ hostname })
      .update({ conductor_group: group, online: true, heartbeat_at: at, rpc_url: rpcUrl });
    if (updated === 0) {
      await this.knex('conductors')
        .insert({ hostname, conductor_group: group, online: true, heartbeat_at: at, created_at: at, rpc_url: rpcUrl })
        .onConflict('hostname')
        .merge(['conductor_group', 'online', 'heartbeat_at', 'rpc_url']);
    }
  }

  /** Where a conductor answers RPC, as it registered; null when it registered none. */
  async rpcUrlOf(hostname: string): Promise<string | null> {
    return (await this.row(hostname)).rpc_url;
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

  /** One page of every conductor that ever registered, ordered by the sort key then id. */
  async list(page: ConductorPage): Promise<ConductorRecord[]> {
    const column = SORT_COLUMNS[page.sortKey];
    const query = this.knex('conductors').select('*');
    if (page.marker !== undefined) {
      const marker = await this.row(page.marker);
      const cmp = page.sortDir === 'asc' ? '>' : '<';
      // Every sortable column is NOT NULL, so the keyset needs no NULL ordering.
      query.where((w) => {
        w.where(column, cmp, marker[column]).orWhere((x) => {
          x.where(column, marker[column]).andWhere('id', cmp, marker.id);
        });
      });
    }
    const rows: unknown[] = await query.orderBy(column, page.sortDir).orderBy('id', page.sortDir).limit(page.limit);
    const cutoff = this.cutoff();
    return rows.map((r) => toRecord(decodeRow(r), cutoff));
  }

  /** A conductor by hostname, alive or not; NotFound when none registered under it. */
  async get(hostname: string): Promise<ConductorRecord> {
    return toRecord(await this.row(hostname), this.cutoff());
  }

  private async row(hostname: string): Promise<ConductorRow> {
    const row: unknown = await this.knex('conductors').where({ hostname }).first();
    if (!col.isRecord(row)) throw new NotFound(`Conductor ${hostname} could not be found.`);
    return decodeRow(row);
  }

  private cutoff(): string {
    return new Date(this.now().getTime() - this.timeoutSeconds * 1000).toISOString();
  }
}

/** The same test as `alive()`: ISO timestamps in UTC compare as text as they do as times. */
function toRecord(row: ConductorRow, cutoff: string): ConductorRecord {
  return {
    hostname: row.hostname,
    group: row.conductor_group,
    alive: row.online && row.heartbeat_at > cutoff,
    created_at: row.created_at,
    heartbeat_at: row.heartbeat_at,
  };
}

/** PostgreSQL answers booleans, SQLite 0 or 1. */
function decodeRow(row: unknown): ConductorRow {
  if (!col.isRecord(row)) throw new col.RowDecodeError('conductors: a row is not an object');
  return {
    id: col.integer.decode(row.id, 'conductors.id'),
    hostname: col.text.decode(row.hostname, 'conductors.hostname'),
    conductor_group: col.text.decode(row.conductor_group, 'conductors.conductor_group'),
    online: col.boolean.decode(row.online, 'conductors.online'),
    heartbeat_at: col.timestamp.decode(row.heartbeat_at, 'conductors.heartbeat_at'),
    created_at: col.timestamp.decode(row.created_at, 'conductors.created_at'),
    rpc_url: col.nullable(col.text).decode(row.rpc_url, 'conductors.rpc_url'),
  };
}
