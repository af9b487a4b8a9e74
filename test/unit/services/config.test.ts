import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkApiExposure, ConfigError, loadConfig } from '../../../services/config.js';

function tempFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'anvil-cfg-')), 'anvil.yaml');
  writeFileSync(file, text);
  return file;
}

describe('configuration', () => {
  it('defaults to loopback:6385 and an SQLite file in ./var', () => {
    const c = loadConfig({});
    expect(c.api).toEqual({ host: '127.0.0.1', port: 6385, maxLimit: 1000 });
    expect(c.dataDir).toBe(path.resolve('./var'));
    expect(c.database.url).toBe(`sqlite:${path.resolve('./var/anvil.db')}`);
    expect(c.auth).toBe('none');
  });

  it('reads ANVIL_* variables into typed values', () => {
    const c = loadConfig({
      ANVIL_API_PORT: '7000',
      ANVIL_DATABASE_URL: 'postgres://db/anvil',
      ANVIL_DATA_DIR: '/tmp/anvil-x',
      ANVIL_LOG_LEVEL: 'debug',
      ANVIL_CONDUCTOR_WORKERS: '12',
    });
    expect(c.api.port).toBe(7000);
    expect(c.database.url).toBe('postgres://db/anvil');
    expect(c.dataDir).toBe('/tmp/anvil-x');
    expect(c.logLevel).toBe('debug');
    expect(c.conductor.workers).toBe(12);
  });

  it('reads a YAML file, with the environment taking precedence', () => {
    const file = tempFile('api:\n  port: 7100\n  max_limit: 50\nlog_level: warn\n');
    const c = loadConfig({ ANVIL_CONFIG: file, ANVIL_LOG_LEVEL: 'error' });
    expect(c.api.port).toBe(7100);
    expect(c.api.maxLimit).toBe(50);
    expect(c.logLevel).toBe('error');
  });

  it.each([
    [{ ANVIL_API_PORT: 'http' }, 'ANVIL_API_PORT'],
    [{ ANVIL_API_PORT: '70000' }, 'ANVIL_API_PORT'],
    [{ ANVIL_LOG_LEVEL: 'loud' }, 'ANVIL_LOG_LEVEL'],
    [{ ANVIL_AUTH: 'basic' }, 'ANVIL_AUTH'],
    [{ ANVIL_CONDUCTOR_WORKERS: '0' }, 'ANVIL_CONDUCTOR_WORKERS'],
  ])('refuses %j with a message naming it', (env, text) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(text);
  });

  it('refuses unknown keys, bad YAML and a missing file', () => {
    expect(() => loadConfig({ ANVIL_CONFIG: tempFile('colour: blue\n') })).toThrow(/colour|Unrecognized/);
    expect(() => loadConfig({ ANVIL_CONFIG: tempFile('api: [1\n') })).toThrow('not valid YAML');
    expect(() => loadConfig({ ANVIL_CONFIG: '/nonexistent/anvil.yaml' })).toThrow('cannot read config file');
    expect(() => loadConfig({ ANVIL_CONFIG: tempFile('- a\n- b\n') })).toThrow('mapping');
  });

  it('refuses to serve the API without auth off loopback, and accepts loopback hosts', () => {
    expect(() => checkApiExposure(loadConfig({ ANVIL_API_HOST: '0.0.0.0' }))).toThrow(
      'refused while the API listens on 0.0.0.0',
    );
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) {
      expect(() => checkApiExposure(loadConfig({ ANVIL_API_HOST: host }))).not.toThrow();
    }
  });
});
