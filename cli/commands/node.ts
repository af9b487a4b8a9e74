import { Command } from 'commander';
import { contextOf, type CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { withExamples } from '../help-text.js';
import type { PatchOp } from '../http-client.js';
import { runNodeBatch } from '../node-batch.js';
import { nodePath, type NodeRecord } from '../node-record.js';
import { collectKeyValue } from '../option-parsers.js';
import type { Column } from '../output.js';
import { listNodes } from '../targets.js';
import { enrollCommand } from './enroll.js';
import { batchOptions, powerCommand, provisionVerbCommands, type BatchFlags } from './node-verbs.js';

const NODE_COLUMNS: Column<NodeRecord>[] = [
  { header: 'Name', value: (n) => n.name },
  { header: 'UUID', value: (n) => n.uuid },
  {
    header: 'Provision State',
    value: (n) => (n.target_provision_state ? `${n.provision_state} → ${n.target_provision_state}` : n.provision_state),
  },
  { header: 'Power', value: (n) => n.power_state },
  { header: 'Maintenance', value: (n) => n.maintenance },
  { header: 'Last Error', value: (n) => n.last_error },
];

/** Map-valued node fields `node set` can add keys to, by flag. */
const MAP_FLAGS = {
  driverInfo: 'driver_info',
  extra: 'extra',
  property: 'properties',
  instanceInfo: 'instance_info',
} as const;

interface SetFlags {
  driverInfo?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  property?: Record<string, unknown>;
  instanceInfo?: Record<string, unknown>;
  unset?: string[];
  name?: string;
  resourceClass?: string;
  description?: string;
  automatedClean?: string;
}

export function nodeCommand(): Command {
  const node = new Command('node').description('enroll, inspect, deploy and look after bare-metal nodes');
  node.addCommand(enrollCommand('enroll'));

  node.addCommand(
    withExamples(
      new Command('list')
        .description('list nodes with their states and last errors')
        .option(
          '-s, --selector <terms>',
          'only nodes matching key=value terms: state=<provision state>, or extra fields (rack=r12)',
        )
        .action(async (flags: { selector?: string }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const nodes = await listNodes(ctx.client, flags.selector);
          ctx.printer.list(nodes, NODE_COLUMNS);
        }),
      'anvil node list',
      'anvil node list --selector rack=r12,state=available',
      'anvil node list -o json | jq -r ".[].name"',
    ),
  );

  node.addCommand(
    withExamples(
      new Command('show')
        .description('show every field of a node (BMC passwords are masked by the server)')
        .argument('<node>', 'node name or uuid')
        .action(async (ident: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          ctx.printer.record(await ctx.client.get<NodeRecord>(nodePath(ident)));
        }),
      'anvil node show r12-u01',
      'anvil node show r12-u01 -o yaml',
    ),
  );

  node.addCommand(
    withExamples(
      new Command('set')
        .description('change node fields (a JSON PATCH): BMC credentials, extra fields, properties, name')
        .argument('<node>', 'node name or uuid')
        .option(
          '--driver-info <key=value>',
          'set a driver_info field, e.g. redfish_password=… (repeatable)',
          collectKeyValue,
        )
        .option('--extra <key=value>', 'set an extra field (repeatable)', collectKeyValue)
        .option('--property <key=value>', 'set a property (repeatable)', collectKeyValue)
        .option('--instance-info <key=value>', 'set an instance_info field (repeatable)', collectKeyValue)
        .option('--unset <path>', 'remove a field, e.g. extra/rack (repeatable)', (v: string, prev: string[] = []) => [
          ...prev,
          v,
        ])
        .option('--name <name>', 'rename the node')
        .option('--resource-class <class>', 'set the resource class')
        .option('--description <text>', 'set the description')
        .option('--automated-clean <bool>', 'true or false')
        .action(async (ident: string, flags: SetFlags, cmd: Command) => {
          const ctx = contextOf(cmd);
          const ops = patchOf(flags);
          ctx.printer.record(await ctx.client.patch<NodeRecord>(nodePath(ident), ops));
        }),
      'anvil node set r12-u01 --driver-info redfish_username=ops --driver-info redfish_password=n3w-s3cret',
      'anvil node set r12-u01 --extra rack=r13 --unset extra/slot',
    ),
  );

  node.addCommand(
    withExamples(
      batchOptions(new Command('delete').description('delete nodes (and their ports) from Anvil'), false).action(
        async (names: string[], flags: BatchFlags, cmd: Command) => {
          const ctx = contextOf(cmd);
          await runUnwaitedBatch(ctx, names, flags, 'deleted', (ident) => ctx.client.delete(nodePath(ident)));
        },
      ),
      'anvil node delete r12-u01',
      'anvil node delete --selector rack=r12,state=manageable',
    ),
  );

  for (const verb of provisionVerbCommands()) node.addCommand(verb);
  node.addCommand(powerCommand());
  node.addCommand(maintenanceCommand());

  node.addCommand(
    withExamples(
      new Command('boot-device')
        .description("show a node's boot device, or set it (pxe, disk, cdrom, bios, safe)")
        .argument('<node>', 'node name or uuid')
        .argument('[device]', 'the device to boot from next')
        .option('--persistent', 'keep it for every boot, not only the next one')
        .action(async (ident: string, device: string | undefined, flags: { persistent?: boolean }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const path = `${nodePath(ident)}/management/boot_device`;
          if (device !== undefined)
            await ctx.client.put(path, { boot_device: device, persistent: flags.persistent === true });
          else if (flags.persistent) throw new UsageError('--persistent goes with a device to set');
          ctx.printer.record(await ctx.client.get<Record<string, unknown>>(path));
        }),
      'anvil node boot-device r12-u01',
      'anvil node boot-device r12-u01 pxe --persistent',
    ),
  );

  node.addCommand(
    withExamples(
      new Command('history')
        .description("a node's events: state changes, errors, who did what")
        .argument('<node>', 'node name or uuid')
        .action(async (ident: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          const history = await ctx.client.listAll<Record<string, unknown>>(
            `${nodePath(ident)}/history?detail=True`,
            'history',
          );
          ctx.printer.list(history, [
            { header: 'Time', value: (e) => e.created_at },
            { header: 'Severity', value: (e) => e.severity },
            { header: 'Event', value: (e) => e.event },
          ]);
        }),
      'anvil node history r12-u01',
      'anvil node history r12-u01 -o json',
    ),
  );

  node.addCommand(
    withExamples(
      new Command('inventory')
        .description('the hardware inventory inspection stored: CPUs, memory, disks, NICs')
        .argument('<node>', 'node name or uuid')
        .action(async (ident: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          const body = await ctx.client.get<{ inventory?: Record<string, unknown> }>(`${nodePath(ident)}/inventory`);
          ctx.printer.record(body.inventory ?? {}, body);
        }),
      'anvil node inventory r12-u01',
      'anvil node inventory r12-u01 -o yaml',
    ),
  );
  return withExamples(
    node,
    'anvil node list',
    'anvil node manage --selector rack=r12 --wait',
    'anvil node help deploy',
  );
}

function maintenanceCommand(): Command {
  const maintenance = new Command('maintenance').description(
    'take nodes out of service (the conductor leaves them alone) and back',
  );
  maintenance.addCommand(
    withExamples(
      batchOptions(new Command('set').description('put nodes in maintenance'), false)
        .option('--reason <text>', 'why, for the next operator')
        .action(async (names: string[], flags: BatchFlags & { reason?: string }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const body = flags.reason === undefined ? {} : { reason: flags.reason };
          await runUnwaitedBatch(ctx, names, flags, 'in maintenance', (ident) =>
            ctx.client.put(`${nodePath(ident)}/maintenance`, body),
          );
        }),
      'anvil node maintenance set r12-u07 --reason "disk 2 failed, ticket 4411"',
    ),
  );
  maintenance.addCommand(
    withExamples(
      batchOptions(new Command('unset').description('take nodes out of maintenance'), false).action(
        async (names: string[], flags: BatchFlags, cmd: Command) => {
          const ctx = contextOf(cmd);
          await runUnwaitedBatch(ctx, names, flags, 'out of maintenance', (ident) =>
            ctx.client.delete(`${nodePath(ident)}/maintenance`),
          );
        },
      ),
      'anvil node maintenance unset r12-u07',
    ),
  );
  return withExamples(
    maintenance,
    'anvil node maintenance set r12-u07 --reason "disk swap"',
    'anvil node maintenance unset r12-u07',
  );
}

/** A batch verb whose change is done when the API answers, so there is nothing to wait for. */
async function runUnwaitedBatch(
  ctx: CommandContext,
  names: string[],
  flags: BatchFlags,
  accepted: string,
  act: (ident: string) => Promise<unknown>,
): Promise<void> {
  process.exitCode = await runNodeBatch(ctx, {
    names,
    selector: flags.selector,
    concurrency: flags.concurrency,
    waitMs: undefined,
    goal: null,
    accepted,
    act: async (ident) => {
      await act(ident);
    },
  });
}

function patchOf(flags: SetFlags): PatchOp[] {
  const ops: PatchOp[] = [];
  for (const [flag, field] of Object.entries(MAP_FLAGS) as [keyof typeof MAP_FLAGS, string][]) {
    for (const [key, value] of Object.entries(flags[flag] ?? {}))
      ops.push({ op: 'add', path: `/${field}/${pointer(key)}`, value });
  }
  for (const path of flags.unset ?? []) ops.push({ op: 'remove', path: `/${path.replace(/^\//, '')}` });
  if (flags.name !== undefined) ops.push({ op: 'replace', path: '/name', value: flags.name });
  if (flags.resourceClass !== undefined)
    ops.push({ op: 'replace', path: '/resource_class', value: flags.resourceClass });
  if (flags.description !== undefined) ops.push({ op: 'replace', path: '/description', value: flags.description });
  if (flags.automatedClean !== undefined) {
    if (flags.automatedClean !== 'true' && flags.automatedClean !== 'false')
      throw new UsageError('--automated-clean must be true or false');
    ops.push({ op: 'replace', path: '/automated_clean', value: flags.automatedClean === 'true' });
  }
  if (ops.length === 0)
    throw new UsageError(
      'nothing to change: give --driver-info, --extra, --property, --instance-info, --unset, --name, …',
    );
  return ops;
}

/** RFC 6901: a key inside a JSON Pointer. */
function pointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
