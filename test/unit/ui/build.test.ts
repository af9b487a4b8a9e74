import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('the dashboard build (node ui/build.mjs)', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'anvil-ui-build-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes one self-contained bundle, the page and the stylesheet: nothing is fetched from elsewhere at run time', async () => {
    await run(process.execPath, ['ui/build.mjs', '--out', out]);
    for (const file of ['index.html', 'app.js', 'styles.css'])
      expect(existsSync(path.join(out, file)), file).toBe(true);
    const page = readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(page).toContain('src="app.js"');
    const bundle = readFileSync(path.join(out, 'app.js'), 'utf8');
    // Bundled, not imported: no bare module specifier and no absolute URL is left for the browser to load.
    expect(bundle).not.toMatch(/\bfrom\s*["'](?![./])/);
    expect(`${page}${bundle}`).not.toMatch(/(src|href)=["']https?:/);
  }, 60_000);
});
