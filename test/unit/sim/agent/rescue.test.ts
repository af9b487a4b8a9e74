// The fake agent's rescue.finalize_rescue, seen from a conductor: the
// password becomes the rescue user's on the host, the answer comes back at
// once (a synchronous command in IPA), and then the agent closes its API and
// stops heartbeating, as IPA does so its API is never left open to the
// machine's new user.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentServer, agentBootParams, HostDisk, SimAgent, DEFAULT_AGENT_TIMING } from '../../../../sim/agent/index.js';
import { FaultBook, seededRandom } from '../../../../sim/faults/index.js';
import { SimHost, hostSpec } from '../../../../sim/host/index.js';
import { eventually } from '../support/eventually.js';
import { startFakeAnvil, type FakeAnvil } from '../support/fake-anvil.js';

const TOKEN = 'agent-token-rescue';
const HASH = '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5';

let anvil: FakeAnvil;
let dir: string;
let host: SimHost;
let agent: SimAgent;

beforeEach(async () => {
  anvil = await startFakeAnvil();
  anvil.node = { uuid: 'a7d6c1f4-5a4e-4f0b-9a59-1f1d0c5e7b21', token: TOKEN, heartbeatTimeout: 60 };
  dir = await mkdtemp(join(tmpdir(), 'sim-rescue-test-'));
  host = new SimHost(hostSpec(0, 'rescue-', 3, 2));
  host.powerAction('On');
  agent = new SimAgent({
    host,
    disk: new HostDisk(join(dir, host.name)),
    params: agentBootParams([`ipa-api-url=${anvil.url}`]),
    server: new AgentServer(),
    faults: new FaultBook(),
    random: seededRandom(7),
    timing: { ...DEFAULT_AGENT_TIMING, heartbeatIntervalMs: 40, lookupInitialMs: 10 },
    address: '127.0.0.1',
    bmcAddress: '127.0.0.1',
  });
  await agent.start();
  await eventually(() => anvil.heartbeats.length > 0, 'the first heartbeat');
});

afterEach(async () => {
  agent.stop();
  await anvil.close();
  await rm(dir, { recursive: true, force: true });
});

async function finalize(params: Record<string, unknown>): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${agent.callbackUrl}/v1/commands/?wait=false&agent_token=${TOKEN}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'rescue.finalize_rescue', params }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('the fake agent finalizing a rescue', () => {
  it('gives the rescue user the hash, answers at once, then closes its API and stops heartbeating', async () => {
    const url = agent.callbackUrl!;
    const answer = await finalize({ rescue_password: HASH, hashed: true });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ command_name: 'finalize_rescue', command_status: 'SUCCEEDED' });
    expect(host.snapshot().rescue).toMatchObject({ password: HASH, hashed: true, running: true, boot: 1 });

    await eventually(
      () => host.bootSteps.some((s) => s.kind === 'agent' && s.detail.startsWith('rescue finalized')),
      'the agent to stop serving',
    );
    const beats = anvil.heartbeats.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(anvil.heartbeats.length).toBe(beats);
    await expect(fetch(`${url}/v1/commands/`)).rejects.toThrow();

    host.powerAction('ForceOff');
    expect(host.snapshot().rescue).toMatchObject({ password: HASH, running: false });
  });

  it('refuses a missing password and goes on serving and heartbeating', async () => {
    const answer = await finalize({ hashed: true });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      command_status: 'FAILED',
      command_error: { type: 'InvalidCommandParamsError', details: 'rescue_password is missing or empty' },
    });
    expect(host.snapshot().rescue).toBeNull();
    const beats = anvil.heartbeats.length;
    await eventually(() => anvil.heartbeats.length > beats, 'another heartbeat');
  });
});
