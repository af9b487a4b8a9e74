import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY } from '../../../api/index.js';
import { ROLES, TokenStore, type Role } from '../../../services/auth/index.js';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines, faultOf, startTestService, type TestService } from '../../support/service.js';

/** A uuid no resource has: every call reaches its handler and ends in 400/404, never changing anything. */
const NOBODY = '00000000-0000-4000-8000-00000000dead';

function concretePath(pattern: string): string {
  const path = pattern.replace(/:[a-z_]+/g, (param) => (param === ':trait' ? 'CUSTOM_X' : NOBODY));
  // An event stream never ends by itself: a bad cursor gets it answered (400) once past access control.
  return pattern.endsWith('/events/stream') ? `${path}?since=not-a-cursor` : path;
}

function basic(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

async function tokenFor(svc: TestService, role: Role, expiresInSeconds?: number): Promise<string> {
  const db = openDatabase(svc.db.url);
  try {
    const store = new TokenStore(db.knex);
    const { secret } = await store.create({ role, ...(expiresInSeconds ? { expiresInSeconds } : {}) });
    return secret;
  } finally {
    await db.close();
  }
}

describeOnEngines(
  'the policy table, called as every role with bearer tokens',
  (svc) => {
    const tokens = new Map<Role, string>();
    beforeAll(async () => {
      for (const role of ROLES) tokens.set(role, await tokenFor(svc(), role));
    });

    it('answers every route by its rule: 401 without credentials, 403 below its role, neither at or above it', async () => {
      const wrong: string[] = [];
      for (const rule of POLICY) {
        const url = concretePath(rule.path);
        const body = rule.method === 'GET' || rule.method === 'DELETE' ? undefined : {};
        const anonymous = await svc().request(rule.method, url, body);
        const expectAnon = rule.access === 'public' ? 'not 401/403' : 401;
        if (rule.access === 'public' ? [401, 403].includes(anonymous.status) : anonymous.status !== 401)
          wrong.push(`${rule.method} ${rule.path} anonymous: ${anonymous.status}, expected ${expectAnon}`);
        const answers = await Promise.all(
          ROLES.map((role) =>
            svc().request(rule.method, url, body, '1.78', { Authorization: `Bearer ${tokens.get(role)!}` }),
          ),
        );
        for (const [i, role] of ROLES.entries()) {
          const res = answers[i]!;
          const allowed = rule.access === 'public' || ROLES.indexOf(role) >= ROLES.indexOf(rule.access);
          if (allowed ? [401, 403].includes(res.status) : res.status !== 403)
            wrong.push(`${rule.method} ${rule.path} as ${role}: ${res.status}, expected ${allowed ? 'allowed' : 403}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    it('says why with a challenge: 401 carries WWW-Authenticate Bearer and Ironic’s error body', async () => {
      const res = await svc().request('GET', '/v1/nodes');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="Anvil"');
      expect(faultOf(res)).toBe('Authentication required.');
    });

    it('accepts the token from X-Auth-Token too, as keystone-style clients send it', async () => {
      const res = await svc().request('GET', '/v1/nodes', undefined, '1.78', { 'X-Auth-Token': tokens.get('reader')! });
      expect(res.status).toBe(200);
    });

    it('refuses a malformed header, an unknown, an expired and a revoked token, each counted by reason', async () => {
      const expired = await tokenFor(svc(), 'admin', 1);
      const admin = { Authorization: `Bearer ${tokens.get('admin')!}` };
      const made = await svc().request(
        'POST',
        '/v1/anvil/tokens',
        { role: 'reader', description: 'ci' },
        '1.78',
        admin,
      );
      expect(made.status).toBe(201);
      expect(made.body.token).toMatch(/^anvil_/);
      expect(
        (await svc().request('DELETE', `/v1/anvil/tokens/${made.body.uuid}`, undefined, '1.78', admin)).status,
      ).toBe(204);
      await new Promise((r) => setTimeout(r, 1100));
      const cases: [Record<string, string>, string][] = [
        [{ Authorization: 'Bearer' }, 'malformed'],
        [{ Authorization: 'Bearer anvil_not-a-real-token' }, 'unknown-token'],
        [{ Authorization: `Bearer ${expired}` }, 'expired-token'],
        [{ Authorization: `Bearer ${made.body.token as string}` }, 'revoked-token'],
        [basic('admin', 'x'), 'wrong-scheme'],
      ];
      for (const [headers] of cases) {
        const res = await svc().request('GET', '/v1/nodes', undefined, '1.78', headers);
        expect(res.status, JSON.stringify(headers)).toBe(401);
      }
      const metrics = (await svc().request('GET', '/metrics', undefined, null)).text;
      for (const [, reason] of cases)
        expect(metrics).toMatch(new RegExp(`anvil_auth_failures_total\\{reason="${reason}"\\} [1-9]`));
      // The revoked token is still listed, with its revocation time and never its secret.
      const listed = await svc().request('GET', '/v1/anvil/tokens', undefined, '1.78', admin);
      const entry = listed.body.tokens.find((t: { uuid: string }) => t.uuid === made.body.uuid);
      expect(entry.revoked_at).not.toBeNull();
      expect(listed.text).not.toContain(made.body.token);
    });

    it('records which token asked for each action in node history', async () => {
      const operator = { Authorization: `Bearer ${tokens.get('operator')!}` };
      const created = await svc().request(
        'POST',
        '/v1/nodes',
        { driver: 'fake-hardware', name: 'audited' },
        '1.78',
        operator,
      );
      expect(created.status).toBe(201);
      await svc().request('PUT', '/v1/nodes/audited/states/provision', { target: 'manage' }, '1.78', operator);
      let history: { user: string | null }[] = [];
      for (let i = 0; i < 50 && history.length === 0; i++) {
        history = (await svc().request('GET', '/v1/nodes/audited/history?detail=true', undefined, '1.78', operator))
          .body.history;
        if (history.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(history.length).toBeGreaterThan(0);
      expect(history[0]!.user).toMatch(/^token:[0-9a-f-]{36}$/);
    });
  },
  { ANVIL_AUTH: 'token' },
);

describe('basic auth from an htpasswd file', () => {
  let dir: string;
  let htpasswd: string;
  let svc: TestService;
  const hash = (password: string) => bcrypt.hashSync(password, 4).replace(/^\$2b\$/, '$2y$');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-auth-'));
    htpasswd = path.join(dir, 'htpasswd');
    writeFileSync(
      htpasswd,
      [
        `alice:${hash('alice-pw')}`,
        `bmo:${hash('bmo-pw')}`,
        `viewer:${hash('viewer-pw')}`,
        'legacy:$apr1$abcdefgh$0123456789012345678901',
        'broken-line',
      ].join('\n'),
    );
    svc = await startTestService('sqlite', {
      ANVIL_AUTH: 'basic',
      ANVIL_HTPASSWD: htpasswd,
      ANVIL_AUTH_ROLES: 'alice=admin,viewer=reader',
    });
  });
  afterAll(async () => {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives each user the role the mapping names, the default role to the others', async () => {
    expect((await svc.request('GET', '/v1/anvil/tokens', undefined, '1.78', basic('alice', 'alice-pw'))).status).toBe(
      200,
    );
    expect((await svc.request('GET', '/v1/anvil/tokens', undefined, '1.78', basic('bmo', 'bmo-pw'))).status).toBe(403);
    expect(
      (await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware' }, '1.78', basic('bmo', 'bmo-pw'))).status,
    ).toBe(201);
    const reader = await svc.request(
      'POST',
      '/v1/nodes',
      { driver: 'fake-hardware' },
      '1.78',
      basic('viewer', 'viewer-pw'),
    );
    expect(reader.status).toBe(403);
    expect(faultOf(reader)).toContain('needs the operator role');
  });

  it('answers 401 with a Basic challenge for a wrong password, an unknown user and a malformed header', async () => {
    for (const headers of [basic('alice', 'nope'), basic('mallory', 'x'), { Authorization: 'Basic !!!' }]) {
      const res = await svc.request('GET', '/v1/nodes', undefined, '1.78', headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="Anvil", charset="UTF-8"');
    }
  });

  it('skips an unsupported hash and a malformed line loudly at start, and serves the valid users', () => {
    const skipped = svc.logs.filter((l) => l.includes('htpasswd line SKIPPED'));
    expect(skipped.some((l) => l.includes('"user":"legacy"') && l.includes('$apr1$'))).toBe(true);
    expect(skipped.some((l) => l.includes('not user:hash'))).toBe(true);
  });

  it('re-reads the file when it changes: a removed user is refused, a new one admitted', async () => {
    writeFileSync(htpasswd, `carol:${hash('carol-pw')}\n`);
    // The file is checked at most once a second.
    await new Promise((r) => setTimeout(r, 1200));
    expect((await svc.request('GET', '/v1/nodes', undefined, '1.78', basic('alice', 'alice-pw'))).status).toBe(401);
    expect((await svc.request('GET', '/v1/nodes', undefined, '1.78', basic('carol', 'carol-pw'))).status).toBe(200);
  });

  it('never writes a password into its logs', () => {
    for (const secret of ['alice-pw', 'bmo-pw', 'viewer-pw', 'carol-pw', 'nope'])
      expect(svc.logs.join('\n')).not.toContain(secret);
  });
});
