// Issue 12's proof with real clients: Anvil over HTTPS (a certificate from a
// CA the test makes with openssl), basic auth from an htpasswd file that
// Debian's `htpasswd -B` writes, driven by the `baremetal` CLI and
// openstacksdk with `http_basic`, and by the anvil CLI with a user and
// password; then bearer tokens against a second service, from the bootstrap
// admin token the CLI writes into the database before that service starts,
// through a reader token refused for writes, to a revoked token refused.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvil, cliEnv, errorLines, type CliEnv, type CliResult } from '../e2e/cli-run.js';
import { createTestDatabase, type TestDatabase } from '../support/engines.js';
import { startTestService, type TestService } from '../support/service.js';
import { makeServerCert, makeTestCa } from '../support/test-pki.js';
import { requirePythonModule, requireTool } from './tools.js';

const run = promisify(execFile);
const haveOpenssl = requireTool('openssl');
const haveHtpasswd = requireTool('htpasswd');
const haveCli = requireTool('baremetal');
const haveSdk = requirePythonModule('openstack');

// The clients read OS_* variables; none may leak in from the environment.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));

const ALICE = { user: 'alice', password: 'alice-Secret-7f3a' };
const BMO = { user: 'bmo', password: 'bmo-Secret-91c2' };
const WRONG = 'not-alice-Secret-0d44';

