// Issue 17's demo: `anvil demo` as a newcomer runs it, a separate process
// that starts Anvil and a sim fleet, takes every host to active over the
// network boot and the agent, and on Ctrl-C stops both and removes its
// directory; bad input gets one line and leaves nothing behind.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CLI_ARGV, cliEnv, errorLines, finished, processEnv, startAnvil, type CliEnv } from './cli-run.js';

let env: CliEnv;
let parent: string;

beforeAll(() => {
  env = cliEnv('http://127.0.0.1:9');
  parent = mkdtempSync(path.join(os.tmpdir(), 'anvil-demo-test-'));
});

afterAll(() => {
  env.close();
  rmSync(parent, { recursive: true, force: true });
});

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

async function tcpFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await listen(server, port);
  } catch {
    return false;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return true;
}

/** Free ports for every flag of the demo; `hosts` consecutive free UDP ports from the IPMI base. */
async function demoPorts(hosts: number): Promise<string[]> {
  const servers = [createServer(), createServer(), createServer()];
  const [api, http, redfish] = await Promise.all(servers.map((s) => listen(s)));
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(Array.from({ length: hosts + 1 }, (_, i) => udpFree(base + i)));
    if (free.every(Boolean)) {
      return [
        ...['--api-port', String(api), '--boot-http-port', String(http), '--redfish-port', String(redfish)],
        ...['--tftp-port', String(base + hosts), '--ipmi-base-port', String(base)],
      ];
    }
  }
  throw new Error('no run of free UDP ports found');
}

function portOf(args: string[], flag: string): number {
  return Number(args[args.indexOf(flag) + 1]);
}

/** The last line of what the demo says to try once its fleet is active. */
const LAST_LINE = 'Ctrl-C stops Anvil and the simulated hosts and removes the directory.';

