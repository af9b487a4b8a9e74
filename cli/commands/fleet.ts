import { Command } from 'commander';
import { contextOf } from '../context.js';
import { summarizeFleet } from '../fleet-summary.js';
import { withExamples } from '../help-text.js';
import { listNodes } from '../targets.js';

export function fleetCommand(): Command {
  const fleet = new Command('fleet').description('the whole fleet at a glance');
  fleet.addCommand(
    withExamples(
      new Command('status')
        .description(
          'nodes by provision state, BMC health (power, maintenance, faults), and the failed nodes with their last error',
        )
        .option('-s, --selector <terms>', 'only nodes matching key=value terms (rack=r12, state=…)')
        .action(async (flags: { selector?: string }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const summary = summarizeFleet(await listNodes(ctx.client, flags.selector));
          if (ctx.printer.format !== 'table') return ctx.printer.data(summary);
          const counts = (record: Record<string, number>) =>
            Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
          ctx.printer.message(`${summary.total} node(s)`, summary);
          ctx.printer.list(counts(summary.by_state), [
            { header: 'Provision State', value: ([state]) => state },
            { header: 'Nodes', value: ([, n]) => n },
          ]);
          const health: [string, number][] = [
            ...counts(summary.bmc.power).map(([p, n]): [string, number] => [`power: ${p}`, n]),
            ['maintenance', summary.bmc.maintenance],
            ...counts(summary.bmc.faults).map(([f, n]): [string, number] => [`fault: ${f}`, n]),
          ];
          ctx.printer.list(health, [
            { header: 'BMC Health', value: ([what]) => what },
            { header: 'Nodes', value: ([, n]) => n },
          ]);
          if (summary.failed.length > 0) {
            ctx.printer.list(summary.failed, [
              { header: 'Failed Node', value: (f) => f.name },
              { header: 'State', value: (f) => f.provision_state },
              { header: 'Last Error', value: (f) => f.last_error },
            ]);
          }
        }),
      'anvil fleet status',
      'anvil fleet status --selector rack=r12 -o json',
    ),
  );
  return withExamples(fleet, 'anvil fleet status');
}
