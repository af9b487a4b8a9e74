import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type EngineName = 'sqlite' | 'postgres';

export const POSTGRES_URL = process.env.ANVIL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let postgresProbe: Promise<boolean> | null = null;

/**
 * Whether the PostgreSQL suite can run. Where no server answers, one loud
 * line says so and only that suite is skipped; under CI=true it is a failure.
 */
export function postgresAvailable(): Promise<boolean> {
  postgresProbe ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (err) {
      const line = `!!! PostgreSQL at ${POSTGRES_URL} does not answer (${(err as Error).message}): the PostgreSQL suite is SKIPPED`;
      if (process.env.CI === 'true') throw new Error(`${line} — refused under CI=true`, { cause: err });
      console.warn(line);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return postgresProbe;
}

export interface TestDatabase {
  engine: EngineName;
  url: string;
  drop(): Promise<void>;
}

/** A database of its own for one test file: a fresh SQLite file, or a new PostgreSQL database. */
export async function createTestDatabase(engine: EngineName): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-db-'));
    return {
      engine,
      url: `sqlite:${path.join(dir, 'anvil.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `anvil_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    engine,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** The engines every database-backed suite runs on. */
export const ENGINES: readonly EngineName[] = ['sqlite', 'postgres'];
