// The systemd packaging read as data: the unit's hardening, and that the
// unit, sysusers.d, tmpfiles.d and the container image agree on the user,
// the data directory and the command. test/interop/systemd.test.ts has
// systemd's own tools check the same files.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkApiExposure, loadConfig } from '../../../services/config/index.js';
import { Setting, type SettingsTable } from '../../../services/config/setting.js';
import { settings } from '../../../services/config/settings.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** A unit file as section → key → values (a key may repeat), continuation lines joined. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(trimmed);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = trimmed.indexOf('=');
    if (current === undefined || eq < 0) throw new Error(`not a unit file line: ${line}`);
    const key = trimmed.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), trimmed.slice(eq + 1)]);
  }
  return sections;
}

/** Non-comment lines of a sysusers.d or tmpfiles.d file, split into fields. */
function configLines(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.match(/"[^"]*"|\S+/g) ?? []);
}

const unit = parseUnit(read('packaging/anvil.service'));
const service = unit.get('Service')!;
const one = (key: string): string | undefined => service.get(key)?.at(-1);

describe('packaging/anvil.service', () => {
  it('runs `anvil serve` from /opt/anvil as user anvil, with settings from /etc/anvil/anvil.env', () => {
    expect(one('ExecStart')).toBe('/usr/bin/node /opt/anvil/dist/cli/anvil.js serve');
    // dist/cli/anvil.js is what tsc makes of cli/anvil.ts.
    expect(existsSync(path.join(ROOT, 'cli/anvil.ts'))).toBe(true);
    expect(one('User')).toBe('anvil');
    expect(one('Group')).toBe('anvil');
    expect(one('EnvironmentFile')).toBe('-/etc/anvil/anvil.env');
    expect(one('Environment')).toContain('ANVIL_DATA_DIR=/var/lib/anvil');
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('may bind ports below 1024 (TFTP 69, DHCP 67) and nothing more: CAP_NET_BIND_SERVICE alone', () => {
    expect(one('AmbientCapabilities')).toBe('CAP_NET_BIND_SERVICE');
    expect(one('CapabilityBoundingSet')).toBe('CAP_NET_BIND_SERVICE');
    expect(one('NoNewPrivileges')).toBe('yes');
  });

  it('sees the file system read-only but for its state directory', () => {
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('StateDirectory')).toBe('anvil');
    expect(one('ReadWritePaths')).toBe('/var/lib/anvil');
    expect(one('WorkingDirectory')).toBe('/var/lib/anvil');
    for (const key of [
      'ProtectHome',
      'PrivateTmp',
      'PrivateDevices',
      'ProtectKernelTunables',
      'ProtectKernelModules',
      'ProtectControlGroups',
      'RestrictSUIDSGID',
      'LockPersonality',
    ])
      expect(one(key), key).toBe('yes');
    expect(one('SystemCallFilter')).toBe('@system-service');
    // V8's JIT needs writable executable memory.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('reloads by SIGHUP, which Anvil always catches', () => {
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
  });
});

describe('packaging/anvil.sysusers and anvil.tmpfiles', () => {
  it('declares the system user anvil, at home in the data directory', () => {
    expect(configLines(read('packaging/anvil.sysusers'))).toEqual([
      ['u', 'anvil', '-', '"Anvil bare-metal provisioning"', '/var/lib/anvil', '/usr/sbin/nologin'],
    ]);
  });

  it('makes the data directory for anvil alone, and /etc/anvil readable by its group', () => {
    const lines = configLines(read('packaging/anvil.tmpfiles'));
    expect(lines).toContainEqual(['d', '/var/lib/anvil', '0750', 'anvil', 'anvil', '-']);
    expect(lines).toContainEqual(['d', '/etc/anvil', '0750', 'root', 'anvil', '-']);
    expect(lines.every((fields) => fields[0] === 'd')).toBe(true);
  });
});

describe('the container image and the unit', () => {
  it('use the same data directory', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/ANVIL_DATA_DIR=\/var\/lib\/anvil\b/);
    expect(dockerfile).toMatch(/^VOLUME \/var\/lib\/anvil$/m);
  });
});

/** The ANVIL_* names a settings table declares. */
function settingNames(table: SettingsTable): string[] {
  return Object.values(table).flatMap((entry) => (entry instanceof Setting ? [entry.spec.env] : settingNames(entry)));
}

/** `KEY=value` lines of an environment file; `commented` also takes `#KEY=value`. */
function envFile(text: string, commented = false): Record<string, string> {
  const line = commented ? /^#?(ANVIL_[A-Z0-9_]+)=(.*)$/ : /^(ANVIL_[A-Z0-9_]+)=(.*)$/;
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => line.exec(l.trim()))
      .filter((m) => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}

describe('the ANVIL_* settings the packaging sets', () => {
  const known = new Set(settingNames(settings));
  /** anvil-init's own (packaging/container/anvil-init), not Anvil's. */
  const initOnly = (name: string) => name.startsWith('ANVIL_INIT');

  it('are all settings Anvil knows, or anvil-init its own', () => {
    const dockerfileEnv = [...read('Dockerfile').matchAll(/\b(ANVIL_[A-Z0-9_]+)=/g)].map((m) => m[1]!);
    const composeEnv = [...read('docker-compose.yml').matchAll(/^\s*#?\s*(ANVIL_[A-Z0-9_]+):/gm)].map((m) => m[1]!);
    const unitEnv = [...read('packaging/anvil.service').matchAll(/\b(ANVIL_[A-Z0-9_]+)=/g)].map((m) => m[1]!);
    const exampleEnv = Object.keys(envFile(read('packaging/anvil.env'), true));
    for (const name of [...dockerfileEnv, ...composeEnv, ...unitEnv, ...exampleEnv])
      expect(known.has(name) || initOnly(name), name).toBe(true);
    expect(composeEnv).toContain('ANVIL_DATABASE_URL');
    expect(exampleEnv).toContain('ANVIL_SECRET_KEY');
  });

  it("load as a configuration that may serve the API on every address: the image's defaults", () => {
    const env = Object.fromEntries(
      [...read('Dockerfile').matchAll(/\b(ANVIL_[A-Z0-9_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]),
    );
    const config = loadConfig(env, undefined);
    expect(config).toMatchObject({ auth: 'basic', api: { host: '0.0.0.0' } });
    expect(config.tls.cert).toBe('/var/lib/anvil/tls/tls.crt');
    expect(() => checkApiExposure(config)).not.toThrow();
  });

  it('load as such a configuration: the example /etc/anvil/anvil.env with the unit', () => {
    const unitEnv = Object.fromEntries(
      [...read('packaging/anvil.service').matchAll(/\b(ANVIL_[A-Z0-9_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]),
    );
    const config = loadConfig({ ...unitEnv, ...envFile(read('packaging/anvil.env')) }, undefined);
    expect(config).toMatchObject({ auth: 'basic', dataDir: '/var/lib/anvil' });
    expect(config.tls.key).toBe('/etc/anvil/tls.key');
    expect(() => checkApiExposure(config)).not.toThrow();
  });
});
