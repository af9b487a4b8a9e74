import { describe, expect, it } from 'vitest';
import { LABEL_KEY, LABEL_KEY_RULE } from '../../../../services/labels/index.js';
import { machineCreateSchema } from '../../../../services/machines/index.js';

const accepted = ['rack', 'failure_domain', 'topology.kubernetes.io/zone', 'R12', '0-slot', 'k'.repeat(253)];
const refused = ['', '-rack', '.hidden', 'rack 1', 'rack=r1', 'rack:1', 'zoné', 'k'.repeat(254)];

describe('label keys', () => {
  it('accepts letters, digits and ._/- from a letter or digit, up to 253', () => {
    expect(accepted.filter((k) => !LABEL_KEY.test(k))).toEqual([]);
    expect(refused.filter((k) => LABEL_KEY.test(k))).toEqual([]);
  });

  it('is what a machine selector accepts, with the rule as the reason', () => {
    const withKey = (key: string) =>
      machineCreateSchema.safeParse({
        name: 'w',
        spec: {
          cluster: 'c',
          image: { url: 'http://i/os.img', checksum: 'abc' },
          host_selector: { match_labels: { [key]: 'v' }, match_expressions: [{ key, operator: 'Exists' }] },
        },
      });
    for (const key of accepted) expect(withKey(key).success, key).toBe(true);
    for (const key of refused) {
      const result = withKey(key);
      expect(result.success, key).toBe(false);
      expect(result.error?.issues.map((i) => i.message)).toEqual([LABEL_KEY_RULE, LABEL_KEY_RULE]);
    }
  });
});
