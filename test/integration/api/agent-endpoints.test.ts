import http from 'node:http';
import { expect, it } from 'vitest';
import { AGENT_FAILURE_THROTTLE } from '../../../api/routes/ramdisk.js';
import { openDatabase } from '../../../services/db/index.js';
import type { ProvisionState } from '../../../services/nodes/index.js';
import { describeOnEngines, eventually, faultOf, type ApiResponse, type TestService } from '../../support/service.js';

// The ramdisk agent's endpoints are public (as in Ironic): these tests play
// the agent, and the stranger on the provisioning network, against the real
// service. Each test speaks from a loopback address of its own (127.0.0.x),
// so the failures one test makes on purpose never slow another down.

const IMAGE_URL = 'http://builder:s3cr3t@images.example/ubuntu.raw?temp_url_sig=abc';

interface Answer extends ApiResponse {
  /** Milliseconds from sending the request to the end of the answer. */
  ms: number;
}

/** One request to the service from the local address `from`, as an agent on that address would send it. */
function agentCall(svc: TestService, from: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const url = new URL(svc.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method,
        localAddress: from,
        headers: {
          'X-OpenStack-Ironic-API-Version': '1.84',
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = text === '' ? null : JSON.parse(text);
          } catch {
            parsed = null;
          }
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve({ status: res.statusCode ?? 0, headers, body: parsed, text, ms: performance.now() - started });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A request from `from` whose client hangs up after `ms`, before any answer; resolves once it has. */
function hangUpAfter(svc: TestService, from: string, path: string, ms: number): Promise<void> {
  const url = new URL(svc.url);
  return new Promise((resolve) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path,
      localAddress: from,
      headers: { 'X-OpenStack-Ironic-API-Version': '1.84' },
    });
    req.on('response', () => expect.fail(`${path} was answered within ${ms} ms`));
    req.on('error', () => undefined);
    req.on('close', () => resolve());
    req.end();
    setTimeout(() => req.destroy(), ms);
  });
}

let nextMac = 0x10;
let nextSource = 10;

/** A loopback address no other test speaks from. */
function freshSource(): string {
  return `127.0.0.${nextSource++}`;
}

/** A node with one port, put straight into `state` as a conductor would have left it; its MAC and uuid. */
async function nodeIn(
  svc: TestService,
  state: ProvisionState,
  target: ProvisionState | null,
  extra: Record<string, unknown> = {},
): Promise<{ uuid: string; mac: string }> {
  const created = await svc.request('POST', '/v1/nodes', {
    driver: 'fake-hardware',
    properties: { cpus: 8, root_device: { name: '/dev/sda' } },
    instance_info: {
      image_source: IMAGE_URL,
      image_checksum: 'sha256:0123',
      root_device: { name: '/dev/sda' },
      configdrive: { meta_data: { admin_pass: 'hunter2' } },
    },
    ...extra,
  });
  expect(created.status).toBe(201);
  const uuid = created.body.uuid as string;
  const mac = `52:54:00:a9:00:${(nextMac++).toString(16).padStart(2, '0')}`;
  expect((await svc.request('POST', '/v1/ports', { node_uuid: uuid, address: mac })).status).toBe(201);
  await setState(svc, uuid, state, target);
  return { uuid, mac };
}

async function setState(svc: TestService, uuid: string, state: ProvisionState, target: ProvisionState | null) {
  const db = openDatabase(svc.db.url);
  try {
    await db.knex('nodes').where({ uuid }).update({ provision_state: state, target_provision_state: target });
  } finally {
    await db.close();
  }
}

async function historyOf(svc: TestService, uuid: string): Promise<string[]> {
  const res = await svc.request('GET', `/v1/nodes/${uuid}/history`, undefined, '1.78');
  return (res.body.history as { event: string }[]).map((e) => e.event);
}

async function internalInfo(svc: TestService, uuid: string): Promise<Record<string, unknown>> {
  return (await svc.request('GET', `/v1/nodes/${uuid}`)).body.driver_internal_info;
}

function lookup(svc: TestService, from: string, mac: string, nodeUuid?: string): Promise<Answer> {
  const query = new URLSearchParams({ addresses: mac });
  if (nodeUuid !== undefined) query.set('node_uuid', nodeUuid);
  return agentCall(svc, from, 'GET', `/v1/lookup?${query.toString()}`);
}

