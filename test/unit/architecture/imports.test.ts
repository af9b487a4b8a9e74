import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The shape of the tree (DESIGN §2), checked on every import of the source
 * folders: dependencies point one way, and a folder is entered only through
 * its index.ts. Tests and benchmarks may import anything.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');

/** Which top-level folders each may import, besides itself. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  server: ['api', 'services', 'bmc-drivers', 'pxe', 'ipam', 'contract'],
  api: ['services', 'ipam', 'contract'],
  services: ['bmc-drivers', 'pxe', 'ipam', 'contract'],
  'bmc-drivers': [],
  pxe: [],
  ipam: [],
  sim: [],
  contract: [],
  cli: ['contract'],
  // The dashboard runs in a browser: it reaches Anvil over HTTP only.
  ui: [],
};

/** `anvil serve` starts the server in its process and `token create --bootstrap` writes its database: they load them (lazily). */
const CLI_LOCAL = ['cli/commands/serve.ts', 'cli/commands/token-bootstrap.ts'];
const CLI_LOCAL_MAY_IMPORT = ['server', 'services'];

interface Import {
  file: string;
  specifier: string;
  /** The imported file, relative to the root. */
  target: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(ROOT, rel)).isDirectory()) return sourceFiles(rel);
    return name.endsWith('.ts') || name.endsWith('.tsx') ? [rel] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.[^']+)'/gm;

function importsOf(file: string): Import[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(SPECIFIER)].map((m) => {
    const specifier = m[1]!;
    const target = path.normalize(path.join(path.dirname(file), specifier)).replace(/\.js$/, '.ts');
    return { file, specifier, target };
  });
}

/**
 * The folder a file is encapsulated in: `services/<x>` or `pxe/<x>` for their
 * sub-folders, else its top-level folder. A file directly in services/ is a
 * module of its own, and so is one directly in pxe/ for pxe's own sub-folders
 * (what they share: the backend interface, file confinement).
 */
function unitOf(file: string, importer: string): string {
  const parts = file.split(path.sep);
  const top = parts[0]!;
  if ((top === 'services' || top === 'pxe') && parts.length > 2) return `${top}/${parts[1]}`;
  if (top === 'services' || (top === 'pxe' && importer.startsWith(`pxe${path.sep}`))) return file;
  return top;
}

const all = Object.keys(MAY_IMPORT).flatMap((dir) => sourceFiles(dir).flatMap(importsOf));

describe('the shape of the tree', () => {
  it('reads some imports (the scan itself works)', () => {
    expect(all.length).toBeGreaterThan(500);
    expect(all.some((i) => i.target === path.join('services', 'errors.ts'))).toBe(true);
  });

  it('points dependencies one way: api → services → (bmc-drivers, pxe, ipam); sim and cli stand apart', () => {
    const wrong = all.filter((i) => {
      const from = i.file.split(path.sep)[0]!;
      const to = i.target.split(path.sep)[0]!;
      if (from === to) return false;
      const allowed = CLI_LOCAL.includes(i.file) ? [...MAY_IMPORT.cli!, ...CLI_LOCAL_MAY_IMPORT] : MAY_IMPORT[from]!;
      return !allowed.includes(to);
    });
    expect(wrong.map((i) => `${i.file} imports ${i.specifier}`)).toEqual([]);
  });

  it('enters another folder only through its index.ts', () => {
    const deep = all.filter((i) => {
      const unit = unitOf(i.target, i.file);
      if (unit === unitOf(i.file, i.file) || unit === i.target) return false;
      return i.target !== path.join(unit, 'index.ts');
    });
    expect(deep.map((i) => `${i.file} imports ${i.specifier}`)).toEqual([]);
  });
});
