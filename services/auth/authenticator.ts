import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { AuthenticationFailed } from './errors.js';
import type { HtpasswdFile } from './htpasswd.js';
import type { Principal, Role } from './roles.js';
import type { TokenStore } from './tokens.js';

export type AuthMode = 'none' | 'basic' | 'token';

/** What a request presented: the Authorization header, and X-Auth-Token (what keystone-style clients send). */
export interface Credentials {
  authorization?: string | undefined;
  xAuthToken?: string | undefined;
}

export type AuthenticatorSettings =
  | { mode: 'none' }
  | {
      mode: 'basic';
      htpasswd: HtpasswdFile;
      /** Roles by user name; others get `defaultRole`. */
      roles: Readonly<Record<string, Role>>;
      defaultRole: Role;
      /** How long a verified user:password is trusted without bcrypt again. */
      cacheTtlMs?: number;
      now?: () => number;
    }
  | { mode: 'token'; tokens: TokenStore };

/** Verified credentials kept at once, at most: enough for every client of a site, bounded for a flood of new ones. */
const CACHE_LIMIT = 1024;
const DEFAULT_CACHE_TTL_MS = 60_000;
const ANONYMOUS: Principal = { name: 'anonymous', role: 'admin' };

/**
 * Who a request is, from its credentials. Basic auth checks the bcrypt hash
 * once per user:password and caches the verdict briefly under a hash of both
 * (never the password), so BMO's and the CLI's many calls pay bcrypt once.
 * The cache is dropped whenever the htpasswd file changes. Tokens cost one
 * indexed lookup of their SHA-256, so a revoked token stops working at once.
 */
export class Authenticator {
  private readonly verified = new LRUCache<string, { principal: Principal; until: number }>({ max: CACHE_LIMIT });
  private cacheVersion = '';

  constructor(private readonly settings: AuthenticatorSettings) {}

  get mode(): AuthMode {
    return this.settings.mode;
  }

  /** The WWW-Authenticate challenge a 401 carries. */
  challenge(): string | null {
    switch (this.settings.mode) {
      case 'basic':
        return 'Basic realm="Anvil", charset="UTF-8"';
      case 'token':
        return 'Bearer realm="Anvil"';
      case 'none':
        return null;
    }
  }

  async authenticate(credentials: Credentials): Promise<Principal> {
    const s = this.settings;
    switch (s.mode) {
      case 'none':
        return ANONYMOUS;
      case 'token':
        return s.tokens.authenticate(bearerOf(credentials));
      case 'basic': {
        const { user, password } = basicOf(credentials.authorization);
        return this.basic(s, user, password);
      }
    }
  }

  private async basic(
    s: Extract<AuthenticatorSettings, { mode: 'basic' }>,
    user: string,
    password: string,
  ): Promise<Principal> {
    const now = (s.now ?? Date.now)();
    const version = s.htpasswd.version;
    if (version !== this.cacheVersion) {
      this.verified.clear();
      this.cacheVersion = version;
    }
    const key = createHash('sha256').update(`${user}\0${password}`).digest('base64');
    const hit = this.verified.get(key);
    if (hit && hit.until > now) return hit.principal;
    const verdict = await s.htpasswd.verify(user, password);
    if (verdict !== 'ok') throw new AuthenticationFailed(verdict);
    const principal: Principal = { name: `user:${user}`, role: s.roles[user] ?? s.defaultRole };
    this.verified.set(key, { principal, until: now + (s.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS) });
    return principal;
  }
}

function basicOf(header: string | undefined): { user: string; password: string } {
  if (header === undefined || header.trim() === '') throw new AuthenticationFailed('missing');
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!match) {
    throw new AuthenticationFailed(
      /^\S+(\s|$)/.test(header) && !/^Basic\b/i.test(header) ? 'wrong-scheme' : 'malformed',
    );
  }
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new AuthenticationFailed('malformed');
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function bearerOf(credentials: Credentials): string {
  const header = credentials.authorization;
  if (header !== undefined && header.trim() !== '') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1]!;
    throw new AuthenticationFailed(/^Bearer\b/i.test(header) ? 'malformed' : 'wrong-scheme');
  }
  const token = credentials.xAuthToken?.trim();
  if (token) return token;
  throw new AuthenticationFailed('missing');
}
