import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../../../server/index.js';
import { loadConfig } from '../../../services/config/index.js';
import { createLogger } from '../../../services/logger.js';

describe('the SQLite database in the data directory is readable by its owner only, as the secret key is', () => {
  let dataDir: string;
  let service: RunningService;
  let umask: number;

  beforeAll(async () => {
    // The usual umask: it leaves files group- and world-readable unless they are created otherwise.
    umask = process.umask(0o022);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-mode-'));
    const config = loadConfig({
      ANVIL_DATA_DIR: dataDir,
      ANVIL_API_PORT: '0',
      ANVIL_HTTP_PORT: '0',
      ANVIL_TFTP_PORT: 'off',
    });
    const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
    service = await startService(config, { log: createLogger('info', quiet) });
  });

  afterAll(async () => {
    await service?.close();
    process.umask(umask);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates anvil.db, its -wal and -shm files and secret.key with mode 0600', async () => {
    // A write, so the write-ahead log holds something.
    const res = await fetch(`${service.url}/v1/nodes`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ driver: 'fake-hardware', driver_info: { redfish_password: 'secret' } }),
    });
    expect(res.status).toBe(201);
    const files = ['anvil.db', 'anvil.db-wal', 'anvil.db-shm', 'secret.key'];
    for (const file of files) {
      const full = path.join(dataDir, file);
      expect(existsSync(full), file).toBe(true);
      expect((statSync(full).mode & 0o777).toString(8), file).toBe('600');
    }
  });
});