describe.skipIf(!haveOpenssl || !haveHtpasswd)(
  'real clients against Anvil over HTTPS with basic auth and tokens',
  () => {
    let dir: string;
    let tls: { ca: string; cert: string; key: string };
    let basicSvc: TestService;
    let cli: CliEnv;
    /** Everything a client printed: no password or token may be in it (token creation's own answer aside). */
    const seen: string[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-auth-interop-'));
      tls = { ca: makeTestCa(dir), ...makeServerCert(dir, { name: 'server', ip: '127.0.0.1', serial: '0x5eed01' }) };
      const htpasswd = path.join(dir, 'htpasswd');
      // -B bcrypt (what Metal3 deploys Ironic with), -b password on the command line, -c create the file.
      execFileSync('htpasswd', ['-B', '-b', '-c', htpasswd, ALICE.user, ALICE.password], { stdio: 'pipe' });
      execFileSync('htpasswd', ['-B', '-b', htpasswd, BMO.user, BMO.password], { stdio: 'pipe' });
      basicSvc = await startTestService('sqlite', {
        ANVIL_AUTH: 'basic',
        ANVIL_HTPASSWD: htpasswd,
        ANVIL_AUTH_ROLES: `${ALICE.user}=admin`,
        ANVIL_TLS_CERT: tls.cert,
        ANVIL_TLS_KEY: tls.key,
      });
      cli = cliEnv(basicSvc.url);
    });
    afterAll(async () => {
      await basicSvc?.close();
      cli?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('listens on https with the certificate the CA signed, and challenges for basic credentials', async () => {
      expect(basicSvc.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const dispatcher = new Agent({ connect: { ca: readFileSync(tls.ca) } });
      try {
        const res = await fetch(`${basicSvc.url}/v1/nodes`, { dispatcher });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Basic realm="Anvil", charset="UTF-8"');
        await res.arrayBuffer();
      } finally {
        await dispatcher.close();
      }
    });

    async function baremetal(user: { user: string; password: string }, ...args: string[]): Promise<string> {
      const argv = [
        '--os-auth-type',
        'http_basic',
        '--os-username',
        user.user,
        '--os-password',
        user.password,
        '--os-endpoint',
        basicSvc.url,
        '--os-cacert',
        tls.ca,
        ...args,
      ];
      try {
        const { stdout, stderr } = await run('baremetal', argv, { env: cleanEnv, timeout: 120_000 });
        seen.push(stdout, stderr);
        return stdout;
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; code?: number; message: string };
        seen.push(e.stdout ?? '', e.stderr ?? '');
        throw Object.assign(new Error(`baremetal ${args.join(' ')} (exit ${e.code}): ${e.stderr ?? e.message}`), {
          exitCode: e.code,
          stderr: e.stderr ?? '',
        });
      }
    }
    const json = async (...args: string[]) =>
      JSON.parse(await baremetal(BMO, ...args, '-f', 'json')) as Record<string, any>;

    it.skipIf(!haveCli)(
      'baremetal CLI, http_basic over https with --os-cacert: create, list, manage/provide/deploy/undeploy --wait, delete',
      async () => {
        const node = await json('node', 'create', '--driver', 'fake-hardware', '--name', 'basic-cli');
        expect(node).toMatchObject({ driver: 'fake-hardware', provision_state: 'enroll' });
        const list = (await json('node', 'list')) as unknown as { Name: string }[];
        expect(list.map((n) => n.Name)).toContain('basic-cli');
        await baremetal(BMO, 'node', 'manage', 'basic-cli', '--wait', '60');
        await baremetal(BMO, 'node', 'provide', 'basic-cli', '--wait', '60');
        await baremetal(BMO, 'node', 'deploy', 'basic-cli', '--wait', '60');
        expect((await json('node', 'show', 'basic-cli')).provision_state).toBe('active');
        await baremetal(BMO, 'node', 'undeploy', 'basic-cli', '--wait', '60');
        await baremetal(BMO, 'node', 'delete', 'basic-cli');
        await expect(baremetal(BMO, 'node', 'show', 'basic-cli')).rejects.toThrow(/could not be found/);
      },
    );

    it.skipIf(!haveCli)('baremetal CLI: a wrong password fails with a clear error and a non-zero exit', async () => {
      const err = (await baremetal({ user: ALICE.user, password: WRONG }, 'node', 'list').catch((e: unknown) => e)) as {
        exitCode: number;
        stderr: string;
      };
      expect(err.exitCode).not.toBe(0);
      expect(err.stderr).toMatch(/HTTP 401/);
      expect(err.stderr).toMatch(/Authentication failed: the credentials are not valid/);
    });

    it.skipIf(!haveSdk)(
      "openstacksdk, auth_type='http_basic' with cacert: create_node, nodes(), set_node_provision_state(wait=True)",
      async () => {
        const { stdout, stderr } = await run(
          '/usr/bin/python3',
          ['-c', SDK_SCRIPT, basicSvc.url, tls.ca, ALICE.user, ALICE.password],
          { env: cleanEnv, timeout: 180_000 },
        );
        seen.push(stdout, stderr);
        const steps = stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        // create_node takes a node on to available, as it does against Ironic.
        expect(steps[0]).toMatchObject({ step: 'create', provision_state: 'available' });
        expect(steps[1]).toMatchObject({ step: 'list', found: true });
        expect(steps.slice(2).map((s) => [s.step, s.provision_state])).toEqual([
          ['manage', 'manageable'],
          ['provide', 'available'],
          ['active', 'active'],
          ['deleted', 'available'],
          ['gone', null],
        ]);
      },
    );

    /** A one-node inventory for `anvil node enroll -f`, with a BMC that is never called. */
    function inventory(name: string): string {
      const file = path.join(dir, `${name}.yaml`);
      writeFileSync(
        file,
        `nodes:\n  - name: ${name}\n    bmc: {address: "redfish+https://192.0.2.10/redfish/v1/Systems/1", username: admin, password: bmc-pw}\n`,
      );
      return file;
    }

    function cliRun(args: string[], extra: Record<string, string> = {}): Promise<CliResult> {
      return anvil(cli, args, extra).then((r) => {
        seen.push(r.stdout, r.stderr);
        return r;
      });
    }

    it('anvil CLI with --username/--password and --cacert; the user and CA from the environment too', async () => {
      const asAlice = ['--username', ALICE.user, '--password', ALICE.password, '--cacert', tls.ca];
      // The API user beside a node's BMC user: --username is the CLI's, --bmc-username the node's.
      const single = await cliRun([
        ...asAlice,
        'node',
        'enroll',
        'anvil-basic-one',
        '--bmc',
        'redfish+http://127.0.0.1:9/redfish/v1/Systems/1',
        '--bmc-username',
        'bmc-user',
        '--bmc-password',
        'bmc-secret',
      ]);
      expect(single.code, single.stderr).toBe(0);
      const enrolled = await cliRun([...asAlice, 'node', 'enroll', '-f', inventory('anvil-basic')]);
      expect(enrolled.code, enrolled.stderr).toBe(0);
      const list = await cliRun([...asAlice, '-o', 'json', 'node', 'list']);
      expect(list.code, list.stderr).toBe(0);
      expect((JSON.parse(list.stdout) as { name: string }[]).map((n) => n.name)).toContain('anvil-basic');
      const fromEnv = await cliRun(['-o', 'json', 'node', 'show', 'anvil-basic'], {
        ANVIL_USERNAME: BMO.user,
        ANVIL_PASSWORD: BMO.password,
        ANVIL_CACERT: tls.ca,
      });
      expect(fromEnv.code, fromEnv.stderr).toBe(0);
      expect(JSON.parse(fromEnv.stdout)).toMatchObject({ name: 'anvil-basic', driver: 'redfish' });
    });

    it('anvil CLI: a wrong password is exit 1 with one line naming 401; without --cacert the certificate is refused', async () => {
      const wrong = await cliRun(['--username', ALICE.user, '--password', WRONG, '--cacert', tls.ca, 'node', 'list']);
      expect(wrong.code).toBe(1);
      expect(errorLines(wrong)).toHaveLength(1);
      expect(wrong.stderr).toMatch(/^anvil: Anvil refused the credentials \(HTTP 401\)/);
      const untrusted = await cliRun(['--username', ALICE.user, '--password', ALICE.password, 'node', 'list']);
      expect(untrusted.code).toBe(1);
      expect(errorLines(untrusted)).toHaveLength(1);
      expect(untrusted.stderr).toMatch(/cannot reach Anvil at https:\/\/127\.0\.0\.1:\d+: .*(certificate|CERT)/i);
    });

    describe('bearer tokens (ANVIL_AUTH=token), bootstrapped before the service starts', () => {
      let db: TestDatabase;
      let dataDir: string;
      let tokenSvc: TestService;
      let tokenCli: CliEnv;
      let admin: string;
      const secrets: string[] = [];

      beforeAll(async () => {
        db = await createTestDatabase('sqlite');
        dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-token-data-'));
        const server = { ANVIL_DATABASE_URL: db.url, ANVIL_DATA_DIR: dataDir, ANVIL_AUTH: 'token' };
        // `--bootstrap` reads the server's configuration (ANVIL_*), migrates the fresh database and writes the token.
        const bootEnv = cliEnv('http://127.0.0.1:1');
        const boot = await anvil(bootEnv, ['-o', 'json', 'token', 'create', '--bootstrap', '--role', 'admin'], server);
        bootEnv.close();
        expect(boot.code, boot.stderr).toBe(0);
        admin = (JSON.parse(boot.stdout) as { token: string }).token;
        secrets.push(admin);
        tokenSvc = await startTestService('sqlite', { ...server, ANVIL_TLS_CERT: tls.cert, ANVIL_TLS_KEY: tls.key });
        tokenCli = cliEnv(tokenSvc.url);
      });
      afterAll(async () => {
        await tokenSvc?.close();
        tokenCli?.close();
        await db?.drop();
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      });

      const as = (token: string, args: string[]) =>
        anvil(tokenCli, ['--token', token, '--cacert', tls.ca, ...args]).then((r) => {
          seen.push(r.stdout, r.stderr);
          return r;
        });

      it('the bootstrap admin token lists nodes, creates a reader token; the reader is refused a write (403), then revoked (401)', async () => {
        expect(admin).toMatch(/^anvil_/);
        const list = await as(admin, ['-o', 'json', 'node', 'list']);
        expect(list.code, list.stderr).toBe(0);
        expect(JSON.parse(list.stdout)).toEqual([]);

        // Token creation is the one answer that carries a secret: kept out of `seen`.
        const made = await anvil(tokenCli, [
          '--token',
          admin,
          '--cacert',
          tls.ca,
          '-o',
          'json',
          'token',
          'create',
          '--role',
          'reader',
          '--description',
          'interop reader',
        ]);
        expect(made.code, made.stderr).toBe(0);
        const reader = JSON.parse(made.stdout) as { token: string; uuid: string; role: string };
        expect(reader.role).toBe('reader');
        secrets.push(reader.token);

        const read = await as(reader.token, ['-o', 'json', 'node', 'list']);
        expect(read.code, read.stderr).toBe(0);
        const write = await as(reader.token, ['node', 'enroll', '-f', inventory('reader-node')]);
        expect(write.code).toBe(1);
        expect(errorLines(write)).toHaveLength(1);
        expect(write.stderr).toMatch(/HTTP 403.*needs the operator role; token:[0-9a-f-]{36} is reader/);

        const listed = await as(admin, ['-o', 'json', 'token', 'list']);
        expect(listed.code, listed.stderr).toBe(0);
        expect((JSON.parse(listed.stdout) as { uuid: string }[]).map((t) => t.uuid)).toContain(reader.uuid);

        const revoked = await as(admin, ['token', 'revoke', reader.uuid]);
        expect(revoked.code, revoked.stderr).toBe(0);
        const refused = await as(reader.token, ['node', 'list']);
        expect(refused.code).toBe(1);
        expect(errorLines(refused)).toHaveLength(1);
        expect(refused.stderr).toMatch(/^anvil: Anvil refused the credentials \(HTTP 401\)/);
        // The admin token still works.
        expect((await as(admin, ['node', 'list'])).code).toBe(0);
      });

      it('never shows a token in the service logs or in any answer but the one that created it', () => {
        expect(secrets).toHaveLength(2);
        const logs = tokenSvc.logs.join('\n');
        const answers = seen.join('\n');
        // The logs hold the requests that carried the tokens, the refused ones included.
        for (const status of [200, 403, 401]) expect(logs).toContain(`"statusCode":${status}`);
        for (const secret of secrets) {
          expect(logs).not.toContain(secret);
          expect(answers).not.toContain(secret);
          // Nor a recognisable piece of one.
          expect(logs).not.toContain(secret.slice(6, 20));
        }
      });
    });

    it('never shows a password in the service logs or in any answer a client printed', () => {
      const logs = basicSvc.logs.join('\n');
      const answers = seen.join('\n');
      expect(answers).not.toBe('');
      // The logs hold the requests that carried the passwords, the refused ones included.
      for (const status of [200, 202, 401]) expect(logs).toContain(`"statusCode":${status}`);
      for (const secret of [ALICE.password, BMO.password, WRONG]) {
        expect(logs).not.toContain(secret);
        expect(answers).not.toContain(secret);
      }
      expect(logs).not.toMatch(/authorization/i);
    });
  },
);

/** openstacksdk with keystoneauth's http_basic plugin; one JSON line per step. */
const SDK_SCRIPT = `
import json, sys
import openstack

endpoint, cacert, username, password = sys.argv[1:5]
conn = openstack.connect(
    auth_type='http_basic',
    auth={'username': username, 'password': password, 'endpoint': endpoint},
    cacert=cacert,
    baremetal_endpoint_override=endpoint,
    baremetal_api_version='1',
)
node = conn.baremetal.create_node(driver='fake-hardware', name='sdk-basic')
print(json.dumps({'step': 'create', 'provision_state': node.provision_state}))
found = any(n.id == node.id for n in conn.baremetal.nodes())
print(json.dumps({'step': 'list', 'found': found}))
for target in ('manage', 'provide', 'active', 'deleted'):
    node = conn.baremetal.set_node_provision_state(node, target, wait=True, timeout=60)
    print(json.dumps({'step': target, 'provision_state': node.provision_state}))
conn.baremetal.delete_node(node, ignore_missing=False)
gone = conn.baremetal.find_node('sdk-basic')
print(json.dumps({'step': 'gone', 'provision_state': gone and gone.provision_state}))
`;
