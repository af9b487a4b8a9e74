// The fake agent's heartbeat cadence, as IPA's heartbeater has it: the first
// heartbeat at once after lookup; then every U(0.3, 0.6) × the lookup's
// heartbeat_timeout; and a forced one when an asynchronous command ends,
// success or failure, no sooner than min_heartbeat_interval after the last.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AgentServer,
  agentBootParams,
  DEFAULT_AGENT_TIMING,
  HostDisk,
  SimAgent,
  type AgentTiming,
} from '../../../../sim/agent/index.js';
import { FaultBook, seededRandom } from '../../../../sim/faults/index.js';
import { SimHost, hostSpec } from '../../../../sim/host/index.js';
import { eventually } from '../support/eventually.js';
import { startFakeAnvil, type FakeAnvil } from '../support/fake-anvil.js';

const TOKEN = 'agent-token-beat';
const NODE = '5d0f6a2e-8c1b-4f3a-9e7d-2b4c6a8e0f13';

let anvil: FakeAnvil;
let dir: string;
let agent: SimAgent | null = null;
/** When each heartbeat reached the fake Anvil, as far as a 2 ms poll can tell. */
let arrivals: number[] = [];
let watcher: NodeJS.Timeout | undefined;

beforeEach(async () => {
  anvil = await startFakeAnvil();
  dir = await mkdtemp(join(tmpdir(), 'sim-heartbeat-test-'));
  arrivals = [];
  watcher = setInterval(() => {
    while (arrivals.length < anvil.heartbeats.length) arrivals.push(Date.now());
  }, 2);
});

afterEach(async () => {
  clearInterval(watcher);
  agent?.stop();
  agent = null;
  await anvil.close();
  await rm(dir, { recursive: true, force: true });
});

async function bootAgent(heartbeatTimeoutS: number, timing: Partial<AgentTiming>): Promise<SimAgent> {
  anvil.node = { uuid: NODE, token: TOKEN, heartbeatTimeout: heartbeatTimeoutS };
  const host = new SimHost(hostSpec(0, 'beat-', 5, 2));
  host.powerAction('On');
  agent = new SimAgent({
    host,
    disk: new HostDisk(join(dir, host.name)),
    params: agentBootParams([`ipa-api-url=${anvil.url}`]),
    server: new AgentServer(),
    faults: new FaultBook(),
    random: seededRandom(11),
    timing: { ...DEFAULT_AGENT_TIMING, lookupInitialMs: 10, ...timing },
    address: '127.0.0.1',
    bmcAddress: '127.0.0.1',
  });
  await agent.start();
  await eventually(() => arrivals.length >= 1, 'the first heartbeat');
  return agent;
}

/** Starts a command without waiting for it, as Anvil's conductor does for steps; the time it ended. */
async function runCommand(running: SimAgent, name: string, params: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${running.callbackUrl}/v1/commands/?wait=false&agent_token=${TOKEN}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, params }),
  });
  const id = ((await res.json()) as { id: string }).id;
  return eventually(async () => {
    const view = (await (await fetch(`${running.callbackUrl}/v1/commands/${id}`)).json()) as {
      command_status: string;
    };
    return view.command_status !== 'RUNNING' && Date.now();
  }, `command ${name} to end`);
}

const eraseMetadata = {
  step: { step: 'erase_devices_metadata', interface: 'deploy', priority: 99 },
  node: { uuid: NODE },
};

describe('fake agent heartbeats', () => {
  it('heartbeats at once when an asynchronous command ends, not on its 30 s interval', async () => {
    const running = await bootAgent(60, { heartbeatIntervalMs: 30_000, minHeartbeatIntervalMs: 100 });
    const ended = await runCommand(running, 'clean.execute_clean_step', eraseMetadata);
    await eventually(() => arrivals.length >= 2, 'a forced heartbeat', 2_000);
    expect(arrivals[1]! - ended).toBeLessThan(500);
    // A failed command forces one too.
    const failed = await runCommand(running, 'clean.execute_clean_step', { step: { step: 'no_such_step' } });
    await eventually(() => arrivals.length >= 3, 'a heartbeat after the failure', 2_000);
    expect(arrivals[2]! - failed).toBeLessThan(500);
    expect(anvil.heartbeats[2]?.body).toMatchObject({ agent_status: 'end', agent_token: TOKEN });
  });

  it('does not heartbeat for a synchronous command, which answers in its own reply', async () => {
    const running = await bootAgent(60, { heartbeatIntervalMs: 30_000, minHeartbeatIntervalMs: 50 });
    await runCommand(running, 'clean.get_clean_steps', {});
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(arrivals).toHaveLength(1);
  });

  it('waits min_heartbeat_interval after the previous heartbeat before a forced one', async () => {
    const running = await bootAgent(60, { heartbeatIntervalMs: 30_000, minHeartbeatIntervalMs: 800 });
    const ended = await runCommand(running, 'clean.execute_clean_step', eraseMetadata);
    expect(ended - arrivals[0]!).toBeLessThan(800);
    await eventually(() => arrivals.length >= 2, 'the forced heartbeat', 3_000);
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(790);
    expect(arrivals[1]! - arrivals[0]!).toBeLessThan(1_300);
  });

  it("without a configured interval, heartbeats every 0.3 to 0.6 of the lookup's heartbeat_timeout", async () => {
    await bootAgent(1, { heartbeatIntervalMs: null });
    await eventually(() => arrivals.length >= 7, 'six more heartbeats', 6_000);
    const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(290);
      expect(gap).toBeLessThan(700);
    }
    // Jittered, not fixed: the gaps are not all alike.
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeGreaterThan(30);
  });
});
