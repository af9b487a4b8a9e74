import { Command, Option } from 'commander';
import { batchExitCode, runBatch, type ItemOutcome } from '../batch.js';
import { contextOf } from '../context.js';
import { enrollNode } from '../enrollment.js';
import { UsageError } from '../errors.js';
import type { ExitCode } from '../exit-codes.js';
import { withExamples } from '../help-text.js';
import { interruptOnSigint } from '../interrupt.js';
import { checkInventory, readInventory, type InventoryNode, type ManifestBmc } from '../inventory.js';
import { messageOf } from '../node-batch.js';
import { collectKeyValue, collectList, parseConcurrency } from '../option-parsers.js';
import type { Column } from '../output.js';

interface EnrollFlags {
  file?: string;
  bmcProtocol: ManifestBmc;
  check?: boolean;
  concurrency: number;
  bmc?: string;
  bmcUsername?: string;
  bmcPassword?: string;
  mac?: string[];
  extra?: Record<string, unknown>;
  property?: Record<string, unknown>;
  driverInfo?: Record<string, unknown>;
  resourceClass?: string;
}

const OUTCOME_COLUMNS: Column<ItemOutcome>[] = [
  { header: 'Node', value: (o) => o.item },
  { header: 'Result', value: (o) => o.status },
  { header: 'Detail', value: (o) => o.detail },
  { header: 'UUID', value: (o) => o.node?.uuid },
];

/** `enroll` (top level) and `node enroll`: one node from flags, or a whole inventory file. */
export function enrollCommand(name = 'enroll'): Command {
  const command = new Command(name)
    .description(
      'enroll nodes and their ports from an inventory file (YAML, CSV, anvil-sim manifest) or from flags; idempotent',
    )
    .argument('[name]', 'enroll one node by this name (with --bmc, --bmc-username, --bmc-password)')
    .option('-f, --file <inventory>', 'inventory file: .yaml/.yml, .csv, or an anvil-sim manifest (.json)')
    .addOption(
      new Option('--bmc-protocol <protocol>', 'which BMC of an anvil-sim manifest host to use')
        .choices(['redfish', 'ipmi'])
        .default('redfish'),
    )
    .option('--check', 'validate the inventory and show what it holds; send nothing')
    .option('--concurrency <n>', 'nodes enrolled at once', parseConcurrency, 10)
    .option('--bmc <address>', 'BMC address: redfish+https://host/redfish/v1/Systems/1 or ipmi://host:623')
    // Not --username/--password: those are the CLI's own credentials for the API, on every command.
    .option('--bmc-username <user>', 'BMC user name')
    .option('--bmc-password <password>', 'BMC password')
    .option('--mac <mac>', 'a NIC to create a port for (repeatable)', collectList)
    .option('--extra <key=value>', 'an extra field, e.g. rack=r12 (repeatable)', collectKeyValue)
    .option('--property <key=value>', 'a property, e.g. cpu_arch=x86_64 (repeatable)', collectKeyValue)
    .option(
      '--driver-info <key=value>',
      'an extra driver_info field, e.g. deploy_kernel=URL (repeatable)',
      collectKeyValue,
    )
    .option('--resource-class <class>', 'the node resource class')
    .action(async (nodeName: string | undefined, flags: EnrollFlags, cmd: Command) => {
      process.exitCode = await enroll(nodeName, flags, cmd);
    });
  return withExamples(
    command,
    `anvil ${name} -f rack-r12.yaml            # re-run it: what exists is reported, nothing changes`,
    `anvil ${name} -f rack-r12.csv --check     # validate only, with line numbers`,
    `anvil ${name} -f sim.json --bmc-protocol ipmi`,
    `anvil ${name} r12-u01 --bmc redfish+https://10.0.12.1/redfish/v1/Systems/1 --bmc-username admin --bmc-password secret --mac 52:54:00:12:00:01 --extra rack=r12`,
  );
}

async function enroll(nodeName: string | undefined, flags: EnrollFlags, cmd: Command): Promise<ExitCode> {
  const nodes = inventoryOf(nodeName, flags);
  const ctx = contextOf(cmd);
  if (flags.check) {
    ctx.printer.list(
      nodes,
      [
        { header: 'Line', value: (n) => n.line },
        { header: 'Node', value: (n) => n.name },
        { header: 'Driver', value: (n) => n.body.driver },
        { header: 'MACs', value: (n) => n.macs.join(' ') },
      ],
      nodes.map((n) => ({ line: n.line, name: n.name, node: maskSecrets(n.body), macs: n.macs })),
    );
    return 0;
  }
  const interrupt = interruptOnSigint();
  let outcomes: ItemOutcome[];
  try {
    const byName = new Map(nodes.map((n) => [n.name, n]));
    outcomes = await runBatch([...byName.keys()], flags.concurrency, interrupt.signal, async (item) => {
      try {
        return await enrollNode(ctx.client, byName.get(item)!);
      } catch (err) {
        return { item, status: 'failed', detail: messageOf(err) };
      }
    });
  } finally {
    interrupt.dispose();
  }
  ctx.printer.list(outcomes, OUTCOME_COLUMNS);
  for (const o of outcomes) if (o.status === 'failed') process.stderr.write(`anvil: ${o.item}: ${o.detail}\n`);
  if (interrupt.signal.aborted)
    process.stderr.write(
      'anvil: interrupted; nodes not started were not enrolled, re-run to finish (it is idempotent)\n',
    );
  return batchExitCode(outcomes);
}

function inventoryOf(nodeName: string | undefined, flags: EnrollFlags): InventoryNode[] {
  if (flags.file !== undefined) {
    if (nodeName !== undefined || flags.bmc !== undefined)
      throw new UsageError('give an inventory file (-f) or one node by name with --bmc, not both');
    return readInventory(flags.file, flags.bmcProtocol);
  }
  if (nodeName === undefined)
    throw new UsageError(
      'give an inventory file (-f FILE) or a node name with --bmc, --bmc-username and --bmc-password',
    );
  const fields: Record<string, unknown> = {
    name: nodeName,
    bmc: { address: flags.bmc, username: flags.bmcUsername, password: flags.bmcPassword },
    macs: flags.mac ?? [],
  };
  if (flags.extra) fields.extra = flags.extra;
  if (flags.property) fields.properties = flags.property;
  if (flags.driverInfo) fields.driver_info = flags.driverInfo;
  if (flags.resourceClass !== undefined) fields.resource_class = flags.resourceClass;
  return checkInventory(
    { nodes: [{ fields, lineOf: () => 0 }], defaults: null, problems: [] },
    flags.bmcProtocol,
    () => 'command line',
  );
}

function maskSecrets(body: Record<string, unknown>): Record<string, unknown> {
  const info = Object.fromEntries(
    Object.entries(body.driver_info as Record<string, unknown>).map(([k, v]) => [
      k,
      k.endsWith('_password') ? '******' : v,
    ]),
  );
  return { ...body, driver_info: info };
}
