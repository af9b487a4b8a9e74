// `anvil events` run as a user runs it: a listing with its cursor, bad input
// refused, and `--follow` printing every change once, in order, across a
// restart of the service (changes made while it was away included), until
// SIGTERM or SIGINT ends it cleanly.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../../server/index.js';
import { loadConfig } from '../../services/config/index.js';
import { createLogger } from '../../services/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/engines.js';
import { anvil, cliEnv, errorLines, finished, startAnvil, type CliEnv, type CliResult } from './cli-run.js';

let tdb: TestDatabase;
let dataDir: string;
let port: number;
let service: RunningService | null = null;
let env: CliEnv;

/** Anvil on `listenPort` over the suite's one database, as an operator restarts it. */
async function startAnvilService(listenPort: number): Promise<RunningService> {
  const config = loadConfig({
    ANVIL_API_HOST: '127.0.0.1',
    ANVIL_API_PORT: String(listenPort),
    ANVIL_DATABASE_URL: tdb.url,
    ANVIL_DATA_DIR: dataDir,
    ANVIL_HTTP_PORT: '0',
    ANVIL_TFTP_PORT: '0',
    ANVIL_CONDUCTOR_SWEEP_INTERVAL: '0.2',
  });
  return startService(config, { log: createLogger('silent') });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return free;
}

async function api(base: string, method: string, urlPath: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${urlPath}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-OpenStack-Ironic-API-Version': '1.78' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  expect(res.ok, text).toBe(true);
  return text === '' ? null : JSON.parse(text);
}

const createNode = async (base: string, name: string) =>
  ((await api(base, 'POST', '/v1/nodes', { driver: 'fake-hardware', name })) as { uuid: string }).uuid;
const newestCursor = async (base: string) =>
  ((await api(base, 'GET', '/v1/anvil/events?since=now')) as { cursor: string }).cursor;

/** The child's stdout as JSON lines, growing as it prints. */
function jsonLines(child: ChildProcess): { lines: any[]; until(check: (lines: any[]) => boolean): Promise<void> } {
  const lines: any[] = [];
  let partial = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split('\n');
    partial = complete.pop()!;
    for (const line of complete) if (line.trim() !== '') lines.push(JSON.parse(line));
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    lines,
    async until(check) {
      while (!check(lines)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

beforeAll(async () => {
  tdb = await createTestDatabase('sqlite');
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-cli-events-'));
  port = await freePort();
  service = await startAnvilService(port);
  env = cliEnv(service.url!);
});

afterAll(async () => {
  await service?.close();
  env?.close();
  rmSync(dataDir, { recursive: true, force: true });
  await tdb?.drop();
});

const expectOk = (r: CliResult) => expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);

describe('anvil events', () => {
  it('lists events with their cursor, as a table and as JSON, from --since on', async () => {
    const base = service!.url!;
    const since = await newestCursor(base);
    const uuid = await createNode(base, 'cli-listed');
    const table = await anvil(env, ['events', '--since', since]);
    expectOk(table);
    expect(table.stdout).toContain('node.created');
    expect(table.stdout).toContain(uuid);
    expect(table.stdout).toMatch(/cursor (\d+): go on with --since \1\n$/);
    const json = await anvil(env, ['events', '--since', since, '-o', 'json']);
    expectOk(json);
    const answer = JSON.parse(json.stdout) as { events: { uuid: string; cursor: string }[]; cursor: string };
    expect(answer.events.map((e) => e.uuid)).toEqual([uuid]);
    expect(answer.cursor).toBe(answer.events[0]!.cursor);
  });

  it('refuses a bad cursor with the server’s reason (exit 1) and a bad --limit before asking (exit 2)', async () => {
    const bad = await anvil(env, ['events', '--since', 'yesterday']);
    expect(bad.code).toBe(1);
    expect(errorLines(bad)).toEqual([
      'anvil: Invalid cursor "yesterday": a cursor is the "cursor" of an event or of an answer of /v1/anvil/events (a non-negative integer), or "now" for only what comes next.',
    ]);
    const limit = await anvil(env, ['events', '--limit', '0']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('expected a positive integer');
  });

  it('follows every change once and in order across a restart of the service, and stops on SIGTERM', async () => {
    const since = await newestCursor(service!.url!);
    const child = startAnvil(env, ['events', '--follow', '--since', since, '-o', 'json']);
    const done = finished(child);
    const out = jsonLines(child);
    const first = await createNode(service!.url!, 'cli-follow-0');
    await out.until((lines) => lines.some((e) => e.uuid === first));

    // The service goes away; while it is gone, another instance on the same database changes things.
    await service!.close();
    service = null;
    const elsewhere = await startAnvilService(0);
    const second = await createNode(elsewhere.url!, 'cli-follow-1');
    await api(elsewhere.url!, 'PATCH', `/v1/nodes/${first}`, [
      { op: 'replace', path: '/name', value: 'cli-follow-0-renamed' },
    ]);
    await elsewhere.close();
    service = await startAnvilService(port);

    await out.until((lines) => lines.some((e) => e.uuid === second));
    const everything = (await api(service.url!, 'GET', `/v1/anvil/events?since=${since}`)) as {
      events: { cursor: string }[];
    };
    await out.until((lines) => lines.length >= everything.events.length);
    expect(out.lines).toEqual(everything.events);
    expect(out.lines.map((e) => `${e.kind}.${e.action} ${e.data.name}`)).toEqual([
      'node.created cli-follow-0',
      'node.created cli-follow-1',
      'node.updated cli-follow-0-renamed',
    ]);

    child.kill('SIGTERM');
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`following again from cursor ${out.lines[0].cursor}`);
  });

  it('prints a line per event for people, and stops on Ctrl-C (SIGINT)', async () => {
    const since = await newestCursor(service!.url!);
    const uuid = await createNode(service!.url!, 'cli-follow-table');
    const child = startAnvil(env, ['events', '-f', '--since', since]);
    const done = finished(child);
    let stdout = '';
    await new Promise<void>((resolve) =>
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('\n')) resolve();
      }),
    );
    expect(stdout).toMatch(new RegExp(`^\\d+  \\S+  node\\.created  ${uuid}  enroll\\n$`));
    child.kill('SIGINT');
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
  });
});
