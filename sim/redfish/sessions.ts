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
  private readonly byId = new Map<string, SimSession>();
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
    this.byId.set(session.id, session);
    return session;
  }

  /** The live session for a token, refreshing its idle timer; undefined if gone. */
  use(token: string): SimSession | undefined {
    const session = this.byToken.get(token);
    if (!session) return undefined;
    const now = this.clock();
    if (now - session.lastUsedAt > this.timeoutSeconds * 1000) {
      this.delete(session.id);
      return undefined;
    }
    session.lastUsedAt = now;
    return session;
  }

  get(id: string): SimSession | undefined {
    return this.byId.get(id);
  }

  list(): SimSession[] {
    return [...this.byId.values()];
  }

  delete(id: string): boolean {
    const session = this.byId.get(id);
    if (!session) return false;
    this.byId.delete(id);
    this.byToken.delete(session.token);
    return true;
  }

  /** Forgets every session, as a BMC reboot does; clients must log in again. */
  expireAll(): number {
    const n = this.byId.size;
    this.byToken.clear();
    this.byId.clear();
    return n;
  }
}
