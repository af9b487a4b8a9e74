// An RMCP+ session: establishing it (Get Channel Authentication
// Capabilities, Open Session, RAKP 1-4, Set Session Privilege Level; IPMI
// v2.0 section 13.15) and wrapping requests in it. No sockets here: the
// transport hands in an `Exchange` that sends and retransmits.
import { timingSafeEqual } from 'node:crypto';
import {
  AUTHENTICATION_ALGORITHM_NUMBER,
  CONFIDENTIALITY_ALGORITHM_NUMBER,
  INTEGRITY_ALGORITHM_NUMBER,
  deriveSessionKeys,
  userKey,
  type CipherSuite,
} from './cipher-suites.js';
import { getChannelAuthCapabilities, setSessionPrivilegeLevel, type IpmiCommand } from './commands.js';
import { IpmiAuthError, IpmiCompletionCodeError, IpmiProtocolError, type IpmiError } from './errors.js';
import { decodeResponseMessage, encodeRequestMessage, type ResponseMessage } from './message.js';
import {
  decodeDatagram,
  encodePresessionMessage,
  encodeSessionPacket,
  encodeSessionSetupPayload,
  type SessionSecurity,
} from './packet.js';
import { PRIVILEGE_LEVEL, type IpmiPrivilege } from './privilege.js';
import {
  RMCP_AUTH_STATUSES,
  ROLE_NAME_ONLY_LOOKUP,
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  describeRmcpStatus,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
  rakp2KeyExchangeCode,
  rakp3KeyExchangeCode,
  rakp4IntegrityCheckValue,
  type KeyExchangeContext,
} from './rakp.js';
import { PayloadType } from './session-header.js';

/** One transmission: the datagram and how to recognise its answer. */
export interface Attempt<T> {
  datagram: Buffer;
  /**
   * The decoded answer, or undefined for a datagram that is not it. An
   * IpmiProtocolError means "malformed, keep waiting"; an answer that ends
   * the exchange is thrown as a BmcRefusal.
   */
  accept(reply: Buffer): T | undefined;
}

/** A well-formed answer that ends the exchange with `error` (a refused session, say). */
export class BmcRefusal extends Error {
  constructor(readonly error: IpmiError) {
    super(error.message);
  }
}

/**
 * Sends attempts until one is answered. Each retransmission calls `attempt`
 * again, so it gets a fresh session sequence number or message tag and only
 * the answer to the latest attempt counts.
 */
export type Exchange = <T>(operation: string, attempt: () => Attempt<T>) => Promise<T>;

export interface SessionTransport {
  exchange: Exchange;
  /** Sends once, expecting no answer. */
  send(datagram: Buffer): void;
}

export type RandomBytes = (length: number) => Buffer;

export interface SessionCredentials {
  username: string;
  password: string;
  /** BMC key Kg (up to 20 bytes); the user key is used when absent. */
  kg?: Buffer | undefined;
}

export interface SessionParameters {
  suite: CipherSuite;
  privilege: IpmiPrivilege;
}

const MAX_SEQUENCE = 0xffffffff;
/** RMCP+ status 0Fh, "invalid integrity check value" (Table 13-15). */
const RMCP_STATUS_INVALID_ICV = 0x0f;

export class Session {
  private sessionSeq = 0;
  private rqSeq = 0;

  constructor(
    /** Our session ID: the BMC puts it in the packets it sends us. */
    readonly consoleSessionId: number,
    /** The BMC's session ID: we put it in the packets we send. */
    readonly bmcSessionId: number,
    readonly security: SessionSecurity,
  ) {}

  /** Outbound session sequence numbers start at 1 and skip 0 on wrap (section 6.12.13). */
  nextSessionSeq(): number {
    this.sessionSeq = this.sessionSeq >= MAX_SEQUENCE ? 1 : this.sessionSeq + 1;
    return this.sessionSeq;
  }

  /** 6-bit rqSeq, one per request (retransmissions keep theirs). */
  nextRqSeq(): number {
    this.rqSeq = (this.rqSeq + 1) & 0x3f;
    return this.rqSeq;
  }
}

function matchesResponse(response: ResponseMessage, command: IpmiCommand<unknown>, rqSeq: number): boolean {
  return response.netFn === command.netFn + 1 && response.cmd === command.cmd && response.rqSeq === rqSeq;
}

