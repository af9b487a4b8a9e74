import { Command } from 'commander';
import { contextOf } from '../context.js';
import { WaitFailed } from '../errors.js';
import { withExamples } from '../help-text.js';
import type { AnvilClient } from '../http-client.js';
import { collectKeyValue, collectList, parseWaitSeconds, waitLimitMs } from '../option-parsers.js';
import type { Column } from '../output.js';

type AllocationRecord = Record<string, unknown> & {
  uuid: string;
  name: string | null;
  state: string;
  node_uuid: string | null;
  last_error: string | null;
};

const ALLOCATION_COLUMNS: Column<AllocationRecord>[] = [
  { header: 'UUID', value: (a) => a.uuid },
  { header: 'Name', value: (a) => a.name },
  { header: 'State', value: (a) => a.state },
  { header: 'Node', value: (a) => a.node_uuid },
  { header: 'Last Error', value: (a) => a.last_error },
];

const path = (ident: string) => `/v1/allocations/${encodeURIComponent(ident)}`;

interface CreateFlags {
  name?: string;
  resourceClass?: string;
  trait?: string[];
  candidate?: string[];
  extra?: Record<string, unknown>;
  wait?: boolean | number;
}

export function allocationCommand(): Command {
  const allocation = new Command('allocation').description(
    'reserve an available node matching a resource class and traits',
  );
  allocation.addCommand(
    withExamples(
      new Command('list')
        .description('list allocations')
        .option('--state <state>', 'allocating, active or error')
        .action(async (flags: { state?: string }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const query = flags.state === undefined ? '' : `?state=${encodeURIComponent(flags.state)}`;
          ctx.printer.list(
            await ctx.client.listAll<AllocationRecord>(`/v1/allocations${query}`, 'allocations'),
            ALLOCATION_COLUMNS,
          );
        }),
      'anvil allocation list',
      'anvil allocation list --state error',
    ),
  );
  allocation.addCommand(
    withExamples(
      new Command('show')
        .description('show an allocation')
        .argument('<allocation>', 'allocation name or uuid')
        .action(async (ident: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          ctx.printer.record(await ctx.client.get<AllocationRecord>(path(ident)));
        }),
      'anvil allocation show web-1',
    ),
  );
  allocation.addCommand(
    withExamples(
      new Command('create')
        .description('allocate a node')
        .option('--name <name>', 'the allocation name')
        .option('--resource-class <class>', 'the node resource class wanted')
        .option('--trait <trait>', 'a trait the node must have (repeatable)', collectList)
        .option('--candidate <node>', 'choose only among these nodes (repeatable)', collectList)
        .option('--extra <key=value>', 'an extra field (repeatable)', collectKeyValue)
        .option('--wait [seconds]', 'wait until a node is allocated (no value or 0: no time limit)', parseWaitSeconds)
        .action(async (flags: CreateFlags, cmd: Command) => {
          const ctx = contextOf(cmd);
          const body: Record<string, unknown> = {};
          if (flags.name !== undefined) body.name = flags.name;
          if (flags.resourceClass !== undefined) body.resource_class = flags.resourceClass;
          if (flags.trait) body.traits = flags.trait;
          if (flags.candidate) body.candidate_nodes = flags.candidate;
          if (flags.extra) body.extra = flags.extra;
          let created = await ctx.client.post<AllocationRecord>('/v1/allocations', body);
          const limit = waitLimitMs(flags.wait);
          if (limit !== undefined) created = await waitForAllocation(ctx.client, created.uuid, limit);
          ctx.printer.record(created);
        }),
      'anvil allocation create --name web-1 --resource-class baremetal --trait CUSTOM_GPU --wait 60',
    ),
  );
  allocation.addCommand(
    withExamples(
      new Command('delete')
        .description('delete an allocation, freeing its node')
        .argument('<allocation>', 'allocation name or uuid')
        .action(async (ident: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          await ctx.client.delete(path(ident));
          ctx.printer.message(`allocation ${ident} deleted`, { deleted: ident });
        }),
      'anvil allocation delete web-1',
    ),
  );
  return withExamples(allocation, 'anvil allocation create --resource-class baremetal --wait', 'anvil allocation list');
}

async function waitForAllocation(client: AnvilClient, uuid: string, limitMs: number | null): Promise<AllocationRecord> {
  const deadline = limitMs === null ? Infinity : Date.now() + limitMs;
  for (let interval = 100; ; interval = Math.min(interval * 2, 2000)) {
    const current = await client.get<AllocationRecord>(path(uuid));
    if (current.state === 'active') return current;
    if (current.state === 'error')
      throw new WaitFailed(`allocation ${uuid} failed: ${current.last_error ?? 'no reason given'}`);
    if (Date.now() >= deadline)
      throw new WaitFailed(`allocation ${uuid} still ${current.state} after ${Math.round(limitMs! / 1000)} s`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
