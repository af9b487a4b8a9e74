import Table from 'cli-table3';
import { yamlModule } from './yaml-module.js';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A column of a list: its heading and how a row shows in it. */
export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/**
 * Everything a command prints as its answer goes through here: a table for
 * people, or the API's own objects as JSON or YAML for scripts.
 */
export class Printer {
  constructor(
    readonly format: OutputFormat,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

  /** Rows under headings; JSON/YAML print `raw` (default: the rows). */
  list<T>(rows: readonly T[], columns: readonly Column<T>[], raw: unknown = rows): void {
    if (this.format !== 'table') return this.data(raw);
    const table = newTable(columns.map((c) => c.header));
    for (const row of rows) table.push(columns.map((c) => cell(c.value(row))));
    this.out.write(`${table.toString()}\n`);
  }

  /** One object as Field/Value rows; JSON/YAML print `raw` (default: the object). */
  record(record: Readonly<Record<string, unknown>>, raw: unknown = record): void {
    if (this.format !== 'table') return this.data(raw);
    const table = newTable(['Field', 'Value']);
    for (const key of Object.keys(record).sort()) table.push([key, cell(record[key])]);
    this.out.write(`${table.toString()}\n`);
  }

  /** A sentence for people; in JSON/YAML the `raw` object instead, so scripts always get data. */
  message(text: string, raw: unknown): void {
    if (this.format !== 'table') return this.data(raw);
    this.out.write(`${text}\n`);
  }

  data(value: unknown): void {
    this.out.write(
      this.format === 'yaml' ? yamlModule().stringify(value ?? null) : `${JSON.stringify(value ?? null, null, 2)}\n`,
    );
  }
}

function newTable(head: string[]): Table.Table {
  // No colours: tables are read in logs and pasted into tickets as often as on terminals.
  return new Table({ head, style: { head: [], border: [], compact: true }, wordWrap: true, colWidths: [] });
}

/** How a value reads in a table cell: nested objects as compact JSON, nothing as blank. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
