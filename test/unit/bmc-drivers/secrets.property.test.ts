// DESIGN decision 10: a BMC password never appears in an error, whatever it is
// and whatever went wrong.
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BmcDriverRegistry, parseDriverInfo, type BmcCallEvent } from '../../../bmc-drivers/index.js';
import { BmcCallGuard } from '../../../bmc-drivers/guard.js';
import { createFleet } from '../../../sim/host/index.js';
import { IpmiSimServer } from '../../../sim/ipmi/index.js';
import { startRedfishSim, type RedfishSim } from '../../../sim/redfish/index.js';
import { MemoryTarget } from '../sim/ipmi/memory-target.js';

/**
 * At most 20 bytes, the IPMI limit; with a digit and a symbol, so that no
 * password is a word that a message contains anyway.
 */
const password = fc
  .stringMatching(/^[A-Za-z0-9!#%&*+,.:;=?@^_~-]{8,20}$/)
  .filter((p) => /\d/.test(p) && /[!#%&*+=?@^_~]/.test(p));

/** What a caller or a logger sees of an error: name, message and every own field. The stack holds only code paths. */
function visible(error: unknown): string {
  const fields = typeof error === 'object' && error !== null ? { ...error } : error;
  return `${String(error)}\n${inspect(fields, { depth: 5 })}\n${JSON.stringify(fields)}`;
}

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

let redfishSim: RedfishSim;
let ipmiSim: IpmiSimServer;

beforeAll(async () => {
  redfishSim = await startRedfishSim({
    fleet: createFleet({ count: 1 }),
    credentials: { username: 'admin', password: 'the-right-one' },
  });
  ipmiSim = await IpmiSimServer.start({ target: new MemoryTarget(), username: 'admin', password: 'the-right-one' });
});

afterAll(async () => {
  await redfishSim.close();
  await ipmiSim.close();
});

describe('no password in any error', () => {
  it('InvalidDriverInfo never carries the password, whichever key is wrong', () => {
    fc.assert(
      fc.property(
        password,
        fc.constantFrom(
          'ipmi_port',
          'ipmi_address',
          'ipmi_priv_level',
          'ipmi_cipher_suite',
          'redfish_address',
          'redfish_auth_type',
        ),
        (secret, badKey) => {
          const driver = badKey.startsWith('ipmi') ? 'ipmi' : 'redfish';
          const info: Record<string, unknown> =
            driver === 'ipmi'
              ? { ipmi_address: '10.0.0.6', ipmi_username: 'admin', ipmi_password: secret, [badKey]: `ftp://${secret}` }
              : {
                  redfish_address: 'https://10.0.0.5',
                  redfish_username: 'admin',
                  redfish_password: secret,
                  [badKey]: `ftp://${secret}`,
                };
          expect(visible(thrown(() => parseDriverInfo(driver, info)))).not.toContain(secret);
        },
      ),
    );
  });

  it('an IPMI password too long to send is refused without echoing it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{21,40}$/), (secret) => {
        const error = thrown(() =>
          parseDriverInfo('ipmi', { ipmi_address: '10.0.0.6', ipmi_username: 'admin', ipmi_password: secret }),
        );
        expect(visible(error)).not.toContain(secret);
      }),
    );
  });

  it('the guard masks a password a BMC repeats back', async () => {
    await fc.assert(
      fc.asyncProperty(password, async (secret) => {
        const guard = new BmcCallGuard({ policy: { attempts: 1 } });
        const error = await guard
          .call({
            driver: 'fake',
            operation: 'apply_bios_settings',
            bmc: '10.0.0.5:443',
            secrets: [secret],
            classify: (e) => ({ kind: 'refused', transient: false, message: (e as Error).message }),
            run: () => Promise.reject(new Error(`attribute AdminPassword: value ${secret} is too weak (${secret})`)),
          })
          .catch((e: unknown) => e);
        expect(visible(error)).not.toContain(secret);
      }),
    );
  });

  it('a Redfish BMC refusing a random password yields an error without it', async () => {
    await fc.assert(
      fc.asyncProperty(password, async (secret) => {
        const events: BmcCallEvent[] = [];
        const driver = new BmcDriverRegistry({ onCall: (e) => events.push(e) }).fromAddress(
          `redfish+${redfishSim.url}/redfish/v1/Systems/sim-0`,
          {
            username: 'admin',
            password: secret,
          },
        );
        const error = await driver.power.getPowerState().catch((e: unknown) => e);
        await driver.close();
        expect(visible(error)).not.toContain(secret);
        expect(visible(events)).not.toContain(secret);
      }),
      { numRuns: 15 },
    );
  });

  it('an IPMI BMC refusing a random password yields an error without it', async () => {
    await fc.assert(
      fc.asyncProperty(password, async (secret) => {
        const driver = new BmcDriverRegistry().fromDriverInfo('ipmi', {
          ipmi_address: '127.0.0.1',
          ipmi_port: ipmiSim.port,
          ipmi_username: 'admin',
          ipmi_password: secret,
        });
        const error = await driver.power.getPowerState().catch((e: unknown) => e);
        await driver.close();
        expect(visible(error)).not.toContain(secret);
      }),
      { numRuns: 10 },
    );
  });
});
