import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { mapSensitive, SecretBox } from '../../../services/secrets/index.js';
import { faultOf, startTestService, type ApiResponse, type TestService } from '../../support/service.js';

// One distinct value per secret, so that any of them showing up anywhere is caught.
const S = {
  redfish: 'Rf-pass-91a7',
  ipmi: 'Ipmi-pass-52c3',
  snmp: 'Snmp-key-88d1',
  nested: 'Nested-tok-17e4',
  pull: 'Pull-secret-63b9',
  configdrive: 'H4sIAConfigDrive-4f2e',
  userData: 'UserData-secret-2d8c',
  rescue: 'Rescue-pass-7a1b',
  imageUrl: 'http://swift/v1/img?temp_url_sig=Sig-0c5e',
  agentToken: 'Agent-token-5b3f',
};
const ALL = Object.values(S);

const DRIVER_INFO = {
  redfish_address: 'http://127.0.0.1:8000',
  redfish_username: 'admin',
  redfish_password: S.redfish,
  ipmi_password: S.ipmi,
  snmp_auth_key: S.snmp,
  nested: { auth_token: S.nested },
};
const INSTANCE_INFO = {
  image_source: 'http://images/u.raw',
  image_pull_secret: S.pull,
  configdrive: S.configdrive,
  rescue_password: S.rescue,
  image_url: S.imageUrl,
};

/** Each secret of the node and its value. */
const SECRET_PATHS: [string, unknown][] = [
  ['/driver_info/redfish_password', S.redfish],
  ['/driver_info/ipmi_password', S.ipmi],
  ['/driver_info/snmp_auth_key', S.snmp],
  ['/driver_info/nested/auth_token', S.nested],
  ['/instance_info/image_pull_secret', S.pull],
  ['/instance_info/configdrive', S.configdrive],
  ['/instance_info/rescue_password', S.rescue],
  ['/instance_info/image_url', S.imageUrl],
];
/** Objects that hold a secret somewhere inside. */
const HOLDERS = ['/driver_info', '/driver_info/nested', '/instance_info'];

function expectRefused(res: ApiResponse, op: unknown, text: string) {
  expect(res.status, `${JSON.stringify(op)} → ${res.text}`).toBe(400);
  // Ironic's error body, whose message names the path and never a value.
  expect(faultOf(res), JSON.stringify(op)).toContain(text);
  for (const secret of ALL) expect(res.text, JSON.stringify(op)).not.toContain(secret);
}

