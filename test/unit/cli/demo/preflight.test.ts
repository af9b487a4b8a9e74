import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileLimit } from '../../../../cli/demo/preflight.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function limits(openFiles: string): string {
  const file = path.join(dir, `limits-${Math.random()}`);
  writeFileSync(
    file,
    [
      'Limit                     Soft Limit           Hard Limit           Units',
      'Max processes             63704                63704                processes',
      `Max open files            ${openFiles}                 processes`,
      'Max locked memory         8388608              8388608              bytes',
    ].join('\n'),
  );
  return file;
}

describe("the demo's open-file check", () => {
  it('reads the soft limit, none where it is unlimited or cannot be read', () => {
    expect(openFileLimit(limits('1024                 524288'))).toBe(1024);
    expect(openFileLimit(limits('unlimited            unlimited'))).toBeNull();
    expect(openFileLimit(path.join(dir, 'missing'))).toBeNull();
  });
});
