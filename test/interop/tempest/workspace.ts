import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TempestRange {
  min: string;
  max: string;
}

export type TempestStatus = 'success' | 'fail' | 'skip';

export interface TempestOutcome {
  status: TempestStatus;
  /** The end of the traceback of a failure, or the reason of a skip. */
  detail: string;
}

export interface TempestResult {
  /** By test name (the tags in brackets dropped); a class whose setUpClass failed is listed as `setUpClass (module.Class)`. */
  outcomes: Map<string, TempestOutcome>;
  passed: string[];
  failed: string[];
  skipped: string[];
  /** tempest's own output, for the failure message. */
  output: string;
}

/** Ironic's API tests: the suite Ironic gates every change on. */
export const API_TESTS = '^ironic_tempest_plugin\\.tests\\.api\\.';

/** Static accounts: tempest locks one per test class it runs at a time, so there are as many as workers. */
const ACCOUNTS = 4;

/**
 * A tempest workspace in `dir` that runs Ironic's API tests against the
 * endpoint the stand-in identity's catalog names, with static accounts (no
 * dynamic credentials: there is no real Keystone) and the fake-hardware driver.
 */
export function writeWorkspace(dir: string, identityUrl: string, range: TempestRange): void {
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  mkdirSync(path.join(dir, 'locks'), { recursive: true });
  const accounts: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    accounts.push(`- username: admin${i}\n  password: secret\n  project_name: admin${i}\n  roles: [admin]`);
    accounts.push(`- username: sysadmin${i}\n  password: secret\n  system: all\n  roles: [admin]`);
  }
  writeFileSync(path.join(dir, 'etc', 'accounts.yaml'), accounts.join('\n') + '\n');
  writeFileSync(
    path.join(dir, 'etc', 'tempest.conf'),
    `[DEFAULT]
log_file = tempest.log
use_stderr = false

[oslo_concurrency]
lock_path = ${path.join(dir, 'locks')}

[auth]
use_dynamic_credentials = false
test_accounts_file = ${path.join(dir, 'etc', 'accounts.yaml')}
create_isolated_networks = false

[identity]
auth_version = v3
uri_v3 = ${identityUrl}
region = RegionOne
disable_ssl_certificate_validation = true

[identity-feature-enabled]
api_v2 = false

[service_available]
ironic = true
nova = false
neutron = false
cinder = false
glance = false
swift = false

[enforce_scope]
ironic = false

[baremetal]
driver = fake-hardware
catalog_type = baremetal
endpoint_type = public
min_microversion = ${range.min}
max_microversion = ${range.max}
power_timeout = 60
unprovision_timeout = 120
active_timeout = 120
deploywait_timeout = 60
association_timeout = 30
enabled_hardware_types = fake-hardware,ipmi,redfish
`,
  );
  writeFileSync(
    path.join(dir, '.stestr.conf'),
    `[DEFAULT]\ntest_path=${tempestTestPath()}\ntop_dir=/usr/lib/python3/dist-packages\n`,
  );
}

function tempestTestPath(): string {
  return '/usr/lib/python3/dist-packages/tempest/test_discover';
}

/**
 * Runs the plugin's API tests (`ironic_tempest_plugin.tests.api`) in `dir`
 * and reads each test's outcome from the subunit stream, so the summary
 * counts every test rather than trusting an exit code.
 */
export async function runTempest(
  dir: string,
  workers: number,
  timeoutMs: number,
  regex = API_TESTS,
): Promise<TempestResult> {
  const args = [...tempestRun(dir, regex), '--concurrency', String(workers), '--subunit'];
  const subunit = await capture('tempest', args, dir, timeoutMs);
  const read = await capture('/usr/bin/python3', [READER], dir, 60_000, subunit.stdout);
  const result: TempestResult = { outcomes: new Map(), passed: [], failed: [], skipped: [], output: subunit.stderr };
  for (const line of read.stdout.toString('utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const test = JSON.parse(line) as { id: string; status: string; detail: string };
    const name = tempestName(test.id);
    // testtools says `success`, `skip`, `fail`, `xfail`, `uxsuccess`, or `exists` for a test only listed.
    if (test.status === 'exists') continue;
    const status: TempestStatus = test.status === 'success' || test.status === 'skip' ? test.status : 'fail';
    result.outcomes.set(name, { status, detail: test.detail });
    ({ success: result.passed, skip: result.skipped, fail: result.failed })[status].push(name);
  }
  if (read.stderr.trim() !== '') result.output += `\n${read.stderr}`;
  return result;
}

/** `tempest run` in the workspace of `dir`, on the tests `regex` selects. */
function tempestRun(dir: string, regex: string): string[] {
  const config = path.join(dir, 'etc', 'tempest.conf');
  return ['run', '--workspace-path', path.join(dir, 'workspace.yaml'), '--config-file', config, '--regex', regex];
}

const READER = path.join(import.meta.dirname, 'read-subunit.py');

/** `module.Class.test_x[id-…,negative]` → `module.Class.test_x`. */
export function tempestName(id: string): string {
  return id.replace(/\[[^\]]*\]$/, '');
}

/**
 * The plugin's API tests, listed without running them (stestr imports them),
 * so each can be a test of its own in the interop suite.
 */
export async function listTempestTests(dir: string, regex = API_TESTS): Promise<string[]> {
  // `tempest run` makes the result repository when it runs; a listing needs one made first.
  await capture('stestr', ['init'], dir, 30_000);
  const listed = await capture('tempest', [...tempestRun(dir, regex), '--list-tests'], dir, 120_000);
  return listed.stdout
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('ironic_tempest_plugin.'))
    .map(tempestName);
}

interface Captured {
  stdout: Buffer;
  stderr: string;
}

function capture(cmd: string, args: string[], cwd: string, timeoutMs: number, input?: Buffer): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** tempest reads OS_* and no_proxy-less proxies from the environment: none may leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OS_') && !/_proxy$/i.test(k)),
  );
  return { ...env, PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}` };
}
