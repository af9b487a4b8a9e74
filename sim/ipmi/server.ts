// A virtualbmc-style IPMI endpoint: one UDP port, one user, RMCP+ with
// cipher suites 3 and 17, acting on an IpmiTarget. Whatever arrives, the
// server drops what it cannot use and counts why; it never throws.
import { timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { dispatch, isPresessionCommand, type CommandContext } from './commands.js';
import { SIM_CIPHER_SUITES, authCode, authCodeLength, decrypt, encrypt, kuid, type SimCipherSuite } from './crypto.js';
import { openSession, rakp1, rakp3, type HandshakeContext } from './handshake.js';
import { SessionTable, acceptInboundSeq, type SimSession } from './sessions.js';
import type { IpmiTarget } from './target.js';
import {
  MalformedPacket,
  PAYLOAD,
  asfPong,
  lanResponse,
  parseDatagram,
  parseLanRequest,
  v15Packet,
  v20Packet,
  type Inbound,
} from './wire.js';

/** Fault hooks, changeable while the server runs. */
export interface IpmiSimFaults {
  /** Fraction (0..1) of incoming datagrams dropped unseen. */
  dropRate?: number;
  /** Delay before every answer. */
  latencyMs?: number;
  /** Answer every device and chassis command with this completion code. */
  completionCode?: number;
  /** Refuse every session at RAKP 1 ("unauthorized name"). */
  refuseAuth?: boolean;
}

export interface IpmiSimOptions {
  target: IpmiTarget;
  username: string;
  password: string;
  /** BMC key Kg; the user's key serves when absent. */
  kg?: Buffer;
  /** Listen address; loopback by default. */
  host?: string;
  /** UDP port; 0 picks a free one. */
  port?: number;
  /** Offered cipher suites, [3, 17] by default; 0 is offered only when listed. */
  cipherSuites?: readonly number[];
  /** 16-byte system GUID used in RAKP 2 and 4. */
  guid?: Buffer;
  faults?: IpmiSimFaults;
  /** Source of the drop decisions, Math.random by default. */
  random?: () => number;
  maxSessions?: number;
  sessionIdleMs?: number;
}

export type IpmiSimDropReason =
  'fault' | 'malformed' | 'unknown-session' | 'integrity' | 'replay' | 'unsupported' | 'internal';

export interface IpmiSimStats {
  received: number;
  answered: number;
  dropped: Record<IpmiSimDropReason, number>;
  /** Sessions that completed RAKP 3. */
  sessionsOpened: number;
  /** RAKP 1 messages: each one a console's attempt to log in (a retransmission counts again). */
  loginAttempts: number;
}

type Outcome = { reply: Buffer | undefined } | { drop: IpmiSimDropReason };

const DEFAULT_GUID = Buffer.from('a1b2c3d4e5f60718293a4b5c6d7e8f90', 'hex');

export class IpmiSimServer {
  readonly stats: IpmiSimStats = {
    received: 0,
    answered: 0,
    dropped: { fault: 0, malformed: 0, 'unknown-session': 0, integrity: 0, replay: 0, unsupported: 0, internal: 0 },
    sessionsOpened: 0,
    loginAttempts: 0,
  };
  faults: IpmiSimFaults;
  private readonly sessions: SessionTable;
  private readonly suites: readonly SimCipherSuite[];
  private readonly bootParameters = new Map<number, Buffer>();
  private userKey: Buffer;
  private readonly username: Buffer;
  private readonly guid: Buffer;
  private readonly random: () => number;
  private socket: Socket | undefined;
  private boundPort = 0;

  constructor(private readonly options: IpmiSimOptions) {
    this.faults = { ...options.faults };
    this.sessions = new SessionTable(options.maxSessions ?? 16, options.sessionIdleMs ?? 60_000);
    this.suites = (options.cipherSuites ?? [3, 17]).map((id) => {
      const suite = SIM_CIPHER_SUITES.get(id);
      if (suite === undefined) throw new Error(`IPMI sim: cipher suite ${id} is not implemented`);
      return suite;
    });
    if (Buffer.byteLength(options.password) > 20 || Buffer.byteLength(options.username) > 16) {
      throw new Error('IPMI sim: user names are at most 16 bytes and passwords 20');
    }
    this.userKey = kuid(options.password);
    this.username = Buffer.from(options.username, 'utf8');
    this.guid = options.guid ?? DEFAULT_GUID;
    this.random = options.random ?? Math.random;
  }

  static async start(options: IpmiSimOptions): Promise<IpmiSimServer> {
    const server = new IpmiSimServer(options);
    await server.listen();
    return server;
  }

  get port(): number {
    return this.boundPort;
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  /**
   * Changes the user's password, as `ipmitool user set password` or a BMC's
   * web page does: the sessions opened with the old one end with it.
   */
  setPassword(password: string): void {
    if (Buffer.byteLength(password) > 20) throw new Error('IPMI sim: passwords are at most 20 bytes');
    this.userKey = kuid(password);
    this.sessions.clear();
  }

  /** Forgets every session, as a BMC reset does. */
  dropSessions(): void {
    this.sessions.clear();
  }

  private async listen(): Promise<void> {
    const socket = createSocket('udp4');
    socket.on('message', (datagram, remote) => {
      void this.receive(datagram, `${remote.address}:${remote.port}`, remote.port, remote.address);
    });
    socket.on('error', () => {
      // A send to a vanished console: nothing to do, the console retransmits or gave up.
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
    this.boundPort = socket.address().port;
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.sessions.clear();
    if (socket === undefined) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  /**
   * Processes one datagram from `remote` ("address:port") and returns the
   * answer, if any. Never throws: every failure is a counted drop.
   */
  async handle(datagram: Buffer, remote: string): Promise<Buffer | undefined> {
    this.stats.received++;
    let outcome: Outcome;
    if ((this.faults.dropRate ?? 0) > 0 && this.random() < (this.faults.dropRate ?? 0)) {
      outcome = { drop: 'fault' };
    } else {
      try {
        outcome = await this.process(datagram, remote);
      } catch (error) {
        outcome = { drop: error instanceof MalformedPacket ? 'malformed' : 'internal' };
      }
    }
    if ('drop' in outcome) {
      this.stats.dropped[outcome.drop]++;
      return undefined;
    }
    return outcome.reply;
  }

  private async receive(datagram: Buffer, remote: string, port: number, address: string): Promise<void> {
    const reply = await this.handle(datagram, remote);
    if (reply === undefined) return;
    const latency = this.faults.latencyMs ?? 0;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const socket = this.socket;
    if (socket === undefined) return;
    this.stats.answered++;
    socket.send(reply, port, address, () => undefined);
  }

  private handshakeContext(): HandshakeContext {
    return {
      sessions: this.sessions,
      suites: this.suites,
      username: this.username,
      kuid: this.userKey,
      kg: this.options.kg,
      guid: this.guid,
      refuseAuth: this.faults.refuseAuth === true,
      now: Date.now(),
      onActivated: () => {
        this.stats.sessionsOpened++;
      },
    };
  }

  private commandContext(session: SimSession | undefined): CommandContext {
    return {
      target: this.options.target,
      session,
      suites: this.suites,
      bootParameters: this.bootParameters,
      faultCompletionCode: this.faults.completionCode,
      closeSession: (id) => this.sessions.delete(id),
    };
  }

  private async process(datagram: Buffer, remote: string): Promise<Outcome> {
    const packet = parseDatagram(datagram);
    if (packet.kind === 'asf-ping') return { reply: asfPong(packet.tag) };
    if (packet.kind === 'v1.5') {
      // Only session-less requests: this BMC offers no IPMI 1.5 sessions.
      if (packet.authType !== 0 || packet.sessionId !== 0) return { drop: 'unsupported' };
      const request = parseLanRequest(packet.message);
      if (!isPresessionCommand(request.netFn, request.cmd)) return { drop: 'unsupported' };
      const result = await dispatch(request, this.commandContext(undefined));
      return { reply: v15Packet(lanResponse(request, result.completionCode, result.data)) };
    }
    if (packet.sessionId === 0) return this.sessionless(packet, remote);
    return this.inSession(packet);
  }

  private async sessionless(packet: Extract<Inbound, { kind: 'v2.0' }>, remote: string): Promise<Outcome> {
    if (packet.encrypted || packet.authenticated) return { drop: 'malformed' };
    const reply = (payloadType: number, payload: Buffer): Outcome => ({
      reply: v20Packet({ payloadType, sessionId: 0, sessionSeq: 0, payload, encrypted: false }),
    });
    switch (packet.payloadType) {
      case PAYLOAD.openSessionRequest:
        return reply(PAYLOAD.openSessionResponse, openSession(packet.payload, remote, this.handshakeContext()));
      case PAYLOAD.rakp1:
        this.stats.loginAttempts++;
        return reply(PAYLOAD.rakp2, rakp1(packet.payload, this.handshakeContext()));
      case PAYLOAD.rakp3: {
        const rakp4 = rakp3(packet.payload, this.handshakeContext());
        return rakp4 === undefined ? { reply: undefined } : reply(PAYLOAD.rakp4, rakp4);
      }
      case PAYLOAD.ipmi: {
        const request = parseLanRequest(packet.payload);
        if (!isPresessionCommand(request.netFn, request.cmd)) return { drop: 'unsupported' };
        const result = await dispatch(request, this.commandContext(undefined));
        return reply(PAYLOAD.ipmi, lanResponse(request, result.completionCode, result.data));
      }
      default:
        return { drop: 'unsupported' };
    }
  }

  private async inSession(packet: Extract<Inbound, { kind: 'v2.0' }>): Promise<Outcome> {
    const session = this.sessions.get(packet.sessionId, Date.now());
    if (session === undefined || session.state !== 'active' || session.keys === undefined)
      return { drop: 'unknown-session' };
    if (packet.payloadType !== PAYLOAD.ipmi) return { drop: 'unsupported' };
    const { suite, keys } = session;
    const codeLength = authCodeLength(suite);
    if (codeLength > 0) {
      if (!packet.authenticated) return { drop: 'integrity' };
      const part = packet.sessionPart;
      const signedEnd = part.length - codeLength;
      if (signedEnd - 2 < packet.trailerOffset) return { drop: 'integrity' };
      const padLength = part.readUInt8(signedEnd - 2);
      if (part.readUInt8(signedEnd - 1) !== 0x07 || packet.trailerOffset + padLength + 2 !== signedEnd)
        return { drop: 'integrity' };
      if (!timingSafeEqual(authCode(suite, keys.k1, part.subarray(0, signedEnd)), part.subarray(signedEnd))) {
        return { drop: 'integrity' };
      }
    }
    if (suite.confidentiality !== 0 && !packet.encrypted) return { drop: 'integrity' };
    if (!acceptInboundSeq(session, packet.sessionSeq)) return { drop: 'replay' };
    session.lastActivity = Date.now();
    const message = decrypt(suite, keys.k2, packet.payload);
    const request = parseLanRequest(message);
    let response: Buffer;
    if (session.lastExchange !== undefined && session.lastExchange.request.equals(message)) {
      // A retransmission: answer again without acting twice (a second power cycle would be wrong).
      response = session.lastExchange.response;
    } else {
      const result = await dispatch(request, this.commandContext(session));
      response = lanResponse(request, result.completionCode, result.data);
      session.lastExchange = { request: Buffer.from(message), response };
    }
    session.outboundSeq = session.outboundSeq >= 0xffffffff ? 1 : session.outboundSeq + 1;
    return {
      reply: v20Packet({
        payloadType: PAYLOAD.ipmi,
        sessionId: session.consoleSessionId,
        sessionSeq: session.outboundSeq,
        payload: encrypt(suite, keys.k2, response),
        encrypted: suite.confidentiality !== 0,
        ...(codeLength > 0 ? { sign: (signed: Buffer) => authCode(suite, keys.k1, signed) } : {}),
      }),
    };
  }
}
