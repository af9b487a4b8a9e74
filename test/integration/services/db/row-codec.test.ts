import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, insertRecord, listPage, openDatabase, rowCodec, type Database } from '../../../../services/db/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';

const postgresUp = await postgresAvailable();

interface Probe {
  id: number;
  uuid: string;
  state: 'on' | 'off';
  flag: boolean;
  maybe: boolean | null;
  doc: Record<string, unknown>;
  tags: string[];
  note: string | null;
  label: string | null;
  created_at: string;
}

const PROBES = rowCodec<Probe>('codec_probe', {
  id: col.generatedId,
  uuid: col.text,
  state: col.oneOf(['on', 'off']),
  flag: col.boolean,
  maybe: col.nullable(col.boolean),
  doc: col.jsonObject,
  tags: col.jsonStringList,
  note: col.nullable(col.text),
  label: col.readOnly(col.nullable(col.text)),
  created_at: col.timestamp,
});

class ProbeNotFound extends Error {}

function probe(i: number, note: string | null): Omit<Probe, 'id'> {
  return {
    uuid: `probe-${i}`,
    state: i % 2 === 0 ? 'on' : 'off',
    flag: i % 2 === 0,
    maybe: i === 1 ? null : true,
    doc: { i, nested: { list: [1, 'two'] } },
    tags: [`T_${i}`],
    note,
    label: 'never written',
    created_at: new Date(Date.UTC(2024, 0, i)).toISOString(),
  };
}

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`typed row mapping [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await db.knex.schema.createTable('codec_probe', (t) => {
        t.increments('id').primary();
        t.string('uuid', 36).notNullable().unique();
        t.string('state', 8).notNullable();
        t.boolean('flag').notNullable();
        t.boolean('maybe').nullable();
        t.text('doc').notNullable();
        t.text('tags').notNullable();
        t.text('note').nullable();
        t.text('label').nullable();
        t.string('created_at', 40).notNullable();
      });
    });
    afterAll(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('reads booleans, JSON documents and NULLs back as they were written', async () => {
      const written = probe(1, null);
      const id = await insertRecord(db.knex, PROBES, written, (err) => err);
      const read = PROBES.fromFirst(await db.knex('codec_probe').where({ id }).first());
      expect(read).toEqual({ ...written, id, label: null });
      expect(() => PROBES.fromFound(undefined, () => new ProbeNotFound('probe-0'))).toThrow(ProbeNotFound);
      expect(
        PROBES.fromFirst(
          await db
            .knex('codec_probe')
            .where({ id: id + 1000 })
            .first(),
        ),
      ).toBeNull();
    });

    it('writes only the fields given, and never a read-only column', () => {
      expect(PROBES.toRow({ id: 7, flag: false, note: null, label: 'x', tags: ['A'] })).toEqual({
        flag: false,
        note: null,
        tags: '["A"]',
      });
    });

    it('refuses a stored value that does not fit its column, naming the column', async () => {
      await db.knex('codec_probe').insert({ ...PROBES.toRow(probe(2, 'x')), doc: '[1, 2]' });
      await db.knex('codec_probe').insert({ ...PROBES.toRow(probe(3, 'y')), state: 'sideways' });
      const badDoc: unknown = await db.knex('codec_probe').where({ uuid: 'probe-2' }).first();
      const badState: unknown = await db.knex('codec_probe').where({ uuid: 'probe-3' }).first();
      expect(() => PROBES.fromRow(badDoc)).toThrow(col.RowDecodeError);
      expect(() => PROBES.fromRow(badDoc)).toThrow(
        /codec_probe\.doc: expected JSON text of an object, got JSON of a list/,
      );
      expect(() => PROBES.fromRow(badState)).toThrow(/codec_probe\.state: expected one of on, off/);
      // A picked codec reads only its own columns: the bad ones do not concern it.
      expect(PROBES.pick('uuid', 'flag').fromRow(badDoc)).toEqual({ uuid: 'probe-2', flag: true });
      await db.knex('codec_probe').whereIn('uuid', ['probe-2', 'probe-3']).delete();
    });

    it('pages by a nullable column after a marker, and refuses a marker that names no row', async () => {
      for (const [i, note] of [
        [4, 'b'],
        [5, null],
        [6, 'a'],
      ] as const) {
        await db.knex('codec_probe').insert(PROBES.toRow(probe(i, note)));
      }
      const page = (marker?: string) =>
        listPage(
          db.knex,
          PROBES,
          db.knex('codec_probe'),
          { sortKey: 'note', sortDir: 'asc', limit: 2, marker },
          ProbeNotFound,
        );
      const first = await page();
      expect(first.map((p) => p.uuid)).toEqual(['probe-1', 'probe-5']);
      const second = await page(first[1]!.uuid);
      expect(second.map((p) => p.uuid)).toEqual(['probe-6', 'probe-4']);
      await expect(page('no-such-probe')).rejects.toThrow(ProbeNotFound);
    });
  });
}
