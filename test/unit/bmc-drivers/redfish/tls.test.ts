import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedfish, getPowerState, RedfishConnectionError } from '../../../../bmc-drivers/redfish/index.js';
import { createFleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';

const credentials = { username: 'admin', password: 'password' };
let dir: string;
let cert: Buffer;
let sim: RedfishSim;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anvil-redfish-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore', timeout: 20_000 },
  );
  cert = readFileSync(join(dir, 'cert.pem'));
  sim = await startRedfishSim({
    fleet: createFleet({ count: 1 }),
    credentials,
    tls: { cert, key: readFileSync(join(dir, 'key.pem')) },
  });
});

afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redfish client over TLS', () => {
  it('verifies a self-signed BMC certificate against the CA option', async () => {
    const system = await connectRedfish(`redfish+${sim.url}/redfish/v1/Systems/sim-0`, credentials, { ca: cert });
    expect(await getPowerState(system)).toBe('power off');
    await system.client.close();
  });

  it('refuses the same certificate without the CA', async () => {
    const err = await connectRedfish(`redfish+${sim.url}/redfish/v1/Systems/sim-0`, credentials).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RedfishConnectionError);
    expect((err as RedfishConnectionError).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('accepts it when verification is explicitly turned off', async () => {
    const system = await connectRedfish(`redfish+${sim.url}/redfish/v1/Systems/sim-0`, credentials, { insecure: true });
    expect(await getPowerState(system)).toBe('power off');
    await system.client.close();
  });
});
