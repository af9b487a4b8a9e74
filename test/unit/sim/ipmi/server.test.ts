// The simulated BMC, packet by packet through handle().
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CIPHER_SUITES } from '../../../../bmc-drivers/ipmi/cipher-suites.js';
import {
  chassisControl,
  closeSession,
  getBootFlags,
  getChassisStatus,
  setBootFlags,
  type IpmiCommand,
} from '../../../../bmc-drivers/ipmi/commands.js';
import { NetFn, encodeRequestMessage } from '../../../../bmc-drivers/ipmi/message.js';
import { encodePresessionMessage, encodeSessionSetupPayload } from '../../../../bmc-drivers/ipmi/packet.js';
import { encodeOpenSessionRequest, encodeRakp1 } from '../../../../bmc-drivers/ipmi/rakp.js';
import { encodeAsfPing } from '../../../../bmc-drivers/ipmi/rmcp.js';
import { sessionAttempt } from '../../../../bmc-drivers/ipmi/session.js';
import { PayloadType } from '../../../../bmc-drivers/ipmi/session-header.js';
import { IpmiSimServer, IpmiTargetRefusal, type IpmiSimOptions } from '../../../../sim/ipmi/index.js';
import { CONSOLE, openInProcessSession, request } from './in-process-console.js';
import { MemoryTarget } from './memory-target.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const sims: IpmiSimServer[] = [];

afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

/** A sim that is never bound to a port: everything goes through handle(). */
function sim(options: Partial<IpmiSimOptions> = {}): { sim: IpmiSimServer; target: MemoryTarget } {
  const target = new MemoryTarget();
  const server = new IpmiSimServer({ target, username: 'admin', password: 'pw', ...options });
  sims.push(server);
  return { sim: server, target };
}

const raw = (netFn: number, cmd: number, data: number[]): IpmiCommand<Buffer> => ({
  name: `raw ${netFn}/${cmd}`,
  netFn,
  cmd,
  data: Buffer.from(data),
  decode: (d) => d,
});

describe('session-less answers', () => {
  it('answers an ASF presence ping with a pong announcing IPMI', async () => {
    const reply = await sim().sim.handle(encodeAsfPing(0x2a), CONSOLE);
    expect(reply).toEqual(hex('06 00 ff 06  00 00 11 be 40 2a 00 10  00 00 11 be 00 00 00 00 81 00 00 00 00 00 00 00'));
  });

  it('answers Get Channel Authentication Capabilities in the IPMI 1.5 wrapper: RMCP+ only', async () => {
    const datagram = encodePresessionMessage(
      encodeRequestMessage({ netFn: NetFn.app, cmd: 0x38, rqSeq: 0, data: hex('8e 04') }),
    );
    const reply = await sim().sim.handle(datagram, CONSOLE);
    expect(reply).toEqual(hex('06 00 ff 07 00 00000000 00000000 10  81 1c 63 20 00 38 00 01 80 04 02 00 00 00 00 21'));
  });

  it('lists cipher suites 3 and 17 in 16-byte pages (Table 22-19)', async () => {
    const { sim: s } = sim();
    const page = async (index: number): Promise<Buffer | undefined> =>
      s.handle(
        encodeSessionSetupPayload(
          PayloadType.ipmiMessage,
          encodeRequestMessage({
            netFn: NetFn.app,
            cmd: 0x54,
            rqSeq: 1,
            data: Buffer.from([0x0e, 0x00, 0x80 | index]),
          }),
        ),
        CONSOLE,
      );
    // IPMI 2.0 header of 16 bytes, then rqAddr..cc (7 bytes), channel, records, checksum.
    expect((await page(0))?.subarray(23, -1)).toEqual(hex('01  c0 03 01 41 81  c0 11 03 44 81'));
    expect((await page(1))?.subarray(23, -1)).toEqual(hex('01'));
  });

  it('drops in-session commands sent without a session', async () => {
    const { sim: s } = sim();
    const datagram = encodePresessionMessage(
      encodeRequestMessage({ netFn: NetFn.chassis, cmd: 0x02, rqSeq: 0, data: hex('01') }),
    );
    expect(await s.handle(datagram, CONSOLE)).toBeUndefined();
    expect(s.stats.dropped.unsupported).toBe(1);
  });
});