describe('PATCH never reads a secret [sqlite]', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite');
  });
  afterAll(async () => {
    await svc.close();
  });

  async function storedSecrets(name: string) {
    const box = SecretBox.load(null, svc.dataDir);
    const db = openDatabase(svc.db.url);
    try {
      const row = await db.knex('nodes').where({ name }).first();
      // Opened as the repository opens them: every sensitive value, at any depth.
      const open = (column: string) =>
        mapSensitive(JSON.parse(row[column] as string), (v) => box.openValue(v)) as Record<string, unknown>;
      return {
        driver_info: open('driver_info'),
        instance_info: open('instance_info'),
        internal: open('driver_internal_info'),
      };
    } finally {
      await db.close();
    }
  }

  async function createVault(name: string, instanceInfo: Record<string, unknown> = INSTANCE_INFO) {
    const res = await svc.request('POST', '/v1/nodes', {
      driver: 'redfish',
      name,
      driver_info: DRIVER_INFO,
      instance_info: instanceInfo,
    });
    expect(res.status, res.text).toBe(201);
    return res.body.uuid as string;
  }

  it('refuses copy, move and test of every secret and of the objects that hold one, and changes nothing', async () => {
    const uuid = await createVault('vault');
    // The agent token is written by the service itself (at lookup): seal one in as it would.
    const db = openDatabase(svc.db.url);
    try {
      const sealed = SecretBox.load(null, svc.dataDir).sealValue(S.agentToken);
      await db
        .knex('nodes')
        .where({ uuid })
        .update({ driver_internal_info: JSON.stringify({ agent_secret_token: sealed }) });
    } finally {
      await db.close();
    }
    const before = await svc.request('GET', `/v1/nodes/${uuid}`);
    expect(before.body.driver_internal_info).toEqual({ agent_secret_token: '******' });

    const patchWith = (op: Record<string, unknown>) => svc.request('PATCH', `/v1/nodes/${uuid}`, [op]);

    for (const [path, value] of SECRET_PATHS) {
      for (const op of ['copy', 'move']) {
        // To extra, to the name, to a field whose validation would fail, within the same object.
        for (const to of ['/extra/leak', '/name', '/chassis_uuid', '/driver_info/renamed']) {
          const patch = { op, from: path, path: to };
          expectRefused(await patchWith(patch), patch, `Cannot ${op} from ${path}: it holds a secret.`);
        }
      }
      // A test is no oracle: the right and a wrong value get the same answer.
      const right = await patchWith({ op: 'test', path, value });
      const wrong = await patchWith({ op: 'test', path, value: 'not-the-secret' });
      expectRefused(right, { op: 'test', path }, `Cannot test ${path}: it holds a secret.`);
      expect(right.text).toBe(wrong.text);
      // Nor is anything read or written inside a secret, one character at a time.
      const inside = { op: 'copy', from: `${path}/0`, path: '/extra/c' };
      expectRefused(await patchWith(inside), inside, 'it is inside a secret');
      const test = { op: 'test', path: `${path}/0`, value: String(value).charAt(0) };
      expectRefused(await patchWith(test), test, 'it is inside a secret');
    }

    for (const holder of HOLDERS) {
      for (const op of ['copy', 'move']) {
        for (const to of ['/extra/leak', '/name', '/chassis_uuid']) {
          const patch = { op, from: holder, path: to };
          expectRefused(await patchWith(patch), patch, `Cannot ${op} from ${holder}: it holds a secret.`);
        }
      }
      const test = { op: 'test', path: holder, value: {} };
      expectRefused(await patchWith(test), test, `Cannot test ${holder}: it holds a secret.`);
    }

    // driver_internal_info (the agent token) is no patch source at all.
    for (const op of [
      { op: 'copy', from: '/driver_internal_info/agent_secret_token', path: '/extra/leak' },
      { op: 'copy', from: '/driver_internal_info', path: '/extra/leak' },
      { op: 'test', path: '/driver_internal_info/agent_secret_token', value: S.agentToken },
    ]) {
      expectRefused(await patchWith(op), op, "'/driver_internal_info' is an internal attribute");
    }

    // A refused operation fails the patch around it: the earlier operations are not kept.
    const mixed = [
      { op: 'add', path: '/extra/kept', value: 1 },
      { op: 'copy', from: '/driver_info/redfish_password', path: '/extra/leak' },
    ];
    expectRefused(await svc.request('PATCH', `/v1/nodes/${uuid}`, mixed), mixed, 'holds a secret');

    const after = await svc.request('GET', `/v1/nodes/${uuid}`);
    expect(after.body).toEqual(before.body);
    const stored = await storedSecrets('vault');
    expect(stored.driver_info).toEqual(DRIVER_INFO);
    expect(stored.instance_info).toEqual(INSTANCE_INFO);
    expect(stored.internal).toEqual({ agent_secret_token: S.agentToken });
    expect(svc.logs.join('')).not.toMatch(new RegExp(ALL.map((s) => s.replace(/[.?/]/g, '\\$&')).join('|')));
  });

  it('refuses to read or write inside a config drive given as an object', async () => {
    const uuid = await createVault('vault-cd', { configdrive: { user_data: S.userData } });
    const before = await svc.request('GET', `/v1/nodes/${uuid}`);
    expect(before.body.instance_info).toEqual({ configdrive: '******' });
    for (const op of [
      { op: 'copy', from: '/instance_info/configdrive', path: '/extra/leak' },
      { op: 'move', from: '/instance_info/configdrive', path: '/name' },
      { op: 'test', path: '/instance_info/configdrive', value: { user_data: S.userData } },
    ]) {
      expectRefused(await svc.request('PATCH', `/v1/nodes/${uuid}`, [op]), op, 'it holds a secret');
    }
    for (const op of [
      { op: 'copy', from: '/instance_info/configdrive/user_data', path: '/extra/leak' },
      { op: 'test', path: '/instance_info/configdrive/user_data', value: S.userData },
      { op: 'add', path: '/instance_info/configdrive/meta_data', value: {} },
      { op: 'remove', path: '/instance_info/configdrive/user_data' },
    ]) {
      expectRefused(await svc.request('PATCH', `/v1/nodes/${uuid}`, [op]), op, 'it is inside a secret');
    }
    expect((await svc.request('GET', `/v1/nodes/${uuid}`)).body).toEqual(before.body);
    expect((await storedSecrets('vault-cd')).instance_info).toEqual({ configdrive: { user_data: S.userData } });
  });

  it("never echoes a client's own secret in an error, wherever the patch put it", async () => {
    const uuid = await createVault('vault-echo');
    const before = await svc.request('GET', `/v1/nodes/${uuid}`);
    const fresh = 'Fresh-secret-3e9d';
    const cases: [unknown[], string][] = [
      // A failing operation after a secret was set: fast-json-patch's own message holds both.
      [
        [
          { op: 'replace', path: '/driver_info/redfish_password', value: fresh },
          { op: 'remove', path: '/extra/missing' },
        ],
        "Couldn't apply patch: remove /extra/missing: the path does not exist",
      ],
      [[{ op: 'add', path: '/driver_info/nope/ipmi_password', value: fresh }], "Couldn't apply patch"],
      // Validation of the patched node shows the offending value, with secrets masked.
      [[{ op: 'replace', path: '/name', value: { ipmi_password: fresh } }], '"ipmi_password":"******"'],
      [[{ op: 'replace', path: '/driver_info', value: [{ redfish_password: fresh }] }], '"redfish_password":"******"'],
    ];
    for (const [patch, text] of cases) {
      const res = await svc.request('PATCH', `/v1/nodes/${uuid}`, patch);
      expectRefused(res, patch, text);
      expect(res.text).not.toContain(fresh);
    }
    expect((await svc.request('GET', `/v1/nodes/${uuid}`)).body).toEqual(before.body);
  });

  it('still sets and rotates secrets with add and replace, masked in the answer, and reads plain values', async () => {
    const uuid = await createVault('vault-rotate');
    const rotated = 'Rotated-pass-6f0a';
    const res = await svc.request('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'replace', path: '/driver_info/redfish_password', value: rotated },
      { op: 'remove', path: '/driver_info/ipmi_password' },
      { op: 'add', path: '/instance_info/image_pull_secret', value: rotated },
      { op: 'test', path: '/driver_info/redfish_address', value: DRIVER_INFO.redfish_address },
      { op: 'copy', from: '/driver_info/redfish_address', path: '/extra/bmc' },
    ]);
    expect(res.status, res.text).toBe(200);
    expect(res.text).not.toContain(rotated);
    expect(res.body.driver_info.redfish_password).toBe('******');
    expect(res.body.driver_info).not.toHaveProperty('ipmi_password');
    expect(res.body.instance_info.image_pull_secret).toBe('******');
    expect(res.body.extra).toEqual({ bmc: DRIVER_INFO.redfish_address });
    const stored = await storedSecrets('vault-rotate');
    expect(stored.driver_info.redfish_password).toBe(rotated);
    expect(stored.instance_info.image_pull_secret).toBe(rotated);
  });
});
