import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from '../../../../services/db/index.js';

describe('databaseUnavailable', () => {
  it('names what to look at for a database that cannot serve now, on SQLite and PostgreSQL', () => {
    expect(databaseUnavailable({ code: 'SQLITE_FULL' })).toMatch(/disk is full.*ANVIL_DATA_DIR/);
    expect(databaseUnavailable({ code: 'SQLITE_IOERR_WRITE' })).toMatch(/SQLITE_IOERR_WRITE/);
    expect(databaseUnavailable({ code: '53100' })).toMatch(/PostgreSQL's disk is full/);
    expect(databaseUnavailable({ code: '57P01' })).toMatch(/shutting down or starting up/);
    expect(databaseUnavailable({ code: 'ECONNREFUSED' })).toMatch(/does not answer/);
    expect(databaseUnavailable({ name: 'KnexTimeoutError' })).toMatch(/No database connection/);
    expect(databaseUnavailable(new Error('Connection terminated unexpectedly'))).toMatch(/reconnects/);
  });

  it('leaves every other error alone (a bug stays a 500 and is logged as one)', () => {
    for (const err of [
      new TypeError('x is undefined'),
      { code: 'SQLITE_CONSTRAINT_UNIQUE' },
      { code: '23505' },
      null,
      'text',
      42,
    ])
      expect(databaseUnavailable(err)).toBeNull();
  });
});
