// The BMC side of RMCP+ session establishment (IPMI v2.0 sections 13.17 to
// 13.23): Open Session Request/Response and RAKP messages 1 to 4.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { deriveKeys, hmac, icvLength, type SimCipherSuite } from './crypto.js';
import type { SessionTable, SimSession } from './sessions.js';
import { MalformedPacket, Reader } from './wire.js';

export interface HandshakeContext {
  sessions: SessionTable;
  suites: readonly SimCipherSuite[];
  username: Buffer;
  kuid: Buffer;
  /** BMC key; the user key serves when absent. */
  kg: Buffer | undefined;
  guid: Buffer;
  refuseAuth: boolean;
  now: number;
  /** Called when a session becomes active (not again for a retransmitted RAKP 3). */
  onActivated(): void;
}

// RMCP+ status codes (Table 13-15).
const STATUS = {
  ok: 0x00,
  insufficientResources: 0x01,
  invalidSessionId: 0x02,
  invalidRole: 0x09,
  unauthorizedName: 0x0d,
  invalidIntegrityCheckValue: 0x0f,
  noCipherSuiteMatch: 0x11,
  illegalParameter: 0x12,
} as const;

const ADMINISTRATOR = 4;
const USER = 2;

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0, 0);
  return b;
}

/** Tag, status, two reserved bytes and a session ID: how every RMCP+ reply starts, and all of an error reply. */
function head(tag: number, status: number, sessionId: number): Buffer {
  return Buffer.concat([Buffer.from([tag, status, 0, 0]), u32(sessionId)]);
}

function readAlgorithm(r: Reader, type: number): number {
  const payloadType = r.u8();
  r.bytes(2);
  const length = r.u8();
  const algorithm = r.u8() & 0x3f;
  r.bytes(3);
  if (payloadType !== type || length !== 8) throw new MalformedPacket('algorithm payload');
  return algorithm;
}

/** Open Session Request (Table 13-9) to Open Session Response (Table 13-10). */
export function openSession(payload: Buffer, remote: string, ctx: HandshakeContext): Buffer {
  const r = new Reader(payload);
  const tag = r.u8();
  const requested = r.u8() & 0x0f;
  r.bytes(2);
  const consoleSessionId = r.u32le();
  const authentication = readAlgorithm(r, 0x00);
  const integrity = readAlgorithm(r, 0x01);
  const confidentiality = readAlgorithm(r, 0x02);
  if (consoleSessionId === 0) return head(tag, STATUS.illegalParameter, 0);
  if (requested > ADMINISTRATOR) return head(tag, STATUS.invalidRole, consoleSessionId);
  const suite = ctx.suites.find(
    (s) => s.authentication === authentication && s.integrity === integrity && s.confidentiality === confidentiality,
  );
  if (suite === undefined) return head(tag, STATUS.noCipherSuiteMatch, consoleSessionId);
  const maxPrivilege = requested === 0 ? ADMINISTRATOR : requested;
  // A retransmitted request reuses the half-open session instead of taking another slot.
  let session: SimSession | undefined = ctx.sessions.findPending(remote, consoleSessionId);
  if (session !== undefined) {
    Object.assign(session, { suite, maxPrivilege, state: 'opened', lastActivity: ctx.now });
  } else {
    session = ctx.sessions.open(
      {
        consoleSessionId,
        remote,
        suite,
        maxPrivilege,
        state: 'opened',
        role: 0,
        username: Buffer.alloc(0),
        consoleRandom: Buffer.alloc(0),
        bmcRandom: Buffer.alloc(0),
        keys: undefined,
        privilege: USER,
        outboundSeq: 0,
        highestInboundSeq: 0,
        recentInboundSeqs: new Set(),
        lastActivity: ctx.now,
        lastExchange: undefined,
      },
      ctx.now,
    );
  }
  if (session === undefined) return head(tag, STATUS.insufficientResources, consoleSessionId);
  const algorithms = Buffer.from([
    0x00,
    0,
    0,
    8,
    authentication,
    0,
    0,
    0,
    0x01,
    0,
    0,
    8,
    integrity,
    0,
    0,
    0,
    0x02,
    0,
    0,
    8,
    confidentiality,
    0,
    0,
    0,
  ]);
  return Buffer.concat([
    Buffer.from([tag, STATUS.ok, maxPrivilege, 0]),
    u32(consoleSessionId),
    u32(session.bmcSessionId),
    algorithms,
  ]);
}

