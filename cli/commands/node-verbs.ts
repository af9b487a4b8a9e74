import { Command } from 'commander';
import type { PowerState, TargetPowerState } from '../../contract/index.js';
import { contextOf } from '../context.js';
import { withExamples } from '../help-text.js';
import type { PatchOp } from '../http-client.js';
import { runNodeBatch } from '../node-batch.js';
import type { NodeGoal } from '../node-goals.js';
import { nodePath } from '../node-record.js';
import { parseConcurrency, parseWaitSeconds, waitLimitMs } from '../option-parsers.js';

export interface BatchFlags {
  selector?: string;
  concurrency: number;
  wait?: boolean | number;
}

/** The verbs that change a node's provision state: API target and the state the node rests in after. */
const PROVISION_VERBS = {
  manage: { target: 'manage', state: 'manageable', about: 'verify BMC access and make nodes manageable' },
  inspect: {
    target: 'inspect',
    state: 'manageable',
    about: 'inspect the hardware (properties, ports) of manageable nodes',
  },
  provide: { target: 'provide', state: 'available', about: 'clean manageable nodes and make them available' },
  deploy: { target: 'active', state: 'active', about: 'deploy available nodes (instance_info names the image)' },
  undeploy: {
    target: 'deleted',
    state: 'available',
    about: 'tear down deployed nodes, clean them, make them available again',
  },
} as const;

const POWER_VERBS = {
  on: { target: 'power on', state: 'power on' },
  off: { target: 'power off', state: 'power off' },
  reboot: { target: 'rebooting', state: 'power on' },
} as const satisfies Record<string, { target: TargetPowerState; state: PowerState }>;

/** The options every batch verb takes: names or a selector, concurrency, --wait. */
export function batchOptions(command: Command, waitable: boolean): Command {
  command
    .argument('[nodes...]', 'node names or uuids')
    .option(
      '-s, --selector <terms>',
      'act on every node matching key=value terms: state=<provision state>, or extra fields (rack=r12)',
    )
    .option('--concurrency <n>', 'nodes worked on at once', parseConcurrency, 10);
  if (waitable)
    command.option(
      '--wait [seconds]',
      'wait until every node is done (no value or 0: no time limit)',
      parseWaitSeconds,
    );
  return command;
}

export function provisionVerbCommands(): Command[] {
  return Object.entries(PROVISION_VERBS).map(([verb, { target, state, about }]) => {
    const command = batchOptions(new Command(verb).description(`${about} (waits for "${state}")`), true);
    if (verb === 'deploy') {
      command.option('--image-source <url>', 'image to write (sets instance_info.image_source first)');
      command.option('--image-checksum <checksum>', 'its checksum, e.g. sha256:… (sets instance_info.image_checksum)');
    }
    command.action(
      async (names: string[], flags: BatchFlags & { imageSource?: string; imageChecksum?: string }, cmd: Command) => {
        const ctx = contextOf(cmd);
        const instance: PatchOp[] = [];
        if (flags.imageSource !== undefined)
          instance.push({ op: 'add', path: '/instance_info/image_source', value: flags.imageSource });
        if (flags.imageChecksum !== undefined)
          instance.push({ op: 'add', path: '/instance_info/image_checksum', value: flags.imageChecksum });
        process.exitCode = await runNodeBatch(ctx, {
          names,
          selector: flags.selector,
          concurrency: flags.concurrency,
          waitMs: waitLimitMs(flags.wait),
          goal: { kind: 'provision', state },
          accepted: `${verb} accepted`,
          act: async (ident) => {
            if (instance.length > 0) await ctx.client.patch(nodePath(ident), instance);
            await ctx.client.put(`${nodePath(ident)}/states/provision`, { target });
          },
        });
      },
    );
    return withExamples(
      command,
      `anvil node ${verb} r12-u01 --wait`,
      `anvil node ${verb} --selector rack=r12 --wait 1800 --concurrency 20`,
      ...(verb === 'deploy'
        ? ['anvil node deploy --selector "state=deploy failed" --wait      # retry the failures']
        : [`anvil -o json node ${verb} r12-u01 r12-u02`]),
    );
  });
}

export function powerCommand(): Command {
  const power = new Command('power').description('power nodes on, off, or reboot them through their BMCs');
  for (const [verb, { target, state }] of Object.entries(POWER_VERBS)) {
    const goal: NodeGoal = { kind: 'power', state };
    const command = batchOptions(
      new Command(verb).description(`${target === 'rebooting' ? 'reboot' : `power ${verb}`} nodes`),
      true,
    ).action(async (names: string[], flags: BatchFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      process.exitCode = await runNodeBatch(ctx, {
        names,
        selector: flags.selector,
        concurrency: flags.concurrency,
        waitMs: waitLimitMs(flags.wait),
        goal,
        accepted: `${target} accepted`,
        act: (ident) => ctx.client.put(`${nodePath(ident)}/states/power`, { target }),
      });
    });
    power.addCommand(
      withExamples(command, `anvil node power ${verb} r12-u01 --wait`, `anvil node power ${verb} --selector rack=r12`),
    );
  }
  return withExamples(
    power,
    'anvil node power off r12-u01 r12-u02 --wait',
    'anvil node power reboot --selector rack=r12,state=active',
  );
}
