// IpmiClient: one BMC, one UDP socket, one request in flight. The protocol
// lives in the pure modules; this file sends, waits, retransmits with
// back-off under an overall deadline, and keeps the session alive across calls.
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import { CIPHER_SUITES, userKey, type CipherSuiteId } from './cipher-suites.js';
import {
  chassisControl,
  closeSession,
  decodeCipherSuiteRecords,
  getBootFlags,
  getChannelAuthCapabilities,
  getChannelCipherSuites,
  getChassisStatus,
  getDeviceId,
  keepBootFlagsPastTimeout,
  setBootFlags,
  type BootFlags,
  type ChannelAuthCapabilities,
  type ChassisControlAction,
  type ChassisStatus,
  type CipherSuiteRecord,
  type DeviceId,
  type IpmiBootDevice,
  type IpmiBootMode,
  type IpmiCommand,
} from './commands.js';
import { IpmiCompletionCodeError, IpmiError, IpmiProtocolError, IpmiTimeoutError } from './errors.js';
import { decodeDatagram } from './packet.js';
import type { IpmiPrivilege } from './privilege.js';
import { decodeAsfPong, encodeAsfPing, type AsfPong } from './rmcp.js';
import {
  BmcRefusal,
  completeCommand,
  establishSession,
  presessionAttempt,
  sessionAttempt,
  type Attempt,
  type Session,
  type SessionCredentials,
} from './session.js';

export interface IpmiTiming {
  /** Wait before the first retransmission; doubles per retransmission. */
  retransmitMs: number;
  /** Cap of the retransmission back-off. */
  maxRetransmitMs: number;
  /** Budget of one call, session establishment and retransmissions included. */
  deadlineMs: number;
  /** Unanswered attempts in a session before it is presumed lost and re-established. */
  attemptsPerSession: number;
  /** A session idle this long is replaced: BMCs drop idle sessions (typically after 60 s). */
  sessionIdleMs: number;
}

export const DEFAULT_IPMI_TIMING: Readonly<IpmiTiming> = {
  retransmitMs: 1000,
  maxRetransmitMs: 4000,
  deadlineMs: 20_000,
  attemptsPerSession: 3,
  sessionIdleMs: 30_000,
};

/** pino-compatible: `logger.debug(fields, message)`. Never given a credential. */
export interface IpmiLogger {
  debug(fields: Record<string, unknown>, message: string): void;
}

export interface IpmiClientOptions {
  host: string;
  /** UDP port of the BMC; 623 by default. */
  port?: number;
  username: string;
  password: string;
  /** BMC key Kg, when the BMC has one set. */
  kg?: Buffer;
  /** 3 (HMAC-SHA1, AES) by default; 17 for HMAC-SHA256. */
  cipherSuite?: CipherSuiteId;
  /** Cipher suite 0 authenticates nothing and encrypts nothing: refused unless this is set. */
  allowCipherSuiteZero?: boolean;
  /** Privilege the session is raised to; power and boot control need at least operator. */
  privilege?: IpmiPrivilege;
  timing?: Partial<IpmiTiming>;
  logger?: IpmiLogger;
}

export interface BootDeviceRequest {
  device: IpmiBootDevice;
  persistent: boolean;
  mode: IpmiBootMode;
}

export interface IpmiClientStats {
  sessionsEstablished: number;
  retransmissions: number;
}

export type IpmiPowerState = 'on' | 'off';

const IPMI_PORT = 623;
/** Hard bounds on loops that the deadline bounds already, against a clock that misbehaves. */
const MAX_ATTEMPTS_PER_EXCHANGE = 64;
const MAX_SESSION_PASSES = 8;
/** Get Channel Cipher Suites list indexes run 0..3Fh (Table 22-18). */
const MAX_CIPHER_SUITE_PAGES = 64;
const CLOSE_SESSION_DEADLINE_MS = 2000;
/** Completion code 80h to Set System Boot Options: "parameter not supported". */
const CC_PARAMETER_NOT_SUPPORTED = 0x80;