/** RAKP 1 (Table 13-11) to RAKP 2 (Table 13-12). */
export function rakp1(payload: Buffer, ctx: HandshakeContext): Buffer {
  const r = new Reader(payload);
  const tag = r.u8();
  r.bytes(3);
  const bmcSessionId = r.u32le();
  const consoleRandom = r.bytes(16);
  const role = r.u8();
  r.bytes(2);
  const username = r.bytes(r.u8());
  const session = ctx.sessions.get(bmcSessionId, ctx.now);
  if (session === undefined || session.state === 'active') return head(tag, STATUS.invalidSessionId, 0);
  const requested = role & 0x0f;
  if (requested < 1 || requested > ADMINISTRATOR) return head(tag, STATUS.invalidRole, session.consoleSessionId);
  if (ctx.refuseAuth || !username.equals(ctx.username)) {
    ctx.sessions.delete(bmcSessionId);
    return head(tag, STATUS.unauthorizedName, session.consoleSessionId);
  }
  const bmcRandom = randomBytes(16);
  Object.assign(session, {
    role,
    username,
    consoleRandom,
    bmcRandom,
    maxPrivilege: Math.min(session.maxPrivilege, requested),
    state: 'rakp2-sent',
    lastActivity: ctx.now,
  });
  // HMAC_Kuid(SIDm, SIDc, Rm, Rc, GUIDc, ROLEm, ULENGTHm, UNAMEm), section 13.31.
  const code = hmac(
    session.suite,
    ctx.kuid,
    Buffer.concat([
      u32(session.consoleSessionId),
      u32(bmcSessionId),
      consoleRandom,
      bmcRandom,
      ctx.guid,
      Buffer.from([role, username.length]),
      username,
    ]),
  );
  return Buffer.concat([head(tag, STATUS.ok, session.consoleSessionId), bmcRandom, ctx.guid, code]);
}

/** RAKP 3 (Table 13-13) to RAKP 4 (Table 13-14); undefined when the console reported an error. */
export function rakp3(payload: Buffer, ctx: HandshakeContext): Buffer | undefined {
  const r = new Reader(payload);
  const tag = r.u8();
  const status = r.u8();
  r.bytes(2);
  const bmcSessionId = r.u32le();
  const code = r.rest();
  const session = ctx.sessions.get(bmcSessionId, ctx.now);
  if (session === undefined || session.state === 'opened') return head(tag, STATUS.invalidSessionId, 0);
  if (status !== STATUS.ok) {
    ctx.sessions.delete(bmcSessionId);
    return undefined;
  }
  // HMAC_Kuid(Rc, SIDm, ROLEm, ULENGTHm, UNAMEm)
  const expected = hmac(
    session.suite,
    ctx.kuid,
    Buffer.concat([
      session.bmcRandom,
      u32(session.consoleSessionId),
      Buffer.from([session.role, session.username.length]),
      session.username,
    ]),
  );
  if (expected.length !== code.length || !timingSafeEqual(expected, code)) {
    if (session.state !== 'active') ctx.sessions.delete(bmcSessionId);
    return head(tag, STATUS.invalidIntegrityCheckValue, session.consoleSessionId);
  }
  // A retransmitted RAKP 3 (its RAKP 4 was lost) is answered again without new keys.
  if (session.keys === undefined) {
    session.keys = deriveKeys(
      session.suite,
      ctx.kg ?? ctx.kuid,
      session.consoleRandom,
      session.bmcRandom,
      session.role,
      session.username,
    );
    session.privilege = Math.min(USER, session.maxPrivilege);
    ctx.onActivated();
  }
  session.state = 'active';
  session.lastActivity = ctx.now;
  // HMAC_SIK(Rm, SIDc, GUIDc), truncated.
  const icv = hmac(
    session.suite,
    session.keys.sik,
    Buffer.concat([session.consoleRandom, u32(bmcSessionId), ctx.guid]),
  ).subarray(0, icvLength(session.suite));
  return Buffer.concat([head(tag, STATUS.ok, session.consoleSessionId), icv]);
}
