import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../host/index.js';

export interface SimSession {
  id: string;
  token: string;
  username: string;
  createdAt: number;
  lastUsedAt: number;
}

/** Redfish sessions of the whole service; idle ones expire as on a BMC. */
export class SessionStore {
  private readonly byToken = new Map<string, SimSession>();
  private readonly clock: Clock;
  readonly timeoutSeconds: number;

  constructor(timeoutSeconds: number, clock: Clock) {
    this.timeoutSeconds = timeoutSeconds;
    this.clock = clock;
  }

  create(username: string): SimSession {
    const now = this.clock();
    const session: SimSession = {
      id: randomUUID(),
      token: randomBytes(24).toString('hex'),
      username,
      createdAt: now,
      lastUsedAt: now,
    };
    this.byToken.set(session.token, session);
    return session;
  }

  /** The live session for a token, refreshing its idle timer; undefined if gone. */
  use(token: string): SimSession | undefined {
    const session = this.byToken.get(token);
    if (!session) return undefined;
    const now = this.clock();
    if (now - session.lastUsedAt > this.timeoutSeconds * 1000) {
      this.byToken.delete(token);
      return undefined;
    }
    session.lastUsedAt = now;
    return session;
  }

  get(id: string): SimSession | undefined {
    for (const s of this.byToken.values()) if (s.id === id) return s;
    return undefined;
  }

  list(): SimSession[] {
    return [...this.byToken.values()];
  }

  delete(id: string): boolean {
    for (const [token, s] of this.byToken) {
      if (s.id === id) {
        this.byToken.delete(token);
        return true;
      }
    }
    return false;
  }

  /** Forgets every session, as a BMC reboot does; clients must log in again. */
  expireAll(): number {
    const n = this.byToken.size;
    this.byToken.clear();
    return n;
  }
}
