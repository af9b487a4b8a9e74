// The systemd packaging checked by systemd's own tools (Debian's systemd
// package; nothing is started): `systemd-analyze verify` on the unit,
// systemd-sysusers and systemd-tmpfiles applied to a scratch root, and the
// unit's ExecReload run against real processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from './tools.js';

const REPO = resolve(import.meta.dirname, '../..');
const UNIT = readFileSync(join(REPO, 'packaging/anvil.service'), 'utf8');
const ready = requireTool('systemd-analyze') && requireTool('systemd-sysusers') && requireTool('systemd-tmpfiles');

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anvil-systemd-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * `systemd-analyze verify` on a copy of `text` named anvil.service. verify
 * wants ExecStart's program to exist, and Node.js may live elsewhere than
 * /usr/bin/node here: the copy names this node. Some problems (an unknown
 * key, a bad value) leave its exit status 0 and are only printed, so the
 * verdict is the exit status and everything it printed.
 */
function verify(text: string, name: string): { status: number | null; output: string } {
  const unitDir = join(dir, name);
  mkdirSync(unitDir, { recursive: true });
  const file = join(unitDir, 'anvil.service');
  writeFileSync(file, text.replaceAll('/usr/bin/node ', `${process.execPath} `));
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', '--generators=no', file], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, output: (r.stdout + r.stderr).trim() };
}

describe.skipIf(!ready)('packaging/ under systemd-analyze, systemd-sysusers, systemd-tmpfiles', () => {
  it('passes systemd-analyze verify without a word', () => {
    expect(verify(UNIT, 'good')).toEqual({ status: 0, output: '' });
  });

  it('would be caught by that check: an unknown key, a bad value, a missing program', () => {
    const typo = verify(UNIT.replace('ProtectSystem=strict', 'ProtectSistem=strict'), 'typo');
    expect(typo.output).toMatch(/Unknown key 'ProtectSistem'/);
    const value = verify(UNIT.replace('ProtectProc=invisible', 'ProtectProc=sometimes'), 'value');
    expect(value.output).toMatch(/ProtectProc|sometimes/);
    const missing = verify(UNIT.replace('ExecStart=/usr/bin/node ', 'ExecStart=/nonexistent/node '), 'missing');
    expect(missing.status).not.toBe(0);
    expect(missing.output).toMatch(/nonexistent\/node/);
  });

  it('creates user anvil and its directories in a scratch root', () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    const sysusers = spawnSync('systemd-sysusers', [`--root=${root}`, join(REPO, 'packaging/anvil.sysusers')], {
      encoding: 'utf8',
    });
    expect(sysusers.status, sysusers.stderr).toBe(0);
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    const entry = /^anvil:x:(\d+):(\d+):[^:]*:\/var\/lib\/anvil:\/usr\/sbin\/nologin$/m.exec(passwd);
    expect(entry, passwd).not.toBeNull();
    const [uid, gid] = [Number(entry![1]), Number(entry![2])];
    // A system user: below the first regular uid.
    expect(uid).toBeLessThan(1000);

    const tmpfiles = spawnSync(
      'systemd-tmpfiles',
      ['--create', `--root=${root}`, join(REPO, 'packaging/anvil.tmpfiles')],
      { encoding: 'utf8' },
    );
    expect(tmpfiles.status, tmpfiles.stderr).toBe(0);
    for (const sub of ['var/lib/anvil', 'var/lib/anvil/boot', 'var/lib/anvil/images']) {
      const s = statSync(join(root, sub));
      expect({ sub, uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 }).toEqual({ sub, uid, gid, mode: 0o750 });
    }
    const etc = statSync(join(root, 'etc/anvil'));
    expect({ uid: etc.uid, gid: etc.gid, mode: etc.mode & 0o7777 }).toEqual({ uid: 0, gid, mode: 0o750 });
  });

  describe('ExecReload', () => {
    const command = /^ExecReload=(.*)$/m.exec(UNIT)![1]!;
    let serve: ChildProcess | null = null;
    let logs = '';

    afterAll(() => {
      serve?.kill('SIGKILL');
    });

    it('sends SIGHUP to the main process, which an Anvil without TLS survives, still serving', async () => {
      expect(command).toBe('/bin/kill -HUP $MAINPID');
      const data = mkdtempSync(join(tmpdir(), 'anvil-reload-'));
      serve = spawn(process.execPath, ['--import', 'tsx', 'cli/anvil.ts', 'serve'], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ANVIL_DATA_DIR: data,
          ANVIL_API_PORT: '0',
          ANVIL_HTTP_PORT: '0',
          ANVIL_TFTP_PORT: 'off',
          ANVIL_CONDUCTOR_NAME: 'reload-test',
        },
      });
      const child = serve;
      child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
      const deadline = Date.now() + 30_000;
      let url: string | null = null;
      while (url === null) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`anvil serve did not start: ${logs}`);
        url = /"url":"(http:[^"]+)"[^\n]*anvil API listening/.exec(logs)?.[1] ?? null;
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = spawnSync('/bin/sh', ['-c', command], { env: { ...process.env, MAINPID: String(child.pid) } });
      expect(r.status).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(child.exitCode).toBeNull();
      expect(child.signalCode).toBeNull();
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      child.kill('SIGTERM');
      rmSync(data, { recursive: true, force: true });
    });
  });
});
