import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { col, rowCodec } from '../db/index.js';
import { InvalidParameterValue } from '../errors.js';
import { AuthenticationFailed, TokenNotFound } from './errors.js';
import { ROLES, type Principal, type Role } from './roles.js';

/** A token as listed: never its secret, which exists only in the answer to create. */
export interface ApiToken {
  id: number;
  uuid: string;
  role: Role;
  description: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

interface TokenRow extends ApiToken {
  secret_hash: string;
}

const codec = rowCodec<TokenRow>('auth_tokens', {
  id: col.generatedId,
  uuid: col.text,
  secret_hash: col.text,
  role: col.oneOf(ROLES),
  description: col.text,
  created_at: col.timestamp,
  expires_at: col.nullable(col.timestamp),
  revoked_at: col.nullable(col.timestamp),
});

/** Secrets start with this, so a leaked one is recognisable (and greppable) as Anvil's. */
const TOKEN_PREFIX = 'anvil_';

export interface NewToken {
  role: Role;
  description?: string;
  /** Seconds until it expires; none: it never does. */
  expiresInSeconds?: number;
}

/**
 * Bearer tokens, stored as SHA-256 hashes of 32 random bytes: a database dump
 * yields no usable token, and a hash (unlike bcrypt) costs nothing per request.
 */
export class TokenStore {
  constructor(
    private readonly knex: Knex,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(spec: NewToken): Promise<{ token: ApiToken; secret: string }> {
    if (spec.expiresInSeconds !== undefined && !(spec.expiresInSeconds > 0))
      throw new InvalidParameterValue('A token must expire in the future.');
    const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const created = this.now();
    const row = {
      uuid: randomUUID(),
      secret_hash: hashOf(secret),
      role: spec.role,
      description: spec.description ?? '',
      created_at: created.toISOString(),
      expires_at:
        spec.expiresInSeconds === undefined
          ? null
          : new Date(created.getTime() + spec.expiresInSeconds * 1000).toISOString(),
      revoked_at: null,
    };
    await this.knex('auth_tokens').insert(codec.toRow(row));
    return { token: await this.get(row.uuid), secret };
  }

  async list(): Promise<ApiToken[]> {
    return codec.fromRows(await this.knex('auth_tokens').select('*').orderBy('id')).map(withoutSecret);
  }

  async get(uuid: string): Promise<ApiToken> {
    return withoutSecret(
      codec.fromFound(await this.knex('auth_tokens').where({ uuid }).first(), () => new TokenNotFound(uuid)),
    );
  }

  /** Revoked tokens stay listed (who had access, until when); revoking twice changes nothing. */
  async revoke(uuid: string): Promise<ApiToken> {
    await this.knex('auth_tokens')
      .where({ uuid })
      .whereNull('revoked_at')
      .update({ revoked_at: this.now().toISOString() });
    return this.get(uuid);
  }

  /** The principal a presented secret stands for, or why it stands for none. */
  async authenticate(secret: string): Promise<Principal> {
    const row = codec.fromFirst(
      await this.knex('auth_tokens')
        .where({ secret_hash: hashOf(secret) })
        .first(),
    );
    if (row === null) throw new AuthenticationFailed('unknown-token');
    if (row.revoked_at !== null) throw new AuthenticationFailed('revoked-token');
    if (row.expires_at !== null && Date.parse(row.expires_at) <= this.now().getTime())
      throw new AuthenticationFailed('expired-token');
    return { name: `token:${row.uuid}`, role: row.role };
  }
}

function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function withoutSecret(row: TokenRow): ApiToken {
  const { secret_hash: _hash, ...token } = row;
  return token;
}