describe('anvil demo', () => {
  it('takes a mixed Redfish and IPMI fleet to active, then Ctrl-C stops everything and removes its directory', async () => {
    const hosts = 3;
    const ports = await demoPorts(hosts);
    const child = startAnvil(env, ['demo', '--hosts', String(hosts), '--dir', parent, ...ports]);
    const result = finished(child);
    // A failed check must not leave the demo running, its directory in the next tests' way.
    onTestFinished(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      await result;
    });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const deadline = Date.now() + 120_000;
    // The summary and what to try next are two writes, which can arrive apart: wait for the last line.
    const done = () => stdout.includes(`${hosts} of ${hosts} hosts are active`) && stdout.includes(LAST_LINE);
    while (!done()) {
      if (child.exitCode !== null) break;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (!done()) {
      child.kill('SIGINT');
      const { stderr } = await result;
      expect.fail(`the demo did not finish:\n${stdout}\n${stderr}`);
    }
    const dir = /in (\S+anvil-demo-\S+)/.exec(stdout)?.[1];
    expect(dir).toBeDefined();
    expect(existsSync(path.join(dir!, 'data', 'anvil.db'))).toBe(true);

    // What the demo says to try answers: the API it printed, with the fleet active, half over each protocol.
    const api = `http://127.0.0.1:${portOf(ports, '--api-port')}`;
    expect(stdout).toContain(`export ANVIL_URL=${api}`);
    const res = await fetch(`${api}/v1/nodes?fields=name,driver,provision_state`, {
      headers: { 'X-OpenStack-Ironic-API-Version': '1.110' },
    });
    const nodes = ((await res.json()) as { nodes: { name: string; driver: string; provision_state: string }[] }).nodes;
    expect(nodes.map((n) => n.provision_state)).toEqual(['active', 'active', 'active']);
    expect(nodes.map((n) => n.driver).sort()).toEqual(['ipmi', 'redfish', 'redfish']);
    // The live view went through each phase: inspection by the agent for IPMI, cleaning and the image write.
    expect(stdout).toMatch(/clean wait → available \(erase_devices_metadata\)/);
    expect(stdout).toMatch(/wait call-back → active \(write_image\)/);

    child.kill('SIGINT');
    const { code } = await result;
    expect(code).toBe(0);
    expect(existsSync(dir!)).toBe(false);
    // Anvil's and the sim's listeners are gone with their processes.
    for (const flag of ['--api-port', '--boot-http-port', '--redfish-port'])
      expect(await tcpFree(portOf(ports, flag)), flag).toBe(true);
    for (const flag of ['--tftp-port', '--ipmi-base-port']) expect(await udpFree(portOf(ports, flag)), flag).toBe(true);
  }, 180_000);

  it('ends when one of its programs exits on its own, stopping the other and keeping the logs', async () => {
    const ports = await demoPorts(1);
    const child = startAnvil(env, ['demo', '--hosts', '1', '--dir', parent, ...ports]);
    const result = finished(child);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const deadline = Date.now() + 90_000;
    while (!stdout.includes('1 of 1 hosts are active') && child.exitCode === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    const dir = /in (\S+anvil-demo-\S+)/.exec(stdout)?.[1];
    expect(dir, stdout).toBeDefined();
    // The sim is the process whose command line names the demo's manifest.
    const pgrep = spawn('pgrep', ['-f', path.join(dir!, 'sim.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const found = await finished(pgrep);
    const pid = Number(found.stdout.trim().split('\n')[0]);
    expect(pid, found.stdout).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    const run = await result;
    expect(run.code).toBe(1);
    expect(errorLines(run)).toEqual([
      `anvil: the demo's logs are kept in ${dir}`,
      `anvil: anvil-sim exited on its own; its log: ${path.join(dir!, 'sim.log')}`,
    ]);
    expect(existsSync(path.join(dir!, 'anvil.log'))).toBe(true);
    expect(await tcpFree(portOf(ports, '--api-port'))).toBe(true);
    rmSync(dir!, { recursive: true, force: true });
  }, 120_000);

  it('refuses a port in use with one line naming the flag to change, and starts nothing', async () => {
    const ports = await demoPorts(2);
    const squatter = createServer();
    await listen(squatter, portOf(ports, '--redfish-port'));
    try {
      const run = await finished(startAnvil(env, ['demo', '--hosts', '2', '--dir', parent, ...ports]));
      expect(run.code).toBe(2);
      expect(errorLines(run)).toEqual([
        `anvil: TCP port ${portOf(ports, '--redfish-port')} (the sim's Redfish endpoint) is in use: choose another with --redfish-port`,
      ]);
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('refuses two flags given the same port', async () => {
    const ports = await demoPorts(1);
    ports[ports.indexOf('--boot-http-port') + 1] = String(portOf(ports, '--api-port'));
    const run = await finished(startAnvil(env, ['demo', '--hosts', '1', '--dir', parent, ...ports]));
    expect(run.code).toBe(2);
    expect(errorLines(run)).toEqual([
      `anvil: Anvil's HTTP boot server and Anvil's API would share tcp/${portOf(ports, '--api-port')}: change --boot-http-port or --api-port`,
    ]);
  });

  it('refuses a directory it cannot write in, leaving nothing running', async () => {
    const ports = await demoPorts(1);
    const notADirectory = path.join(env.home, 'a-file');
    writeFileSync(notADirectory, '');
    for (const [dir, code] of [
      [path.join(env.home, 'missing'), 'ENOENT'],
      [notADirectory, 'ENOTDIR'],
    ] as const) {
      const run = await finished(startAnvil(env, ['demo', '--hosts', '1', '--dir', dir, ...ports]));
      expect(run.code).toBe(2);
      expect(errorLines(run)).toEqual([
        `anvil: cannot make a directory in ${dir} (${code}): choose one you can write with --dir`,
      ]);
      expect(await tcpFree(portOf(ports, '--api-port'))).toBe(true);
    }
  });

  it('refuses more hosts than the open-file limit allows, saying how many it could run', async () => {
    const ports = await demoPorts(1);
    const child = spawn(
      'prlimit',
      ['--nofile=1024:1024', process.execPath, ...CLI_ARGV, 'demo', '--hosts', '500', '--dir', parent, ...ports],
      {
        cwd: env.cwd,
        env: processEnv(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const run = await finished(child);
    expect(run.code).toBe(2);
    expect(errorLines(run)).toEqual([
      'anvil: 500 hosts need about 6256 open files and the limit is 1024: raise it (ulimit -n 6256) or ask for at most --hosts 64',
    ]);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('rejects a port or host count that is not a number in range', async () => {
    for (const args of [
      ['--hosts', '0'],
      ['--api-port', '70000'],
    ]) {
      const run = await finished(startAnvil(env, ['demo', ...args]));
      expect(run.code, args.join(' ')).toBe(2);
      expect(errorLines(run)).toHaveLength(1);
    }
  });
});