describe('session establishment', () => {
  it('answers an Open Session Request with "no cipher suite match" for suites it does not offer', async () => {
    const request = encodeOpenSessionRequest({
      messageTag: 7,
      maxPrivilege: 4,
      consoleSessionId: 0x11223344,
      suite: CIPHER_SUITES[0],
    });
    const reply = await sim().sim.handle(encodeSessionSetupPayload(PayloadType.openSessionRequest, request), CONSOLE);
    expect(reply?.subarray(16)).toEqual(hex('07 11 00 00 44 33 22 11'));
  });

  it('answers RAKP 1 for an unknown session with "invalid session ID" and an unknown user with "unauthorized name"', async () => {
    const { sim: s } = sim();
    const rakp1 = (bmcSessionId: number, username: string): Buffer =>
      encodeSessionSetupPayload(
        PayloadType.rakp1,
        encodeRakp1({
          messageTag: 1,
          bmcSessionId,
          consoleRandom: randomBytes(16),
          role: 0x14,
          username: Buffer.from(username),
        }),
      );
    expect((await s.handle(rakp1(0x55, 'admin'), CONSOLE))?.subarray(16, 18)).toEqual(hex('01 02'));
    const open = await s.handle(
      encodeSessionSetupPayload(
        PayloadType.openSessionRequest,
        encodeOpenSessionRequest({ messageTag: 2, maxPrivilege: 4, consoleSessionId: 9, suite: CIPHER_SUITES[3] }),
      ),
      CONSOLE,
    );
    const bmcSessionId = open?.readUInt32LE(16 + 8) ?? 0;
    expect((await s.handle(rakp1(bmcSessionId, 'mallory'), CONSOLE))?.subarray(16, 18)).toEqual(hex('01 0d'));
  });

  it('opens sessions for cipher suites 3 and 17 and counts them', async () => {
    const { sim: s } = sim();
    await openInProcessSession(s, 'admin', 'pw', 3);
    await openInProcessSession(s, 'admin', 'pw', 17);
    expect(s.stats.sessionsOpened).toBe(2);
    expect(s.activeSessions).toBe(2);
  });

  it('reuses the half-open session of a retransmitted Open Session Request', async () => {
    const { sim: s } = sim();
    const datagram = encodeSessionSetupPayload(
      PayloadType.openSessionRequest,
      encodeOpenSessionRequest({ messageTag: 2, maxPrivilege: 4, consoleSessionId: 9, suite: CIPHER_SUITES[3] }),
    );
    const first = await s.handle(datagram, CONSOLE);
    const second = await s.handle(datagram, CONSOLE);
    expect(second?.readUInt32LE(24)).toBe(first?.readUInt32LE(24));
    expect(s.activeSessions).toBe(1);
  });
});

describe('inside a session', () => {
  it('drops a replayed packet and a tampered one', async () => {
    const { sim: s, target } = sim();
    const session = await openInProcessSession(s, 'admin', 'pw');
    const attempt = sessionAttempt(session, chassisControl('on'), session.nextRqSeq(), randomBytes(16));
    expect(await s.handle(attempt.datagram, CONSOLE)).toBeDefined();
    expect(await s.handle(attempt.datagram, CONSOLE)).toBeUndefined();
    expect(s.stats.dropped.replay).toBe(1);
    const tampered = Buffer.from(
      sessionAttempt(session, chassisControl('off'), session.nextRqSeq(), randomBytes(16)).datagram,
    );
    tampered[30] = (tampered[30] ?? 0) ^ 0xff;
    expect(await s.handle(tampered, CONSOLE)).toBeUndefined();
    expect(s.stats.dropped.integrity).toBe(1);
    expect(target.actions).toEqual(['on']);
  });

  it('answers a retransmitted request again without acting twice', async () => {
    const { sim: s, target } = sim();
    const session = await openInProcessSession(s, 'admin', 'pw');
    const rqSeq = session.nextRqSeq();
    for (let i = 0; i < 3; i++) {
      const reply = await s.handle(
        sessionAttempt(session, chassisControl('cycle'), rqSeq, randomBytes(16)).datagram,
        CONSOLE,
      );
      expect(reply).toBeDefined();
    }
    expect(target.actions).toEqual(['cycle']);
  });

  it('keeps boot flags on the target and refuses devices a simulated host lacks', async () => {
    const { sim: s, target } = sim();
    const session = await openInProcessSession(s, 'admin', 'pw');
    expect(
      (await request(s, session, setBootFlags({ valid: true, persistent: true, mode: 'efi', device: 'cdrom' })))
        .completionCode,
    ).toBe(0);
    expect(target.bootFlags).toEqual({ valid: true, persistent: true, mode: 'efi', device: 'cdrom' });
    expect((await request(s, session, getBootFlags())).data).toEqual(hex('01 05 e0 14 00 00 00'));
    expect(
      (await request(s, session, setBootFlags({ valid: true, persistent: false, mode: 'legacy', device: 'floppy' })))
        .completionCode,
    ).toBe(0xcc);
    expect((await request(s, session, raw(NetFn.chassis, 0x08, [0x07, 0]))).completionCode).toBe(0x80);
    expect((await request(s, session, raw(NetFn.chassis, 0x08, [0x03, 0x08]))).completionCode).toBe(0);
    expect((await request(s, session, raw(NetFn.chassis, 0x09, [0x03, 0, 0]))).data).toEqual(hex('01 03 08'));
  });

  it('answers an unknown command with C1h and a short request with C7h', async () => {
    const { sim: s } = sim();
    const session = await openInProcessSession(s, 'admin', 'pw');
    expect((await request(s, session, raw(NetFn.app, 0x99, []))).completionCode).toBe(0xc1);
    expect((await request(s, session, raw(NetFn.chassis, 0x02, []))).completionCode).toBe(0xc7);
  });

  it('turns a target refusal into its completion code and any other target failure into FFh', async () => {
    const { sim: s, target } = sim();
    const session = await openInProcessSession(s, 'admin', 'pw');
    target.chassisControl = () => {
      throw new IpmiTargetRefusal(0xd5, 'not in this state');
    };
    expect((await request(s, session, chassisControl('cycle'))).completionCode).toBe(0xd5);
    target.getPower = () => {
      throw new Error('host model broke');
    };
    expect((await request(s, session, getChassisStatus())).completionCode).toBe(0xff);
  });

  it('forgets the session on Close Session', async () => {
    const { sim: s } = sim();
    const session = await openInProcessSession(s, 'admin', 'pw');
    expect((await request(s, session, closeSession(session.bmcSessionId))).completionCode).toBe(0);
    expect(s.activeSessions).toBe(0);
    const after = sessionAttempt(session, getChassisStatus(), session.nextRqSeq(), randomBytes(16));
    expect(await s.handle(after.datagram, CONSOLE)).toBeUndefined();
    expect(s.stats.dropped['unknown-session']).toBe(1);
  });
});