/** A request outside any session, in the IPMI 1.5 wrapper that every BMC answers. */
export function presessionAttempt(command: IpmiCommand<unknown>, rqSeq: number): Attempt<ResponseMessage> {
  return {
    datagram: encodePresessionMessage(
      encodeRequestMessage({ netFn: command.netFn, cmd: command.cmd, rqSeq, data: command.data }),
    ),
    accept(reply) {
      const packet = decodeDatagram(reply);
      let message: Buffer;
      if (packet.kind === 'v1.5' && packet.sessionId === 0) message = packet.message;
      else if (packet.kind === 'v2.0' && packet.sessionId === 0 && packet.payloadType === PayloadType.ipmiMessage)
        message = packet.payload;
      else return undefined;
      const response = decodeResponseMessage(message);
      return matchesResponse(response, command, rqSeq) ? response : undefined;
    },
  };
}

/** A request inside the session; `iv` feeds AES-CBC when the suite encrypts. */
export function sessionAttempt(
  session: Session,
  command: IpmiCommand<unknown>,
  rqSeq: number,
  iv: Buffer,
): Attempt<ResponseMessage> {
  const message = encodeRequestMessage({ netFn: command.netFn, cmd: command.cmd, rqSeq, data: command.data });
  return {
    datagram: encodeSessionPacket(
      session.security,
      {
        sessionId: session.bmcSessionId,
        sessionSeq: session.nextSessionSeq(),
        payloadType: PayloadType.ipmiMessage,
        payload: message,
      },
      iv,
    ),
    accept(reply) {
      const packet = decodeDatagram(reply, session.security);
      if (
        packet.kind !== 'v2.0' ||
        packet.sessionId !== session.consoleSessionId ||
        packet.payloadType !== PayloadType.ipmiMessage
      ) {
        return undefined;
      }
      const response = decodeResponseMessage(packet.payload);
      return matchesResponse(response, command, rqSeq) ? response : undefined;
    },
  };
}

/** The decoded response data, or IpmiCompletionCodeError. */
export function completeCommand<T>(command: IpmiCommand<T>, response: ResponseMessage): T {
  if (response.completionCode !== 0) throw new IpmiCompletionCodeError(response.completionCode, command.name);
  return command.decode(response.data);
}

