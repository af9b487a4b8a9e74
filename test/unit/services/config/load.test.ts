import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkApiExposure, ConfigError, loadConfig } from '../../../../services/config/index.js';

function tempFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'anvil-cfg-')), 'anvil.yaml');
  writeFileSync(file, text);
  return file;
}

describe('configuration', () => {
  it('defaults to loopback:6385 and an SQLite file in ./var', () => {
    const c = loadConfig({});
    expect(c.api).toEqual({ host: '127.0.0.1', port: 6385, maxLimit: 1000, uiDir: null });
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

  it('advertises the host name for a conductor RPC that listens on a wildcard address', () => {
    expect(loadConfig({ ANVIL_CONDUCTOR_RPC_HOST: '0.0.0.0' }).conductor.rpcAdvertiseHost).toBe(os.hostname());
    expect(
      loadConfig({ ANVIL_CONDUCTOR_RPC_HOST: '::', ANVIL_CONDUCTOR_RPC_ADVERTISE_HOST: 'c1.mgmt' }).conductor
        .rpcAdvertiseHost,
    ).toBe('c1.mgmt');
  });

  it('keeps the documented defaults', () => {
    const c = loadConfig({});
    expect(c.secretKey).toBeNull();
    expect(c.logLevel).toBe('info');
    expect(c.bmc).toEqual({ attemptTimeoutSeconds: 60, attempts: 3, retryDelaySeconds: 1, maxConcurrent: 64 });
    expect(c.conductor).toEqual({
      name: os.hostname(),
      group: '',
      rpcHost: '127.0.0.1',
      rpcPort: 0,
      rpcAdvertiseHost: '127.0.0.1',
      workers: 100,
      heartbeatIntervalSeconds: 10,
      heartbeatTimeoutSeconds: 60,
      sweepIntervalSeconds: 2,
      powerTimeoutSeconds: 60,
      biosApplyTimeoutSeconds: 900,
      automatedClean: true,
      inspectAddPorts: 'all',
      powerSyncIntervalSeconds: 120,
      powerSyncWorkers: 8,
      powerSyncMaxRetries: 3,
      forcePowerStateDuringSync: true,
      enableHealthMonitoring: true,
      powerFailureRecoveryIntervalSeconds: 300,
      checkProvisionStateIntervalSeconds: 60,
      deployCallbackTimeoutSeconds: 1800,
      inspectWaitTimeoutSeconds: 1800,
      cleanCallbackTimeoutSeconds: 1800,
      rescueCallbackTimeoutSeconds: 1800,
    });
    expect(c.boot).toEqual({
      httpHost: '127.0.0.1',
      httpPort: 8080,
      publicUrl: null,
      apiPublicUrl: null,
      imagesDir: path.resolve('./var/images'),
      bootFilesDir: path.resolve('./var/boot'),
      tftpPort: 69,
      tftpRoot: '/usr/lib/ipxe',
      tftpMaxTransfersPerClient: 8,
      tftpFirstAckTimeoutSeconds: 5,
      biosBootFile: 'undionly.kpxe',
      uefiBootFile: 'ipxe.efi',
      uefiArm64BootFile: 'arm64/ipxe.efi',
      dhcpMode: 'off',
      dhcpInterface: null,
    });
    expect(c.agentImages).toEqual({
      deployKernel: null,
      deployRamdisk: null,
      deployKernelByArch: {},
      deployRamdiskByArch: {},
      rescueKernel: null,
      rescueRamdisk: null,
      rescueKernelByArch: {},
      rescueRamdiskByArch: {},
    });
    expect(c.agent).toEqual({ heartbeatTimeoutSeconds: 300, commandTimeoutSeconds: 60 });
  });

  it('derives the boot host from the API host and the directories from the data directory', () => {
    const c = loadConfig({ ANVIL_API_HOST: '10.0.0.5', ANVIL_DATA_DIR: '/srv/anvil', ANVIL_BOOT_FILES_DIR: 'boot' });
    expect(c.boot.httpHost).toBe('10.0.0.5');
    expect(c.database.url).toBe('sqlite:/srv/anvil/anvil.db');
    expect(c.boot.imagesDir).toBe('/srv/anvil/images');
    expect(c.boot.bootFilesDir).toBe(path.resolve('boot'));
    expect(loadConfig({ ANVIL_API_HOST: '10.0.0.5', ANVIL_HTTP_HOST: '10.0.1.5' }).boot.httpHost).toBe('10.0.1.5');
  });

  it('reads off as no TFTP server, words as booleans, and a conductor group in lower case', () => {
    const c = loadConfig({
      ANVIL_TFTP_PORT: 'off',
      ANVIL_AUTOMATED_CLEAN: 'false',
      ANVIL_FORCE_POWER_STATE_DURING_SYNC: 'no',
      ANVIL_CONDUCTOR_GROUP: 'Rack-A',
    });
    expect(c.boot.tftpPort).toBeNull();
    expect(c.conductor.automatedClean).toBe(false);
    expect(c.conductor.forcePowerStateDuringSync).toBe(false);
    expect(c.conductor.group).toBe('rack-a');
  });

  it('ignores empty variables, as if unset', () => {
    const file = tempFile('api:\n  port: 7100\n');
    expect(loadConfig({ ANVIL_CONFIG: file, ANVIL_API_PORT: '' }).api.port).toBe(7100);
  });

  it('names the environment variable when a value from the file is invalid', () => {
    const file = tempFile('conductor:\n  workers: none\n');
    expect(() => loadConfig({ ANVIL_CONFIG: file })).toThrow('invalid configuration ANVIL_CONDUCTOR_WORKERS: ');
  });

  it('refuses settings that contradict each other', () => {
    expect(() => loadConfig({ ANVIL_CONDUCTOR_HEARTBEAT_TIMEOUT: '10' })).toThrow(
      'invalid configuration ANVIL_CONDUCTOR_HEARTBEAT_TIMEOUT: must be longer than ANVIL_CONDUCTOR_HEARTBEAT_INTERVAL',
    );
    expect(() => loadConfig({ ANVIL_DHCP_MODE: 'proxy' })).toThrow(
      'invalid configuration ANVIL_DHCP_INTERFACE: DHCP needs the interface to serve, e.g. eth1',
    );
    expect(loadConfig({ ANVIL_DHCP_MODE: 'proxy', ANVIL_DHCP_INTERFACE: 'eth1' }).boot.dhcpInterface).toBe('eth1');
  });

  it('refuses an unknown key inside a group, and a group that is not a mapping', () => {
    expect(() => loadConfig({ ANVIL_CONFIG: tempFile('api:\n  colour: blue\n') })).toThrow('unknown key "api.colour"');
    expect(() => loadConfig({ ANVIL_CONFIG: tempFile('bmc: 5\n') })).toThrow('"bmc" must hold a mapping');
  });

  it('refuses to serve the API without auth off loopback, and accepts loopback hosts', () => {
    expect(() => checkApiExposure(loadConfig({ ANVIL_API_HOST: '0.0.0.0' }))).toThrow(
      'refused while the API listens on 0.0.0.0',
    );
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '::ffff:127.0.0.1']) {
      expect(() => checkApiExposure(loadConfig({ ANVIL_API_HOST: host }))).not.toThrow();
    }
  });
});