/** A session that stopped answering: re-establish, within the same deadline. */
class SessionUnresponsive extends Error {}

interface CallBudget {
  started: number;
  deadline: number;
}

export class IpmiClient {
  readonly stats: IpmiClientStats = { sessionsEstablished: 0, retransmissions: 0 };
  private readonly target: string;
  private readonly port: number;
  private readonly timing: IpmiTiming;
  private readonly credentials: SessionCredentials;
  private readonly privilege: IpmiPrivilege;
  private readonly cipherSuite: CipherSuiteId;
  private socket: Socket | undefined;
  private address: string | undefined;
  private session: Session | undefined;
  private lastActivity = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private waiter: ((datagram: Buffer) => void) | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: IpmiClientOptions) {
    this.port = options.port ?? IPMI_PORT;
    this.target = `${options.host}:${this.port}`;
    this.timing = { ...DEFAULT_IPMI_TIMING, ...options.timing };
    this.cipherSuite = options.cipherSuite ?? 3;
    if (!(this.cipherSuite in CIPHER_SUITES))
      throw new IpmiProtocolError(`cipher suite ${String(this.cipherSuite)} is not supported`);
    if (this.cipherSuite === 0 && options.allowCipherSuiteZero !== true) {
      throw new IpmiProtocolError(
        'cipher suite 0 (no authentication, integrity or confidentiality) is refused unless allowCipherSuiteZero is set',
      );
    }
    userKey(options.password); // validates the length now rather than at the first call
    if (options.kg !== undefined && options.kg.length > 20)
      throw new IpmiProtocolError('the BMC key Kg is at most 20 bytes');
    this.credentials = { username: options.username, password: options.password, kg: options.kg };
    this.privilege = options.privilege ?? 'administrator';
  }

  getDeviceId(): Promise<DeviceId> {
    return this.execute(getDeviceId());
  }

  getChassisStatus(): Promise<ChassisStatus> {
    return this.execute(getChassisStatus());
  }

  async getPowerState(): Promise<IpmiPowerState> {
    return (await this.getChassisStatus()).powerOn ? 'on' : 'off';
  }

  chassisControl(action: ChassisControlAction): Promise<void> {
    return this.execute(chassisControl(action));
  }

  /** Sets the boot override (valid bit on) and asks the BMC to keep it past its 60 s timeout. */
  setBootDevice(request: BootDeviceRequest): Promise<void> {
    return this.serialize(async (budget) => {
      try {
        await this.executeInSession(keepBootFlagsPastTimeout(), budget);
      } catch (error) {
        // Parameter 3 is optional: a BMC without it still takes the boot flags.
        if (!(error instanceof IpmiCompletionCodeError && error.code === CC_PARAMETER_NOT_SUPPORTED)) throw error;
      }
      await this.executeInSession(setBootFlags({ valid: true, ...request }), budget);
    });
  }

  getBootFlags(): Promise<BootFlags> {
    return this.execute(getBootFlags());
  }

  /** Outside any session, as a console does before opening one. */
  getChannelAuthCapabilities(): Promise<ChannelAuthCapabilities> {
    return this.serialize((budget) => this.executePresession(getChannelAuthCapabilities(this.privilege), budget));
  }

  /** The cipher suites the BMC offers on this channel, read outside any session. */
  getCipherSuites(): Promise<CipherSuiteRecord[]> {
    return this.serialize(async (budget) => {
      const pages: Buffer[] = [];
      for (let index = 0; index < MAX_CIPHER_SUITE_PAGES; index++) {
        const page = await this.executePresession(getChannelCipherSuites(index), budget);
        pages.push(page.records);
        if (page.records.length < 16) break;
      }
      return decodeCipherSuiteRecords(Buffer.concat(pages));
    });
  }

  /** ASF Presence Ping: answers whether anything speaking RMCP listens there. */
  ping(): Promise<AsfPong> {
    return this.serialize((budget) => {
      let tag = 0;
      return this.transmit(
        'ASF presence ping',
        () => {
          const messageTag = (tag = (tag + 1) & 0xff);
          return {
            datagram: encodeAsfPing(messageTag),
            accept(reply) {
              const packet = decodeDatagram(reply);
              if (packet.kind !== 'asf') return undefined;
              const pong = decodeAsfPong(packet.body);
              return pong.messageTag === messageTag ? pong : undefined;
            },
          };
        },
        budget,
      );
    });
  }

  /** Runs any command inside the session (establishing it when needed). */
  execute<T>(command: IpmiCommand<T>): Promise<T> {
    return this.serialize((budget) => this.executeInSession(command, budget));
  }

  /** Closes the session (best effort) and the socket once queued calls are done; later calls are refused. */
  close(): Promise<void> {
    this.closing ??= this.enqueue(async () => {
      this.closed = true;
      const session = this.session;
      this.session = undefined;
      if (session !== undefined && this.socket !== undefined) {
        const command = closeSession(session.bmcSessionId);
        const rqSeq = session.nextRqSeq();
        const now = Date.now();
        const budget = { started: now, deadline: now + Math.min(CLOSE_SESSION_DEADLINE_MS, this.timing.deadlineMs) };
        try {
          await this.transmit(
            command.name,
            () => sessionAttempt(session, command, rqSeq, cryptoRandomBytes(16)),
            budget,
            2,
          );
        } catch {
          // The BMC forgets the session by its own timeout anyway.
        }
      }
      this.socket?.close();
      this.socket = undefined;
    });
    return this.closing;
  }

  private serialize<T>(work: (budget: CallBudget) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      if (this.closed) throw new IpmiError(`IPMI client for ${this.target} is closed`);
      const started = Date.now();
      return work({ started, deadline: started + this.timing.deadlineMs });
    });
  }

  /** One request in flight per BMC: work runs after everything queued before it. */
  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async executePresession<T>(command: IpmiCommand<T>, budget: CallBudget): Promise<T> {
    const rqSeq = cryptoRandomBytes(1).readUInt8(0) & 0x3f;
    const response = await this.transmit(command.name, () => presessionAttempt(command, rqSeq), budget);
    return completeCommand(command, response);
  }

  private async executeInSession<T>(command: IpmiCommand<T>, budget: CallBudget): Promise<T> {
    for (let pass = 0; pass < MAX_SESSION_PASSES; pass++) {
      const session = await this.currentSession(budget);
      const rqSeq = session.nextRqSeq();
      try {
        const response = await this.transmit(
          command.name,
          () => sessionAttempt(session, command, rqSeq, cryptoRandomBytes(16)),
          budget,
          this.timing.attemptsPerSession,
        );
        this.lastActivity = Date.now();
        return completeCommand(command, response);
      } catch (error) {
        if (!(error instanceof SessionUnresponsive)) throw error;
        this.options.logger?.debug(
          { target: this.target, operation: command.name },
          'IPMI session unresponsive; establishing a new one',
        );
        this.session = undefined;
      }
    }
    throw new IpmiTimeoutError(this.target, command.name, Date.now() - budget.started);
  }

  private async currentSession(budget: CallBudget): Promise<Session> {
    if (this.session !== undefined && Date.now() - this.lastActivity < this.timing.sessionIdleMs) return this.session;
    this.session = undefined;
    const session = await establishSession(
      {
        exchange: (operation, attempt) => this.transmit(operation, attempt, budget),
        send: (datagram) => this.sendDatagram(datagram),
      },
      this.credentials,
      { suite: CIPHER_SUITES[this.cipherSuite], privilege: this.privilege },
      cryptoRandomBytes,
    );
    this.stats.sessionsEstablished++;
    this.options.logger?.debug({ target: this.target, cipherSuite: this.cipherSuite }, 'IPMI session established');
    this.session = session;
    this.lastActivity = Date.now();
    return session;
  }

  /**
   * Sends attempts until one is answered, with exponential back-off and
   * jitter. Throws IpmiTimeoutError at the deadline (or the last malformed
   * answer, if only malformed ones came), SessionUnresponsive after
   * `sessionAttempts` unanswered attempts inside a session.
   */
  private async transmit<T>(
    operation: string,
    attempt: () => Attempt<T>,
    budget: CallBudget,
    sessionAttempts?: number,
  ): Promise<T> {
    await this.openSocket(operation);
    let interval = this.timing.retransmitMs;
    let malformed: IpmiProtocolError | undefined;
    for (
      let sent = 0;
      sent < Math.min(sessionAttempts ?? MAX_ATTEMPTS_PER_EXCHANGE, MAX_ATTEMPTS_PER_EXCHANGE);
      sent++
    ) {
      const remaining = budget.deadline - Date.now();
      if (remaining <= 0) break;
      if (sent > 0) {
        this.stats.retransmissions++;
        this.options.logger?.debug({ target: this.target, operation, attempt: sent + 1 }, 'IPMI retransmission');
      }
      const outcome = await this.sendAndWait(
        attempt(),
        Math.min(remaining, interval * (0.9 + Math.random() * 0.2)),
        (error) => {
          malformed = error;
        },
      );
      if (outcome.answered) return outcome.value;
      interval = Math.min(interval * 2, this.timing.maxRetransmitMs);
    }
    if (sessionAttempts !== undefined && Date.now() < budget.deadline) throw new SessionUnresponsive();
    throw malformed ?? new IpmiTimeoutError(this.target, operation, Date.now() - budget.started);
  }

  private sendAndWait<T>(
    attempt: Attempt<T>,
    waitMs: number,
    onMalformed: (error: IpmiProtocolError) => void,
  ): Promise<{ answered: true; value: T } | { answered: false }> {
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiter = undefined;
      };
      const timer = setTimeout(() => {
        finish();
        resolve({ answered: false });
      }, waitMs);
      this.waiter = (datagram) => {
        let value: T | undefined;
        try {
          value = attempt.accept(datagram);
        } catch (error) {
          if (error instanceof BmcRefusal) {
            finish();
            reject(error.error);
          } else if (error instanceof IpmiProtocolError) {
            onMalformed(error);
          } else {
            finish();
            reject(error instanceof Error ? error : new IpmiProtocolError(String(error)));
          }
          return;
        }
        if (value === undefined) return;
        finish();
        resolve({ answered: true, value });
      };
      this.sendDatagram(attempt.datagram);
    });
  }

  private sendDatagram(datagram: Buffer): void {
    if (this.socket === undefined || this.address === undefined) return;
    this.socket.send(datagram, this.port, this.address, (error) => {
      // A failed send is a lost packet: the retransmission timer covers it.
      if (error)
        this.options.logger?.debug(
          { target: this.target, code: (error as NodeJS.ErrnoException).code },
          'IPMI send failed',
        );
    });
  }

  private async openSocket(operation: string): Promise<void> {
    if (this.socket !== undefined) return;
    let address: string;
    try {
      address = (await lookup(this.options.host)).address;
    } catch {
      throw new IpmiError(`${operation} to ${this.target}: cannot resolve ${this.options.host}`);
    }
    const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    socket.on('message', (datagram, remote) => {
      if (remote.port === this.port && remote.address === address) this.waiter?.(datagram);
    });
    socket.on('error', (error) => {
      this.options.logger?.debug(
        { target: this.target, code: (error as NodeJS.ErrnoException).code },
        'IPMI socket error',
      );
    });
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    socket.unref(); // an idle client must not keep the process alive
    this.socket = socket;
    this.address = address;
  }
}
