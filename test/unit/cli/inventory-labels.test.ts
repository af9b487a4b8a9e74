import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../cli/errors.js';
import { readInventory } from '../../../cli/inventory.js';
import { LABEL_KEY_RULE } from '../../../contract/index.js';
import { machineCreateSchema } from '../../../services/machines/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-cli-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keys = [
  'rack',
  'topology.kubernetes.io/zone',
  '0-slot',
  'k'.repeat(253),
  'k'.repeat(254),
  '-rack',
  'rack 1',
  'zoné',
];

/** The enroll file's refusals for one host labelled `key`. */
function enrollProblems(key: string): readonly string[] {
  const file = path.join(dir, 'labels.yaml');
  writeFileSync(
    file,
    `nodes:\n  - name: n\n    bmc: {address: "ipmi://h", username: u, password: p}\n    labels: {${JSON.stringify(key)}: "v"}\n`,
  );
  try {
    readInventory(file, 'redfish');
    return [];
  } catch (err) {
    if (err instanceof InvalidInput) return err.problems;
    throw err;
  }
}

describe('labels in the enroll file', () => {
  it('accepts exactly the keys a machine selector accepts', () => {
    const selectable = (key: string) =>
      machineCreateSchema.safeParse({
        name: 'w',
        spec: {
          cluster: 'c',
          image: { url: 'http://i/os.img', checksum: 'abc' },
          host_selector: { match_labels: { [key]: 'v' } },
        },
      }).success;
    expect(keys.map((k) => enrollProblems(k).length === 0)).toEqual(keys.map(selectable));
    expect(keys.filter(selectable)).toHaveLength(4);
  });

  it('says which key is refused, and why, at its line', () => {
    expect(enrollProblems('rack 1')).toEqual([
      `${path.join(dir, 'labels.yaml')}:4: node "n": label "rack 1": ${LABEL_KEY_RULE}`,
    ]);
  });
});
