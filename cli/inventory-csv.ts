import type { RawInventory, RawNode } from './inventory-source.js';

/** Plain columns and where each goes in a node; `extra.KEY`, `labels.KEY`, `properties.KEY`, `driver_info.KEY`, `instance_info.KEY` nest. */
const PLAIN_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  name: ['name'],
  bmc_address: ['bmc', 'address'],
  bmc_username: ['bmc', 'username'],
  bmc_password: ['bmc', 'password'],
  macs: ['macs'],
  resource_class: ['resource_class'],
  automated_clean: ['automated_clean'],
};
const NESTED = new Set(['extra', 'labels', 'properties', 'driver_info', 'instance_info']);

interface Record_ {
  line: number;
  cells: string[];
}

/**
 * An inventory as CSV (RFC 4180: quoted fields may hold commas, quotes and
 * newlines): a header row, then one node per row, `macs` separated by
 * spaces or semicolons. Each node is located at the line its row starts on.
 */
export function readCsvInventory(text: string): RawInventory {
  const { records, problem } = splitRecords(text);
  if (problem !== null) return { nodes: [], defaults: null, problems: [problem] };
  const nonBlank = records.filter((r) => !(r.cells.length === 1 && r.cells[0]!.trim() === ''));
  const header = nonBlank[0];
  if (header === undefined)
    return {
      nodes: [],
      defaults: null,
      problems: [
        'line 1: the file is empty; expected a header row such as name,bmc_address,bmc_username,bmc_password,macs',
      ],
    };
  const problems: string[] = [];
  const paths: (readonly string[] | null)[] = header.cells.map((raw) => {
    const column = raw.trim();
    const plain = PLAIN_COLUMNS[column];
    if (plain !== undefined) return plain;
    const dot = column.indexOf('.');
    if (dot > 0 && NESTED.has(column.slice(0, dot)) && dot < column.length - 1)
      return [column.slice(0, dot), column.slice(dot + 1)];
    problems.push(
      `line ${header.line}: unknown column "${column}" (expected ${Object.keys(PLAIN_COLUMNS).join(', ')}, or extra.KEY, labels.KEY, properties.KEY, driver_info.KEY, instance_info.KEY)`,
    );
    return null;
  });
  const nodes: RawNode[] = [];
  for (const record of nonBlank.slice(1)) {
    if (record.cells.length !== header.cells.length) {
      problems.push(`line ${record.line}: ${record.cells.length} fields where the header has ${header.cells.length}`);
      continue;
    }
    const fields: Record<string, unknown> = {};
    record.cells.forEach((value, i) => {
      const path = paths[i];
      if (path === null || path === undefined || value.trim() === '') return;
      setPath(fields, path, cellValue(path, value.trim()));
    });
    nodes.push({ fields, lineOf: () => record.line });
  }
  return { nodes, defaults: null, problems };
}

function cellValue(path: readonly string[], value: string): unknown {
  if (path[0] === 'macs') return value.split(/[\s;]+/).filter((m) => m !== '');
  if (path[0] === 'automated_clean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = target;
  for (const key of path.slice(0, -1)) {
    at[key] ??= {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = value;
}

/** Records with the line each starts on; a quote left open is reported at the line it opened. */
function splitRecords(text: string): { records: Record_[]; problem: string | null } {
  const records: Record_[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let quoteLine = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      records.push({ line: recordLine, cells });
      cells = [];
      cell = '';
      line++;
      recordLine = line;
    } else {
      cell += c;
    }
  }
  if (quoted) return { records, problem: `line ${quoteLine}: a quoted field is never closed` };
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    records.push({ line: recordLine, cells });
  }
  return { records, problem: null };
}
