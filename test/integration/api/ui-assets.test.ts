import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../support/service.js';

const basic = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

describe('the dashboard at /ui/, with basic authentication on', () => {
  let svc: TestService;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-ui-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="app.js"></script>');
    writeFileSync(path.join(dir, 'app.js'), 'console.log("dashboard")');
    writeFileSync(path.join(dir, '.hidden'), 'not for anyone');
    const htpasswd = path.join(dir, '..', `${path.basename(dir)}.htpasswd`);
    writeFileSync(htpasswd, `viewer:${bcrypt.hashSync('pw-viewer', 4)}\nops:${bcrypt.hashSync('pw-ops', 4)}\n`);
    svc = await startTestService('sqlite', {
      ANVIL_AUTH: 'basic',
      ANVIL_HTPASSWD: htpasswd,
      ANVIL_AUTH_ROLES: 'viewer=reader,ops=operator',
      ANVIL_UI_DIR: dir,
    });
  });
  afterAll(async () => {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves its page and files without credentials (the login page is one of them), under a same-origin policy', async () => {
    const page = await fetch(`${svc.url}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('app.js');
    const script = await fetch(`${svc.url}/ui/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain('dashboard');
  });

  it('sends /ui to /ui/, so the page’s relative links resolve', async () => {
    const res = await fetch(`${svc.url}/ui`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/ui/');
  });

  it('answers 404 in Ironic’s shape for a file it does not have, a dotfile, or a path out of its folder', async () => {
    for (const asset of ['missing.js', '.hidden', '..%2f..%2fetc%2fpasswd', 'x%2f..%2f..%2f.hidden']) {
      const res = await svc.request('GET', `/ui/${asset}`);
      expect(res.status, asset).toBe(404);
      expect(JSON.parse(res.body.error_message as string).faultstring).toBeTruthy();
    }
  });

  it('keeps the data behind credentials: the API still asks the dashboard’s user to sign in', async () => {
    const res = await fetch(`${svc.url}/v1/anvil/whoami`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
    // A page's script gets no Basic challenge (the browser would answer it with its own login box), and the mode instead.
    const fromScript = await fetch(`${svc.url}/v1/anvil/whoami`, { headers: { 'X-Requested-With': 'XMLHttpRequest' } });
    expect(fromScript.status).toBe(401);
    expect(fromScript.headers.get('www-authenticate')).toBeNull();
    expect(fromScript.headers.get('x-anvil-auth')).toBe('basic');
  });

  it('tells each user who they are and what role they hold (GET /v1/anvil/whoami)', async () => {
    const viewer = await svc.request('GET', '/v1/anvil/whoami', undefined, null, basic('viewer', 'pw-viewer'));
    expect(viewer.status).toBe(200);
    expect(viewer.body).toEqual({ name: 'user:viewer', role: 'reader', auth: 'basic' });
    const ops = await svc.request('GET', '/v1/anvil/whoami', undefined, null, basic('ops', 'pw-ops'));
    expect(ops.body).toEqual({ name: 'user:ops', role: 'operator', auth: 'basic' });
    const wrong = await svc.request('GET', '/v1/anvil/whoami', undefined, null, basic('ops', 'nope'));
    expect(wrong.status).toBe(401);
  });
});

describe('the dashboard when it was never built', () => {
  let svc: TestService;
  let empty: string;
  beforeAll(async () => {
    empty = mkdtempSync(path.join(os.tmpdir(), 'anvil-ui-empty-'));
    svc = await startTestService('sqlite', { ANVIL_UI_DIR: empty });
  });
  afterAll(async () => {
    await svc.close();
    rmSync(empty, { recursive: true, force: true });
  });

  it('says what to run instead of a bare 404', async () => {
    const res = await svc.request('GET', '/ui/');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body.error_message as string).faultstring).toContain('run `npm run build`');
  });
});
