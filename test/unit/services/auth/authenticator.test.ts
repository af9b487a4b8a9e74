import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthenticationFailed, Authenticator, HtpasswdFile } from '../../../../services/auth/index.js';

// One hash serves every user: bcrypt's hash does not name the user. Cost 4 keeps a thousand checks quick.
const HASH = bcrypt.hashSync('secret', 4);
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function basicAuth(users: string[], clock: { now: number }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-auth-'));
  dirs.push(dir);
  const file = path.join(dir, 'htpasswd');
  writeFileSync(file, users.map((u) => `${u}:${HASH}\n`).join(''));
  const htpasswd = new HtpasswdFile(file, { now: () => clock.now });
  const verify = vi.spyOn(htpasswd, 'verify');
  const auth = new Authenticator({
    mode: 'basic',
    htpasswd,
    roles: { admin: 'admin' },
    defaultRole: 'reader',
    cacheTtlMs: 60_000,
    now: () => clock.now,
  });
  const as = (user: string, password = 'secret') =>
    auth.authenticate({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
  return { auth, as, verify };
}

describe('Authenticator, basic', () => {
  it('checks bcrypt once per user and password while the verdict is fresh, and again once it is not', async () => {
    const clock = { now: 1_000_000 };
    const { as, verify } = basicAuth(['admin', 'ops'], clock);
    expect(await as('admin')).toEqual({ name: 'user:admin', role: 'admin' });
    expect(await as('ops')).toEqual({ name: 'user:ops', role: 'reader' });
    await as('admin');
    expect(verify).toHaveBeenCalledTimes(2);
    clock.now += 60_001;
    await as('admin');
    expect(verify).toHaveBeenCalledTimes(3);
  });

  it('never caches a refusal: each wrong password is checked and refused', async () => {
    const { as, verify } = basicAuth(['admin'], { now: 0 });
    await as('admin');
    for (let i = 0; i < 2; i++) await expect(as('admin', 'wrong')).rejects.toBeInstanceOf(AuthenticationFailed);
    expect(verify).toHaveBeenCalledTimes(3);
  });

  it('keeps at most 1,024 verdicts and drops the least recently used first', async () => {
    const others = Array.from({ length: 1024 }, (_, i) => `user${i}`);
    const { as, verify } = basicAuth(['kept', ...others], { now: 0 });
    await as('kept');
    for (const user of others.slice(0, 1023)) await as(user);
    await as('kept'); // a hit, which makes user0 the least recently used
    expect(verify).toHaveBeenCalledTimes(1024);
    await as('user1023'); // the 1,025th verdict
    await as('kept');
    expect(verify).toHaveBeenCalledTimes(1025);
    await as('user0');
    expect(verify).toHaveBeenCalledTimes(1026);
  });
});
