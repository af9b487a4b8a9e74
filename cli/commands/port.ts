import { Command } from 'commander';
import { contextOf } from '../context.js';
import { withExamples } from '../help-text.js';
import { nodePath } from '../node-record.js';
import type { Column } from '../output.js';

type PortRecord = Record<string, unknown> & { uuid: string; address: string; node_uuid: string };

const PORT_COLUMNS: Column<PortRecord>[] = [
  { header: 'UUID', value: (p) => p.uuid },
  { header: 'Address', value: (p) => p.address },
  { header: 'Node', value: (p) => p.node_uuid },
  { header: 'PXE', value: (p) => p.pxe_enabled },
];

export function portCommand(): Command {
  const port = new Command('port').description("a node's network ports (one per NIC, by MAC)");
  port.addCommand(
    withExamples(
      new Command('list')
        .description('list ports, all or one node’s')
        .option('--node <node>', 'only this node’s ports')
        .option('--address <mac>', 'only the port with this MAC')
        .action(async (flags: { node?: string; address?: string }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const query = flags.address === undefined ? '' : `?address=${encodeURIComponent(flags.address)}`;
          const path =
            flags.node === undefined ? `/v1/ports/detail${query}` : `${nodePath(flags.node)}/ports/detail${query}`;
          ctx.printer.list(await ctx.client.listAll<PortRecord>(path, 'ports'), PORT_COLUMNS);
        }),
      'anvil port list',
      'anvil port list --node r12-u01',
      'anvil port list --address 52:54:00:12:00:01 -o json',
    ),
  );
  port.addCommand(
    withExamples(
      new Command('show')
        .description('show a port')
        .argument('<port>', 'port uuid')
        .action(async (ident: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          ctx.printer.record(await ctx.client.get<PortRecord>(`/v1/ports/${encodeURIComponent(ident)}`));
        }),
      'anvil port show 5f0c…',
    ),
  );
  port.addCommand(
    withExamples(
      new Command('create')
        .description('create a port for a NIC of a node')
        .requiredOption('--node <node>', 'node name or uuid')
        .requiredOption('--address <mac>', 'the NIC’s MAC address')
        .option('--no-pxe', 'the NIC does not network-boot')
        .action(async (flags: { node: string; address: string; pxe: boolean }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const body = { node_uuid: flags.node, address: flags.address, pxe_enabled: flags.pxe };
          ctx.printer.record(await ctx.client.post<PortRecord>('/v1/ports', body));
        }),
      'anvil port create --node r12-u01 --address 52:54:00:12:00:01',
    ),
  );
  port.addCommand(
    withExamples(
      new Command('delete')
        .description('delete a port')
        .argument('<port>', 'port uuid')
        .action(async (ident: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          await ctx.client.delete(`/v1/ports/${encodeURIComponent(ident)}`);
          ctx.printer.message(`port ${ident} deleted`, { deleted: ident });
        }),
      'anvil port delete 5f0c…',
    ),
  );
  return withExamples(
    port,
    'anvil port list --node r12-u01',
    'anvil port create --node r12-u01 --address 52:54:00:12:00:01',
  );
}
