// The batch progress display on a real terminal: tmux runs `anvil` in a
// pane, and the test reads the screen as an operator would see it.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { requireTool } from '../interop/tools.js';
import { startTestService, type TestService } from '../support/service.js';
import { ANVIL_COMMAND, cliEnv, processEnv, type CliEnv } from './cli-run.js';
import { enrollWithPorts, manifestHost } from './sim-nodes.js';

const hasTmux = requireTool('tmux');
const SESSION = `anvil-cli-${process.pid}`;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The pane's text, polled until `ready` holds (at most `ms`). */
async function screenWhen(ready: (screen: string) => boolean, ms = 20_000): Promise<string> {
  const deadline = Date.now() + ms;
  let screen = tmux('capture-pane', '-p', '-t', SESSION);
  while (!ready(screen)) {
    if (Date.now() > deadline) throw new Error(`the screen never showed what was expected:\n${screen}`);
    await new Promise((r) => setTimeout(r, 100));
    screen = tmux('capture-pane', '-p', '-t', SESSION);
  }
  return screen;
}

describe.skipIf(!hasTmux)('the progress display on a terminal', () => {
  let svc: TestService;
  let sim: SimFleet;
  let env: CliEnv;

  beforeAll(async () => {
    [svc, sim] = await Promise.all([
      startTestService('sqlite', { ANVIL_LOG_LEVEL: 'warn' }),
      startSimFleet({ fleet: createFleet({ count: 1, seed: 3 }), redfishPort: 0, ipmiBasePort: 0 }),
    ]);
    env = cliEnv(svc.url);
    for (const name of ['tty-0', 'tty-1', 'tty-2'])
      await svc.request('POST', '/v1/nodes', { name, driver: 'fake-hardware', extra: { rack: 'tty' } });
    const shellEnv = processEnv(env);
    const exports = ['HOME', 'ANVIL_URL', 'PATH'].map((k) => `${k}='${shellEnv[k] ?? ''}'`).join(' ');
    tmux(
      'new-session',
      '-d',
      '-s',
      SESSION,
      '-x',
      '120',
      '-y',
      '40',
      '-c',
      env.cwd,
      `env ${exports} bash --norc --noprofile`,
    );
    tmux('send-keys', '-t', SESSION, `anvil() { ${ANVIL_COMMAND} "$@"; }; clear`, 'Enter');
  });

  afterAll(async () => {
    if (hasTmux) spawnSync('tmux', ['kill-session', '-t', SESSION]);
    env?.close();
    await sim?.close();
    await svc?.close();
  });

  it('redraws one live table of the batch in place, ending with every node done', async () => {
    tmux('send-keys', '-t', SESSION, 'anvil node manage --selector rack=tty --wait; echo "MANAGE-EXIT=$?"', 'Enter');
    const screen = await screenWhen((s) => /^MANAGE-EXIT=\d+$/m.test(s));
    expect(screen).toMatch(/^MANAGE-EXIT=0$/m);
    expect(screen).toMatch(/\[#{20}\] 3\/3 finished/);
    // Redrawn in place: the bar appears once, not once per change.
    expect(screen.match(/finished, \d+ s/g)).toHaveLength(1);
    for (const name of ['tty-0', 'tty-1', 'tty-2'])
      expect(screen).toMatch(new RegExp(`${name}\\s+manageable\\s+power off\\s+done`));
  });

  it('stops waiting on Ctrl-C, says the operation goes on server-side, and exits 130', async () => {
    const uuid = await enrollWithPorts(svc, manifestHost(sim, 0), 'redfish');
    for (const target of ['manage', 'provide']) {
      await svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, { target });
      const deadline = Date.now() + 15_000;
      while (
        Date.now() < deadline &&
        (await svc.request('GET', `/v1/nodes/${uuid}`)).body.target_provision_state !== null
      )
        await new Promise((r) => setTimeout(r, 50));
    }
    // No agent will call back, so the deploy waits in "wait call-back" for as long as one cares to watch.
    tmux('send-keys', '-t', SESSION, 'anvil node deploy sim-0-redfish --wait; echo "DEPLOY-EXIT=$?"', 'Enter');
    await screenWhen((s) => /^sim-0-redfish\s+wait call-back/m.test(s));
    tmux('send-keys', '-t', SESSION, 'C-c');
    const screen = await screenWhen((s) => /^DEPLOY-EXIT=\d+$/m.test(s));
    expect(screen).toMatch(/^DEPLOY-EXIT=130$/m);
    expect(screen).toContain('anvil: stopped waiting (interrupted); 1 operation(s) continue server-side');
    expect((await svc.request('GET', `/v1/nodes/${uuid}`)).body).toMatchObject({
      provision_state: 'wait call-back',
      target_provision_state: 'active',
    });
  });
});
