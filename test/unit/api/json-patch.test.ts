import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyPatch, type JsonPatch, type PatchRules } from '../../../api/json-patch.js';
import { jsonObject } from '../../../api/validation.js';
import { AnvilError } from '../../../services/errors.js';

const PASSWORD = 'pw-Aa1-redfish';
const PULL_SECRET = 'pull-Bb2-secret';
const CONFIGDRIVE = 'H4sICconfigdrive';
const IMAGE_URL = 'http://swift/tmp?temp_url_sig=Cc3';
const USER_DATA = '#cloud-config Dd4';
const NESTED_TOKEN = 'tok-Ee5-nested';
const SECRETS = [PASSWORD, PULL_SECRET, CONFIGDRIVE, IMAGE_URL, USER_DATA, NESTED_TOKEN];

const schema = z
  .object({
    name: z.string().max(40).nullable(),
    chassis_uuid: z.uuid().nullable(),
    driver_info: jsonObject,
    instance_info: jsonObject,
    extra: jsonObject,
  })
  .strict();

const rules: PatchRules<typeof schema> = {
  patchable: ['name', 'chassis_uuid', 'driver_info', 'instance_info', 'extra'],
  versions: { name: 1, chassis_uuid: 1, driver_info: 1, instance_info: 1, extra: 1, uuid: 1 },
  mandatory: [],
  removedValue: (f) => (f === 'name' || f === 'chassis_uuid' ? null : {}),
  secrets: { driver_info: [], instance_info: ['image_url'] },
  schema,
  what: 'node',
};

function node() {
  return {
    name: 'n1',
    chassis_uuid: null,
    driver_info: {
      redfish_address: 'http://bmc',
      redfish_password: PASSWORD,
      auth: { nested: { session_token: NESTED_TOKEN } },
    },
    instance_info: {
      image_source: 'http://img',
      image_pull_secret: PULL_SECRET,
      configdrive: { user_data: USER_DATA },
      image_url: IMAGE_URL,
      disks: [{ size: 1 }, { encryption_key: CONFIGDRIVE }],
    },
    extra: { password: 'not-a-secret-in-extra' },
  };
}

function patch(ops: unknown[], doc: Record<string, unknown> = node(), r: PatchRules<z.ZodType> = rules) {
  return applyPatch(doc, ops as JsonPatch, r, 95) as ReturnType<typeof node>;
}

/** The error a patch fails with; it must be one of ours, a 400, and show no secret. */
function refusal(ops: unknown[], doc?: Record<string, unknown>): string {
  let caught: unknown;
  try {
    patch(ops, doc);
  } catch (err) {
    caught = err;
  }
  expect(caught, JSON.stringify(ops)).toBeInstanceOf(AnvilError);
  const err = caught as AnvilError;
  expect(err.kind).toBe('invalid');
  for (const secret of SECRETS) expect(err.message).not.toContain(secret);
  return err.message;
}

