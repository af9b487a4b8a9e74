export { openDatabase, redactUrl, DatabaseUrlError, type Database, type Engine } from './connection.js';
export { migrateToLatest } from './migrate.js';
export { uniqueViolationColumn, uniqueViolationError } from './unique-violation.js';
export { isForeignKeyViolation } from './foreign-key-violation.js';
export { listPage, type PageRequest, type SortDir } from './keyset.js';
export * as col from './columns.js';
export { insertRecord, rowCodec, type Columns, type RowCodec } from './row-codec.js';
export { isPostgres } from './engine.js';
export { deleteReturning } from './delete-returning.js';