function refusal(step: string, status: number): BmcRefusal {
  const message = `${step} refused by the BMC: ${describeRmcpStatus(status)} (RMCP+ status 0x${status.toString(16).padStart(2, '0')})`;
  return new BmcRefusal(
    RMCP_AUTH_STATUSES.has(status) ? new IpmiAuthError(message, status) : new IpmiProtocolError(message),
  );
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function v20Payload(reply: Buffer, payloadType: PayloadType): Buffer | undefined {
  const packet = decodeDatagram(reply);
  return packet.kind === 'v2.0' && packet.sessionId === 0 && packet.payloadType === payloadType
    ? packet.payload
    : undefined;
}

/**
 * Establishes a session and raises it to the requested privilege. Throws
 * IpmiAuthError when the BMC refuses the credentials or its key exchange
 * codes do not verify, IpmiProtocolError when it offers no IPMI v2.0.
 */
export async function establishSession(
  transport: SessionTransport,
  credentials: SessionCredentials,
  parameters: SessionParameters,
  randomBytes: RandomBytes,
): Promise<Session> {
  const { suite, privilege } = parameters;
  const { exchange } = transport;
  const kuid = userKey(credentials.password);
  const username = Buffer.from(credentials.username, 'utf8');
  let messageTag = randomBytes(1).readUInt8(0);
  const nextTag = (): number => (messageTag = (messageTag + 1) & 0xff);

  const capsCommand = getChannelAuthCapabilities(privilege);
  const capsRqSeq = randomBytes(1).readUInt8(0) & 0x3f;
  const caps = completeCommand(
    capsCommand,
    await exchange(capsCommand.name, () => presessionAttempt(capsCommand, capsRqSeq)),
  );
  if (!caps.supportsIpmi20) {
    throw new IpmiProtocolError('the BMC offers no IPMI v2.0 (RMCP+) sessions, and IPMI 1.5 sessions are refused');
  }

  const consoleSessionId = (randomBytes(4).readUInt32LE(0) | 1) >>> 0; // never 0: 0 means "no session"
  const opened = await exchange('Open Session Request', () => {
    const tag = nextTag();
    return {
      datagram: encodeSessionSetupPayload(
        PayloadType.openSessionRequest,
        encodeOpenSessionRequest({
          messageTag: tag,
          maxPrivilege: PRIVILEGE_LEVEL[privilege],
          consoleSessionId,
          suite,
        }),
      ),
      accept(reply) {
        const payload = v20Payload(reply, PayloadType.openSessionResponse);
        if (payload === undefined) return undefined;
        const response = decodeOpenSessionResponse(payload);
        if (response.messageTag !== tag) return undefined;
        if (!('bmcSessionId' in response))
          throw refusal(`Open Session Request for cipher suite ${suite.id}`, response.status);
        if (response.consoleSessionId !== consoleSessionId) return undefined;
        if (
          response.authenticationAlgorithm !== AUTHENTICATION_ALGORITHM_NUMBER[suite.authentication] ||
          response.integrityAlgorithm !== INTEGRITY_ALGORITHM_NUMBER[suite.integrity] ||
          response.confidentialityAlgorithm !== CONFIDENTIALITY_ALGORITHM_NUMBER[suite.confidentiality]
        ) {
          throw new BmcRefusal(
            new IpmiProtocolError(`the BMC answered cipher suite ${suite.id} with other algorithms`),
          );
        }
        if (response.bmcSessionId === 0) throw new BmcRefusal(new IpmiProtocolError('the BMC assigned session ID 0'));
        return response;
      },
    };
  });

  const consoleRandom = randomBytes(16);
  const role = PRIVILEGE_LEVEL[privilege] | ROLE_NAME_ONLY_LOOKUP;
  const partial = { consoleSessionId, bmcSessionId: opened.bmcSessionId, consoleRandom, role, username };
  const rakp2 = await exchange('RAKP 1', () => {
    const tag = nextTag();
    return {
      datagram: encodeSessionSetupPayload(
        PayloadType.rakp1,
        encodeRakp1({ messageTag: tag, bmcSessionId: opened.bmcSessionId, consoleRandom, role, username }),
      ),
      accept(reply) {
        const payload = v20Payload(reply, PayloadType.rakp2);
        if (payload === undefined) return undefined;
        const decoded = decodeRakp2(payload, suite);
        if (decoded.messageTag !== tag) return undefined;
        if (!('bmcRandom' in decoded)) throw refusal('RAKP 1', decoded.status);
        return decoded.consoleSessionId === consoleSessionId ? decoded : undefined;
      },
    };
  });
  const context: KeyExchangeContext = { ...partial, bmcRandom: rakp2.bmcRandom, bmcGuid: rakp2.bmcGuid };
  if (!sameBytes(rakp2KeyExchangeCode(suite, kuid, context), rakp2.keyExchangeCode)) {
    // Tell the BMC to drop the half-open session rather than let it time out (section 13.22).
    transport.send(
      encodeSessionSetupPayload(
        PayloadType.rakp3,
        encodeRakp3({
          messageTag: nextTag(),
          status: RMCP_STATUS_INVALID_ICV,
          bmcSessionId: opened.bmcSessionId,
          keyExchangeCode: Buffer.alloc(0),
        }),
      ),
    );
    throw new IpmiAuthError('RAKP 2 key exchange code does not verify: wrong user name or password');
  }

  const keys = deriveSessionKeys(suite, credentials.kg ?? kuid, {
    consoleRandom,
    bmcRandom: context.bmcRandom,
    role,
    username,
  });
  const rakp3Code = rakp3KeyExchangeCode(suite, kuid, context);
  await exchange('RAKP 3', () => {
    const tag = nextTag();
    return {
      datagram: encodeSessionSetupPayload(
        PayloadType.rakp3,
        encodeRakp3({ messageTag: tag, status: 0, bmcSessionId: opened.bmcSessionId, keyExchangeCode: rakp3Code }),
      ),
      accept(reply) {
        const payload = v20Payload(reply, PayloadType.rakp4);
        if (payload === undefined) return undefined;
        const rakp4 = decodeRakp4(payload, suite);
        if (rakp4.messageTag !== tag) return undefined;
        if (!('integrityCheckValue' in rakp4)) throw refusal('RAKP 3', rakp4.status);
        if (rakp4.consoleSessionId !== consoleSessionId) return undefined;
        if (!sameBytes(rakp4IntegrityCheckValue(suite, keys.sik, context), rakp4.integrityCheckValue)) {
          throw new BmcRefusal(new IpmiAuthError('RAKP 4 integrity check value does not verify: wrong Kg'));
        }
        return true;
      },
    };
  });

  const session = new Session(consoleSessionId, opened.bmcSessionId, { suite, k1: keys.k1, k2: keys.k2 });
  const raise = setSessionPrivilegeLevel(privilege);
  const rqSeq = session.nextRqSeq();
  const response = await exchange(raise.name, () => sessionAttempt(session, raise, rqSeq, randomBytes(16)));
  if (response.completionCode !== 0) {
    throw new IpmiAuthError(
      `the BMC did not grant ${privilege} privilege (completion code 0x${response.completionCode.toString(16)})`,
    );
  }
  raise.decode(response.data);
  return session;
}