describe('JSON Patch: secrets are never read', () => {
  const secretPaths = [
    '/driver_info/redfish_password',
    '/driver_info/auth/nested/session_token',
    '/instance_info/image_pull_secret',
    '/instance_info/configdrive',
    '/instance_info/image_url',
    '/instance_info/disks/1/encryption_key',
  ];

  it.each(secretPaths)('refuses to copy or move from %s, naming the path', (from) => {
    for (const op of ['copy', 'move']) {
      for (const path of ['/extra/leak', '/name', '/chassis_uuid', '/driver_info/renamed']) {
        expect(refusal([{ op, from, path }])).toBe(
          `Cannot ${op} from ${from}: it holds a secret. A secret can only be added, replaced or removed whole.`,
        );
      }
    }
  });

  it.each(secretPaths)('refuses a test of %s whether or not the value matches (no oracle)', (path) => {
    const value = JSON.stringify(node()).length; // any value: the answer must not depend on it
    const right = path
      .split('/')
      .slice(1)
      .reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], node());
    const withRight = refusal([{ op: 'test', path, value: right }]);
    const withWrong = refusal([{ op: 'test', path, value }]);
    expect(withRight).toBe(withWrong);
    expect(withRight).toContain(`Cannot test ${path}: it holds a secret.`);
  });

  it('refuses to read inside a secret: a character of a password, a key of a config drive', () => {
    expect(refusal([{ op: 'copy', from: '/driver_info/redfish_password/0', path: '/extra/c' }])).toContain(
      'Cannot copy from /driver_info/redfish_password/0: it is inside a secret.',
    );
    expect(refusal([{ op: 'move', from: '/instance_info/configdrive/user_data', path: '/extra/u' }])).toContain(
      'it is inside a secret',
    );
    expect(refusal([{ op: 'test', path: '/instance_info/configdrive/user_data', value: USER_DATA }])).toContain(
      'Cannot test /instance_info/configdrive/user_data: it is inside a secret.',
    );
  });

  it('refuses to copy, move or test an object that holds a secret, at any depth', () => {
    for (const from of [
      '/driver_info',
      '/driver_info/auth',
      '/instance_info',
      '/instance_info/disks',
      '/instance_info/disks/1',
    ]) {
      expect(refusal([{ op: 'copy', from, path: '/extra/leak' }])).toContain(
        `Cannot copy from ${from}: it holds a secret.`,
      );
      expect(refusal([{ op: 'move', from, path: '/extra/leak' }])).toContain(
        `Cannot move from ${from}: it holds a secret.`,
      );
      expect(refusal([{ op: 'test', path: from, value: {} }])).toContain(`Cannot test ${from}: it holds a secret.`);
    }
  });

  it('judges an object by what it holds when the operation runs, after the earlier ones', () => {
    // The secret is disks/1 now; after the add it is disks/2, and disks/1 is the new empty object.
    expect(
      patch([{ op: 'copy', from: '/instance_info/disks/1', path: '/extra/d' }], {
        ...node(),
        instance_info: { disks: [{}, {}] },
      }).extra,
    ).toMatchObject({ d: {} });
    const shifted = refusal([
      { op: 'add', path: '/instance_info/disks/0', value: {} },
      { op: 'copy', from: '/instance_info/disks/2', path: '/extra/leak' },
    ]);
    expect(shifted).toContain('Cannot copy from /instance_info/disks/2: it holds a secret.');
    // An object that came to hold a secret during the patch is refused too.
    expect(
      refusal([
        { op: 'add', path: '/driver_info/box', value: {} },
        { op: 'add', path: '/driver_info/box/ipmi_password', value: 'x' },
        { op: 'copy', from: '/driver_info/box', path: '/extra/leak' },
      ]),
    ).toContain('Cannot copy from /driver_info/box: it holds a secret.');
  });

  it('refuses to write inside a secret: a secret is set, replaced or removed whole', () => {
    expect(refusal([{ op: 'add', path: '/instance_info/configdrive/meta_data', value: {} }])).toBe(
      'Cannot add /instance_info/configdrive/meta_data: it is inside a secret. A secret can only be added, replaced or removed whole.',
    );
    expect(refusal([{ op: 'remove', path: '/instance_info/configdrive/user_data' }])).toContain('inside a secret');
    expect(refusal([{ op: 'replace', path: '/driver_info/redfish_password/0', value: 'x' }])).toContain(
      'inside a secret',
    );
    expect(
      refusal([{ op: 'copy', from: '/driver_info/redfish_address', path: '/driver_info/redfish_password/x' }]),
    ).toContain('Cannot copy to /driver_info/redfish_password/x: it is inside a secret.');
  });

  it('adds, replaces and removes secrets whole, and overwrites one with a copy of a plain value', () => {
    const out = patch([
      { op: 'replace', path: '/driver_info/redfish_password', value: 'new-pw' },
      { op: 'add', path: '/driver_info/ipmi_password', value: 'ipmi-pw' },
      { op: 'remove', path: '/instance_info/image_pull_secret' },
      { op: 'replace', path: '/instance_info/configdrive', value: 'http://cd' },
      { op: 'copy', from: '/driver_info/redfish_address', path: '/instance_info/image_url' },
    ]);
    expect(out.driver_info).toMatchObject({ redfish_password: 'new-pw', ipmi_password: 'ipmi-pw' });
    expect(out.instance_info).not.toHaveProperty('image_pull_secret');
    expect(out.instance_info).toMatchObject({ configdrive: 'http://cd', image_url: 'http://bmc' });
  });

  it('still copies, moves and tests what holds no secret', () => {
    const out = patch([
      { op: 'test', path: '/driver_info/redfish_address', value: 'http://bmc' },
      { op: 'copy', from: '/driver_info/redfish_address', path: '/extra/bmc' },
      { op: 'move', from: '/instance_info/image_source', path: '/extra/image' },
      { op: 'copy', from: '/instance_info/disks/0', path: '/extra/disk' },
    ]);
    expect(out.extra).toMatchObject({ bmc: 'http://bmc', image: 'http://img', disk: { size: 1 } });
    expect(refusal([{ op: 'test', path: '/driver_info/redfish_address', value: 'nope' }])).toBe(
      "Couldn't apply patch: test /driver_info/redfish_address: the test failed",
    );
  });

  it('treats sensitive keys as secrets only where the resource keeps secrets', () => {
    // extra is neither sealed nor masked: its "password" is plain data, as for a resource without secrets.
    expect(patch([{ op: 'copy', from: '/extra/password', path: '/extra/copy' }]).extra).toEqual({
      password: 'not-a-secret-in-extra',
      copy: 'not-a-secret-in-extra',
    });
    const noSecrets = { ...rules, secrets: {} };
    expect(patch([{ op: 'copy', from: '/driver_info', path: '/extra/di' }], node(), noSecrets).extra).toHaveProperty(
      'di',
    );
  });

  it('leaves the given document untouched', () => {
    const doc = node();
    patch([{ op: 'replace', path: '/driver_info/redfish_password', value: 'new' }], doc);
    expect(doc).toEqual(node());
  });
});

