export { openDatabase, redactUrl, DatabaseUrlError, type Database, type Engine } from './connection.js';
export { migrateToLatest } from './migrate.js';
export { uniqueViolationColumn } from './unique-violation.js';
export { applyKeyset, type KeysetPage, type SortDir } from './keyset.js';
