// The BMC's session table: bounded, idle sessions expire, half-open ones are
// evicted first when it fills up (a BMC has few session slots).
import { randomBytes } from 'node:crypto';
import type { Keys, SimCipherSuite } from './crypto.js';

export interface SimSession {
  bmcSessionId: number;
  consoleSessionId: number;
  /** "address:port" of the console that opened it. */
  remote: string;
  suite: SimCipherSuite;
  /** Requested maximum privilege from the Open Session Request (resolved, 1..4). */
  maxPrivilege: number;
  state: 'opened' | 'rakp2-sent' | 'active';
  /** RAKP 1 values, set once RAKP 1 arrives. */
  role: number;
  username: Buffer;
  consoleRandom: Buffer;
  bmcRandom: Buffer;
  keys: Keys | undefined;
  /** Current session privilege; sessions start at User (section 22.18). */
  privilege: number;
  outboundSeq: number;
  /** Highest inbound session sequence number and the ones seen near it (replay window). */
  highestInboundSeq: number;
  recentInboundSeqs: Set<number>;
  lastActivity: number;
  /** The last request and its response message, answered again on a retransmission. */
  lastExchange: { request: Buffer; response: Buffer } | undefined;
}

/** Inbound sequence numbers are accepted within this distance of the highest seen (section 6.12.13). */
const SEQUENCE_WINDOW = 16;

export class SessionTable {
  private readonly sessions = new Map<number, SimSession>();

  constructor(
    private readonly maxSessions: number,
    private readonly idleMs: number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(bmcSessionId: number, now: number): SimSession | undefined {
    this.expire(now);
    return this.sessions.get(bmcSessionId);
  }

  findPending(remote: string, consoleSessionId: number): SimSession | undefined {
    for (const session of this.sessions.values()) {
      if (session.state !== 'active' && session.remote === remote && session.consoleSessionId === consoleSessionId)
        return session;
    }
    return undefined;
  }

  /** Allocates a session ID, or undefined when every slot holds an active session. */
  open(init: Omit<SimSession, 'bmcSessionId'>, now: number): SimSession | undefined {
    this.expire(now);
    if (this.sessions.size >= this.maxSessions) {
      const oldestPending = [...this.sessions.values()]
        .filter((s) => s.state !== 'active')
        .sort((a, b) => a.lastActivity - b.lastActivity)[0];
      if (oldestPending === undefined) return undefined;
      this.sessions.delete(oldestPending.bmcSessionId);
    }
    let bmcSessionId = 0;
    // Bounded: a free non-zero 32-bit ID is found at once in practice.
    for (let tries = 0; tries < 16 && (bmcSessionId === 0 || this.sessions.has(bmcSessionId)); tries++) {
      bmcSessionId = randomBytes(4).readUInt32LE(0);
    }
    if (bmcSessionId === 0 || this.sessions.has(bmcSessionId)) return undefined;
    const session = { ...init, bmcSessionId };
    this.sessions.set(bmcSessionId, session);
    return session;
  }

  delete(bmcSessionId: number): boolean {
    return this.sessions.delete(bmcSessionId);
  }

  clear(): void {
    this.sessions.clear();
  }

  private expire(now: number): void {
    for (const [id, session] of this.sessions) {
      if (now - session.lastActivity > this.idleMs) this.sessions.delete(id);
    }
  }
}

/** Sliding-window replay check; records the number when accepted. */
export function acceptInboundSeq(session: SimSession, seq: number): boolean {
  if (seq === 0 || session.recentInboundSeqs.has(seq)) return false;
  const highest = session.highestInboundSeq;
  // Consoles pick their first number freely; the window starts from it.
  if (highest !== 0 && (seq + SEQUENCE_WINDOW <= highest || seq > highest + SEQUENCE_WINDOW)) return false;
  session.recentInboundSeqs.add(seq);
  if (seq > highest) session.highestInboundSeq = seq;
  for (const old of session.recentInboundSeqs) {
    if (old + SEQUENCE_WINDOW <= session.highestInboundSeq) session.recentInboundSeqs.delete(old);
  }
  return true;
}
