// `anvil serve` refused at start-up, as an operator meets it: one line on
// stderr naming the setting to change, a non-zero exit, and nothing left
// behind in the data directory (no database, no key file).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, finished, type CliResult } from './cli-run.js';

/** Runs `anvil serve` with exactly these ANVIL_* settings; kept short, as a start-up refusal is immediate. */
function serve(env: Record<string, string>): Promise<CliResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ANVIL_')));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
    cwd: REPO,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return finished(child);
}

/** A port held by another listener, as another program would hold it. */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, server };
}

describe('anvil serve refuses a configuration it cannot run with, before touching anything', () => {
  let root: string;
  let dataDir: string;
  let held: { port: number; server: Server };

  beforeAll(async () => {
    held = await holdPort();
  });
  afterAll(async () => {
    await new Promise((resolve) => held.server.close(resolve));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** Settings that would start, each case changing one; the data directory does not exist yet. */
  function settings(overrides: Record<string, string>): Record<string, string> {
    root = mkdtempSync(path.join(os.tmpdir(), 'anvil-startup-'));
    dataDir = path.join(root, 'data');
    return {
      ANVIL_DATA_DIR: dataDir,
      ANVIL_API_HOST: '127.0.0.1',
      ANVIL_API_PORT: '0',
      ANVIL_HTTP_PORT: '0',
      ANVIL_TFTP_PORT: 'off',
      ...overrides,
    };
  }

  function expectRefused(result: CliResult, names: string) {
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^anvil: /);
    expect(lines[0]).toContain(names);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(2);
    // Nothing was created: not the data directory, let alone a database or a key file in it.
    expect(existsSync(dataDir) ? readdirSync(dataDir) : [], 'the data directory').toEqual([]);
  }

  it('an API port another process holds names ANVIL_API_PORT', async () => {
    const result = await serve(settings({ ANVIL_API_PORT: String(held.port) }));
    expectRefused(result, 'ANVIL_API_PORT');
    expect(result.stderr).toContain(`port ${held.port} on 127.0.0.1 is already in use`);
  });

  it('a conductor RPC port another process holds names ANVIL_CONDUCTOR_RPC_PORT', async () => {
    expectRefused(await serve(settings({ ANVIL_CONDUCTOR_RPC_PORT: String(held.port) })), 'ANVIL_CONDUCTOR_RPC_PORT');
  });

  it('an HTTP boot port another process holds names ANVIL_HTTP_PORT', async () => {
    expectRefused(await serve(settings({ ANVIL_HTTP_PORT: String(held.port) })), 'ANVIL_HTTP_PORT');
  });

  it('an API host that is no address of this machine names ANVIL_API_HOST', async () => {
    // 192.0.2.0/24 is TEST-NET-1, never configured on a machine; with authentication, so it is not refused as exposed.
    const result = await serve(
      settings({ ANVIL_API_HOST: '192.0.2.1', ANVIL_AUTH: 'token', ANVIL_HTTP_HOST: '127.0.0.1' }),
    );
    expectRefused(result, 'ANVIL_API_HOST');
  });

  it.each(['garbage', 'mysql://anvil:hunter2@db/anvil', 'sqlite:'])(
    'ANVIL_DATABASE_URL=%s is named, and its value is not shown',
    async (url) => {
      const result = await serve(settings({ ANVIL_DATABASE_URL: url }));
      expectRefused(result, 'ANVIL_DATABASE_URL');
      expect(result.stderr).not.toContain('hunter2');
    },
  );

  it('a PostgreSQL server that refuses the connection names ANVIL_DATABASE_URL, without its password', async () => {
    const closed = await holdPort();
    await new Promise((resolve) => closed.server.close(resolve));
    const url = `postgres://anvil:hunter2@127.0.0.1:${closed.port}/anvil`;
    const result = await serve(settings({ ANVIL_DATABASE_URL: url }));
    expectRefused(result, 'ANVIL_DATABASE_URL');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('a malformed ANVIL_SECRET_KEY is named', async () => {
    expectRefused(await serve(settings({ ANVIL_SECRET_KEY: 'c2hvcnQ=' })), 'ANVIL_SECRET_KEY');
  });

  it.each(['0.0.0.0', '::', '192.0.2.1'])(
    'an API on %s without authentication is refused, naming ANVIL_AUTH',
    async (host) => {
      expectRefused(await serve(settings({ ANVIL_API_HOST: host })), 'ANVIL_AUTH=none is refused');
    },
  );

  it('an IPv4-mapped loopback address is loopback: the API starts there without authentication', async () => {
    const env = settings({ ANVIL_API_HOST: '::ffff:127.0.0.1' });
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
      cwd: REPO,
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ANVIL_'))),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const listening = new Promise<string>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const url = /"msg":"anvil API listening".*?"url":"([^"]+)"|"url":"([^"]+)".*?"msg":"anvil API listening"/.exec(
          out,
        );
        if (url) resolve(url[1] ?? url[2]!);
      });
    });
    const exited = finished(child);
    const url = await Promise.race([listening, exited.then((r) => Promise.reject(new Error(r.stderr)))]);
    try {
      const res = await fetch(`${url}/v1/nodes`);
      expect(res.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