describe('JSON Patch: errors never show a value', () => {
  it("rebuilds fast-json-patch's errors, which carry the operation's value and the whole document", () => {
    const message = refusal([
      { op: 'replace', path: '/driver_info/redfish_password', value: 'brand-new-secret' },
      { op: 'remove', path: '/extra/missing' },
    ]);
    expect(message).toBe("Couldn't apply patch: remove /extra/missing: the path does not exist");
    const failing = refusal([{ op: 'add', path: '/driver_info/nope/ipmi_password', value: 'brand-new-secret' }]);
    expect(failing).toBe("Couldn't apply patch: add /driver_info/nope/ipmi_password: the path does not exist");
    expect(failing).not.toContain('brand-new-secret');
    expect(refusal([{ op: 'add', path: '/extra/__proto__/x', value: PASSWORD }])).toBe(
      "Couldn't apply patch: add /extra/__proto__/x: a path may not go through __proto__ or constructor/prototype",
    );
  });

  it('masks secrets in the value a validation error shows', () => {
    const inName = refusal([{ op: 'replace', path: '/name', value: { redfish_password: 'client-secret-1' } }]);
    expect(inName).toContain('Invalid input for field/attribute name. Value: {"redfish_password":"******"}');
    expect(inName).not.toContain('client-secret-1');
    const notAnObject = refusal([
      { op: 'replace', path: '/driver_info', value: [{ ipmi_password: 'client-secret-2' }] },
    ]);
    expect(notAnObject).toContain('Value: [{"ipmi_password":"******"}]');
    expect(notAnObject).not.toContain('client-secret-2');
  });

  it("says only that a secret's value has the wrong type when the schema checks the secret itself", () => {
    const strict = z.object({ driver_info: z.looseObject({ redfish_password: z.string() }) });
    const r = { ...rules, patchable: ['driver_info'], schema: strict };
    expect(() =>
      patch([{ op: 'add', path: '/driver_info/redfish_password', value: 123456789 }], { driver_info: {} }, r),
    ).toThrow(/^Invalid node: a secret has a value of the wrong type\.$/);
  });
});
