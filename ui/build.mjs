// Builds the web dashboard: one bundle of ui/src (Preact, TSX) and its page
// and stylesheet, into dist/ui (or --out DIR). `npm run build` runs it after
// tsc; the API serves the folder at /ui/. Nothing is fetched at run time.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string' }, dev: { type: 'boolean' } } });
const out = path.resolve(values.out ?? path.join(here, '..', 'dist', 'ui'));

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(here, 'src', 'main.tsx')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !values.dev,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const file of ['index.html', 'styles.css']) copyFileSync(path.join(here, 'src', file), path.join(out, file));