function heartbeat(svc: TestService, from: string, node: string, token: string | undefined, callback: string) {
  return agentCall(svc, from, 'POST', `/v1/heartbeat/${node}`, {
    callback_url: callback,
    ...(token === undefined ? {} : { agent_token: token }),
    agent_version: '10.0.0',
  });
}

/** The same answer an unknown node gets: 404, Ironic's error body, "Node <ident> could not be found." */
function expectNotFound(res: Answer, ident: string) {
  expect(res.status).toBe(404);
  expect(Object.keys(res.body)).toEqual(['error_message']);
  expect(faultOf(res)).toBe(`Node ${ident} could not be found.`);
}

describeOnEngines('agent endpoints', (svc) => {
  it('hands the token to the first lookup only, with no secret and no image URL to anyone', async () => {
    const { uuid, mac } = await nodeIn(svc(), 'wait call-back', 'active');
    const first = await lookup(svc(), freshSource(), mac);
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(['config', 'node']);
    expect(Object.keys(first.body.node).sort()).toEqual([
      'driver_internal_info',
      'instance_info',
      'properties',
      'uuid',
    ]);
    expect(first.body.node.uuid).toBe(uuid);
    const token = first.body.config.agent_token as string;
    expect(token).toMatch(/^[\w-]{40,}$/);
    expect(first.body.config.agent_token_required).toBe(true);
    expect(first.body.node.instance_info).toEqual({
      image_source: '******',
      image_checksum: 'sha256:0123',
      root_device: { name: '/dev/sda' },
      configdrive: '******',
    });
    expect(first.body.node.properties.root_device).toEqual({ name: '/dev/sda' });

    const second = await lookup(svc(), freshSource(), mac);
    expect(second.status).toBe(200);
    expect(second.body.config.agent_token).toBe('******');
    expect(second.body.node.driver_internal_info.agent_secret_token).toBe('******');
    for (const answer of [first, second]) {
      expect(answer.text).not.toContain('s3cr3t');
      expect(answer.text).not.toContain('images.example');
      expect(answer.text).not.toContain('hunter2');
    }
    expect(second.text).not.toContain(token);
  });

  it('answers 404 alike for an unknown MAC, a node outside the lookup states and MACs that are not the node’s', async () => {
    const from = freshSource();
    const unknown = await lookup(svc(), from, '52:54:00:ff:ff:01');
    expectNotFound(unknown, '52:54:00:ff:ff:01');
    for (const state of ['manageable', 'available', 'active', 'clean failed'] as const) {
      const { mac } = await nodeIn(svc(), state, null);
      expectNotFound(await lookup(svc(), from, mac), mac);
    }
    const { uuid, mac } = await nodeIn(svc(), 'clean wait', 'available');
    const other = await nodeIn(svc(), 'clean wait', 'available');
    // By uuid, the MACs given must be that node's own.
    expectNotFound(await lookup(svc(), from, other.mac, uuid), uuid);
    expect((await lookup(svc(), from, mac, uuid)).status).toBe(200);
  });

  it('refuses a heartbeat without a token, with a wrong one or another node’s, as for a node that does not exist, and changes nothing', async () => {
    const from = freshSource();
    const { uuid, mac } = await nodeIn(svc(), 'inspect wait', 'manageable');
    const other = await nodeIn(svc(), 'inspect wait', 'manageable');
    const token = (await lookup(svc(), from, mac)).body.config.agent_token as string;
    const othersToken = (await lookup(svc(), from, other.mac)).body.config.agent_token as string;
    const missing = crypto.randomUUID();

    // No token: Ironic's 400, given before the node is read, so the same for a node that does not exist.
    const none = await heartbeat(svc(), from, uuid, undefined, 'http://127.0.0.1:9999');
    const noneMissing = await heartbeat(svc(), from, missing, undefined, 'http://127.0.0.1:9999');
    expect(none.status).toBe(400);
    expect(faultOf(none)).toBe('Agent token is required for heartbeat processing.');
    expect(noneMissing.status).toBe(400);
    expect(faultOf(noneMissing)).toBe(faultOf(none));

    // A wrong token (of another length, too), another node's token, and a node that does not exist: all alike.
    expectNotFound(await heartbeat(svc(), from, uuid, 'x', 'http://127.0.0.1:9999'), uuid);
    const nearMiss = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expectNotFound(await heartbeat(svc(), from, uuid, nearMiss, 'http://127.0.0.1:9999'), uuid);
    expectNotFound(await heartbeat(svc(), from, uuid, othersToken, 'http://127.0.0.1:9999'), uuid);
    expectNotFound(await heartbeat(svc(), from, missing, token, 'http://127.0.0.1:9999'), missing);
    const info = await internalInfo(svc(), uuid);
    expect(info.agent_url).toBeUndefined();
    expect(info.agent_last_heartbeat).toBeUndefined();

    const accepted = await heartbeat(svc(), from, uuid, token, 'http://127.0.0.1:9999');
    expect(accepted.status).toBe(202);
    expect((await internalInfo(svc(), uuid)).agent_url).toBe('http://127.0.0.1:9999');
    // Nothing to resume in inspect wait: the lock went with the write, and the next heartbeat takes it again.
    expect((await svc().request('GET', `/v1/nodes/${uuid}`)).body.reservation).toBeNull();
    expect((await heartbeat(svc(), from, uuid, token, 'http://127.0.0.1:9999')).status).toBe(202);
    expect((await svc().request('GET', `/v1/nodes/${uuid}`)).body.reservation).toBeNull();
  });

  it('voids the token when the node leaves the agent states: after an abort, and for the next boot', async () => {
    const from = freshSource();
    const { uuid, mac } = await nodeIn(svc(), 'inspect wait', 'manageable');
    const token = (await lookup(svc(), from, mac)).body.config.agent_token as string;
    expect((await heartbeat(svc(), from, uuid, token, 'http://127.0.0.1:9101')).status).toBe(202);

    expect((await svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'abort' })).status).toBe(202);
    await eventually(
      () => svc().request('GET', `/v1/nodes/${uuid}`),
      (r) => r.body.provision_state === 'inspect failed' && r.body.reservation === null,
    );
    let info = await internalInfo(svc(), uuid);
    expect(info.agent_secret_token).toBeUndefined();
    expect(info.agent_url).toBeUndefined();
    expectNotFound(await heartbeat(svc(), from, uuid, token, 'http://127.0.0.1:9102'), uuid);
    info = await internalInfo(svc(), uuid);
    expect(info.agent_url).toBeUndefined();

    // The node is inspected again: the new agent gets a new token, and the old one stays void.
    await setState(svc(), uuid, 'inspect wait', 'manageable');
    const again = await lookup(svc(), from, mac);
    const fresh = again.body.config.agent_token as string;
    expect(fresh).not.toBe('******');
    expect(fresh).not.toBe(token);
    expectNotFound(await heartbeat(svc(), from, uuid, token, 'http://127.0.0.1:9103'), uuid);
    expect((await heartbeat(svc(), from, uuid, fresh, 'http://127.0.0.1:9104')).status).toBe(202);
    expect((await internalInfo(svc(), uuid)).agent_url).toBe('http://127.0.0.1:9104');
  });

  it('voids the token when the node leaves the agent states by itself: done, or clean failed', async () => {
    const from = freshSource();
    // Done: a heartbeat moves clean wait on, and fake hardware finishes cleaning at once.
    const done = await nodeIn(svc(), 'clean wait', 'available');
    const doneToken = (await lookup(svc(), from, done.mac)).body.config.agent_token as string;
    expect((await heartbeat(svc(), from, done.uuid, doneToken, 'http://127.0.0.1:9201')).status).toBe(202);
    await eventually(
      () => svc().request('GET', `/v1/nodes/${done.uuid}`),
      (r) => r.body.provision_state === 'available' && r.body.reservation === null,
    );
    expect(await internalInfo(svc(), done.uuid)).not.toHaveProperty('agent_secret_token');
    expectNotFound(await heartbeat(svc(), from, done.uuid, doneToken, 'http://127.0.0.1:9201'), done.uuid);

    // Clean failed: a Redfish node's agent heartbeats from a URL where nothing answers, so its clean step fails.
    const failing = await nodeIn(svc(), 'clean wait', 'available', {
      driver: 'redfish',
      driver_info: {
        redfish_address: 'http://127.0.0.1:9',
        redfish_system_id: '/redfish/v1/Systems/1',
        redfish_username: 'admin',
        redfish_password: 'password',
      },
    });
    const token = (await lookup(svc(), from, failing.mac)).body.config.agent_token as string;
    expect((await heartbeat(svc(), from, failing.uuid, token, 'http://127.0.0.1:9')).status).toBe(202);
    const failed = await eventually(
      () => svc().request('GET', `/v1/nodes/${failing.uuid}`),
      (r) => r.body.provision_state === 'clean failed' && r.body.reservation === null,
      15_000,
    );
    expect(failed.body.last_error).toContain('127.0.0.1:9');
    expect(failed.body.driver_internal_info).not.toHaveProperty('agent_secret_token');
    expect(failed.body.driver_internal_info).not.toHaveProperty('agent_url');

    expectNotFound(await heartbeat(svc(), from, failing.uuid, token, 'http://127.0.0.1:9202'), failing.uuid);
    const after = (await svc().request('GET', `/v1/nodes/${failing.uuid}`)).body;
    expect(after.provision_state).toBe('clean failed');
    expect(after.driver_internal_info).not.toHaveProperty('agent_url');
    expect(after.driver_internal_info.agent_last_heartbeat).toBe(failed.body.driver_internal_info.agent_last_heartbeat);
  });

  it('slows a source that keeps failing, and only that source', async () => {
    const { freeFailures, maxDelayMs } = AGENT_FAILURE_THROTTLE;
    const base = AGENT_FAILURE_THROTTLE.baseDelayMs!;
    const scanner = freshSource();
    const scan = (i: number) => lookup(svc(), scanner, `52:54:00:ee:00:${i.toString(16).padStart(2, '0')}`);
    for (let i = 0; i < freeFailures; i++) expect((await scan(i)).status).toBe(404);
    let earned = base;
    for (let i = 0; i < 3; i++) {
      const res = await scan(freeFailures + i);
      expect(res.status).toBe(404);
      // At least the delay earned, give or take a timer's millisecond; no upper bound, the machine may be busy.
      expect(res.ms).toBeGreaterThanOrEqual(earned - 5);
      earned = Math.min(maxDelayMs, earned * 2);
    }
    // The scanner now waits `earned` (seconds) per try; a heartbeat of a missing node is slowed alike.
    const beat = await heartbeat(svc(), scanner, crypto.randomUUID(), 'guess', 'http://127.0.0.1:9');
    expect(beat.status).toBe(404);
    expect(beat.ms).toBeGreaterThanOrEqual(earned - 5);

    // An agent elsewhere is not slowed: it fails, looks its node up and heartbeats, each far quicker than the scanner's wait.
    const agent = freshSource();
    const { uuid, mac } = await nodeIn(svc(), 'inspect wait', 'manageable');
    const miss = await lookup(svc(), agent, '52:54:00:ee:ff:ff');
    expect(miss.status).toBe(404);
    const found = await lookup(svc(), agent, mac);
    expect(found.status).toBe(200);
    const ok = await heartbeat(svc(), agent, uuid, found.body.config.agent_token as string, 'http://127.0.0.1:9301');
    expect(ok.status).toBe(202);
    for (const res of [miss, found, ok]) expect(res.ms).toBeLessThan(earned);
  });

  it('does not serve a lookup whose agent hung up while it waited: the token stays for the agent’s next lookup', async () => {
    const { freeFailures } = AGENT_FAILURE_THROTTLE;
    const base = AGENT_FAILURE_THROTTLE.baseDelayMs!;
    // An agent whose address failed before (a stale agent of an earlier boot heartbeating a retired token).
    const from = freshSource();
    for (let i = 0; i <= freeFailures + 1; i++)
      expect((await heartbeat(svc(), from, crypto.randomUUID(), 'stale', 'http://127.0.0.1:9')).status).toBe(404);
    const { uuid, mac } = await nodeIn(svc(), 'wait call-back', 'active');
    const earned = base * 4;

    // Its first lookup times out on the client's side, during the wait the address has earned.
    await hangUpAfter(svc(), from, `/v1/lookup?addresses=${mac}`, earned / 4);
    await new Promise((r) => setTimeout(r, earned));
    expect(await internalInfo(svc(), uuid)).not.toHaveProperty('agent_secret_token');
    expect(await historyOf(svc(), uuid)).not.toContainEqual(expect.stringContaining('was given its token'));

    // Asking again, it waits its turn and is given the token, and its heartbeat is taken.
    const found = await lookup(svc(), from, mac);
    expect(found.status).toBe(200);
    expect(found.ms).toBeGreaterThanOrEqual(earned - 5);
    const token = found.body.config.agent_token as string;
    expect(token).toMatch(/^[\w-]{40,}$/);
    expect((await heartbeat(svc(), from, uuid, token, 'http://127.0.0.1:9302')).status).toBe(202);
  });
});
