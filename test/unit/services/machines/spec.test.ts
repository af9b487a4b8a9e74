import { describe, expect, it } from 'vitest';
import { machineCreateSchema } from '../../../../services/machines/index.js';
import { sameSpec } from '../../../../services/machines/spec.js';

const image = { url: 'http://images.example/os.img', checksum: 'abc', checksum_type: 'sha256' };

function parse(body: unknown) {
  return machineCreateSchema.safeParse(body);
}

function firstMessage(body: unknown): string {
  const result = parse(body);
  expect(result.success).toBe(false);
  return result.success ? '' : result.error.issues[0]!.message;
}

describe('machine spec validation', () => {
  it('fills the defaults of a minimal spec', () => {
    const result = parse({ name: 'w-0', spec: { cluster: 'c', image } });
    expect(result.success).toBe(true);
    if (!result.success) return;
    expect(result.data.spec).toMatchObject({
      host_selector: { match_labels: {}, match_expressions: [], traits: [], resource_class: null },
      failure_domain: null,
      automated_cleaning_mode: 'metadata',
      node_reuse: false,
      paused: false,
      image: { ...image, disk_format: null },
    });
  });

  it('names an unknown selector operator and the ones it knows', () => {
    const message = firstMessage({
      name: 'w-0',
      spec: {
        cluster: 'c',
        image,
        host_selector: { match_expressions: [{ key: 'rack', operator: 'Gt', values: ['1'] }] },
      },
    });
    expect(message).toBe('Unknown selector operator "Gt": expected one of In, NotIn, Exists, DoesNotExist');
  });

  it('refuses In without values and Exists with values', () => {
    const expr = (operator: string, values: string[]) => ({
      name: 'w-0',
      spec: { cluster: 'c', image, host_selector: { match_expressions: [{ key: 'rack', operator, values }] } },
    });
    expect(firstMessage(expr('In', []))).toBe('operator In on "rack" needs at least one value');
    expect(firstMessage(expr('Exists', ['x']))).toBe('operator Exists on "rack" takes no values');
  });

  it('refuses an image without a checksum, a machine with neither or both of image and custom_deploy, and bad names', () => {
    expect(firstMessage({ name: 'w-0', spec: { cluster: 'c', image: { url: image.url } } })).toBe(
      'An image needs a checksum',
    );
    expect(firstMessage({ name: 'w-0', spec: { cluster: 'c' } })).toContain('an image or a custom_deploy');
    expect(
      firstMessage({ name: 'w-0', spec: { cluster: 'c', image, custom_deploy: { method: 'install_os' } } }),
    ).toContain('an image or a custom_deploy');
    for (const name of ['Upper', 'under_score', '-lead', 'trail-', '']) {
      expect(firstMessage({ name, spec: { cluster: 'c', image } })).toContain('DNS name');
    }
  });

  it('refuses unknown fields and cleaning modes', () => {
    expect(parse({ name: 'w-0', spec: { cluster: 'c', image, colour: 'red' } }).success).toBe(false);
    expect(parse({ name: 'w-0', spec: { cluster: 'c', image, automated_cleaning_mode: 'full' } }).success).toBe(false);
  });

  it('compares specs whatever their key order, and ignores paused', () => {
    const a = parse({ name: 'w', spec: { cluster: 'c', image, host_selector: { match_labels: { a: '1', b: '2' } } } });
    const b = parse({
      name: 'w',
      spec: { paused: true, host_selector: { match_labels: { b: '2', a: '1' } }, image, cluster: 'c' },
    });
    const c = parse({ name: 'w', spec: { cluster: 'other', image } });
    if (!a.success || !b.success || !c.success) throw new Error('fixtures parse');
    expect(sameSpec(a.data.spec, b.data.spec)).toBe(true);
    expect(sameSpec(a.data.spec, c.data.spec)).toBe(false);
  });
});
