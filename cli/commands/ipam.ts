import { Command, InvalidArgumentError } from 'commander';
import { contextOf } from '../context.js';
import { withExamples } from '../help-text.js';
import { nodePath } from '../node-record.js';
import { collectList } from '../option-parsers.js';
import type { Column } from '../output.js';

type Row = Record<string, unknown>;
/** One range of a pool as the API takes and shows it: a subnet, or its first and last address. */
interface PoolRange {
  start?: string | null;
  end?: string | null;
  subnet?: string | null;
}

const poolPath = (pool: string) => `/v1/ipam/pools/${encodeURIComponent(pool)}`;

const POOL_COLUMNS: Column<Row>[] = [
  { header: 'Name', value: (p) => p.name },
  { header: 'Family', value: (p) => p.family },
  { header: 'Ranges', value: (p) => (p.ranges as PoolRange[]).map(rangeText).join(' ') },
  { header: 'Gateway', value: (p) => p.gateway },
  { header: 'Strategy', value: (p) => p.allocation_strategy },
];
const CLAIM_COLUMNS: Column<Row>[] = [
  { header: 'Name', value: (c) => c.name },
  { header: 'Pool', value: (c) => c.pool },
  { header: 'Address', value: (c) => c.address },
  { header: 'Prefix', value: (c) => c.prefix },
  { header: 'Owner', value: (c) => c.owner },
];
const ADDRESS_COLUMNS: Column<Row>[] = [
  { header: 'Address', value: (a) => a.address },
  { header: 'Prefix', value: (a) => a.prefix },
  { header: 'Pool', value: (a) => a.pool },
  { header: 'Claim', value: (a) => a.claim },
  { header: 'Owner', value: (a) => a.owner },
];

function rangeText(r: PoolRange): string {
  return r.subnet ? r.subnet : `${String(r.start)}-${String(r.end)}`;
}

/** `--range 10.0.12.10-10.0.12.200` or `--range 10.0.12.0/24`: one range of a pool. */
function collectRange(text: string, previous: PoolRange[] = []): PoolRange[] {
  if (text.includes('/')) return [...previous, { subnet: text }];
  const [start, end, ...rest] = text.split('-');
  if (!start || !end || rest.length > 0)
    throw new InvalidArgumentError('expected START-END or a subnet such as 10.0.12.0/24.');
  return [...previous, { start, end }];
}

interface PoolFlags {
  range: PoolRange[];
  prefix?: string;
  gateway?: string;
  dns?: string[];
  exclude?: string[];
  strategy?: string;
}

export function ipamCommand(): Command {
  const ipam = new Command('ipam').description('IP address pools, the claims that hold addresses, and node addresses');

  const pool = new Command('pool').description('address pools');
  pool.addCommand(
    withExamples(
      new Command('list').description('list pools').action(async (_flags: unknown, cmd: Command) => {
        const ctx = contextOf(cmd);
        ctx.printer.list(await ctx.client.listAll<Row>('/v1/ipam/pools', 'pools'), POOL_COLUMNS);
      }),
      'anvil ipam pool list',
    ),
  );
  pool.addCommand(
    withExamples(
      new Command('show')
        .description('show a pool and its usage')
        .argument('<pool>', 'pool name')
        .action(async (name: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          ctx.printer.record(await ctx.client.get<Row>(poolPath(name)));
        }),
      'anvil ipam pool show provisioning',
    ),
  );
  pool.addCommand(
    withExamples(
      new Command('create')
        .description('create a pool')
        .argument('<pool>', 'pool name')
        .requiredOption('--range <range>', 'START-END or a subnet (repeatable)', collectRange)
        .option('--prefix <length>', 'prefix length of the network, e.g. 24')
        .option('--gateway <address>', 'default gateway')
        .option('--dns <address>', 'DNS server (repeatable)', collectList)
        .option('--exclude <address>', 'an address or range never handed out (repeatable)', collectList)
        .option('--strategy <strategy>', 'allocation strategy (sequential, random)')
        .action(async (name: string, flags: PoolFlags, cmd: Command) => {
          const ctx = contextOf(cmd);
          const body: Row = { name, ranges: flags.range };
          if (flags.prefix !== undefined) body.prefix = Number(flags.prefix);
          if (flags.gateway !== undefined) body.gateway = flags.gateway;
          if (flags.dns) body.dns_servers = flags.dns;
          if (flags.exclude) body.excluded = flags.exclude;
          if (flags.strategy !== undefined) body.allocation_strategy = flags.strategy;
          ctx.printer.record(await ctx.client.post<Row>('/v1/ipam/pools', body));
        }),
      'anvil ipam pool create provisioning --range 10.0.12.10-10.0.12.200 --prefix 24 --gateway 10.0.12.1 --dns 10.0.0.53',
    ),
  );
  pool.addCommand(
    withExamples(
      new Command('delete')
        .description('delete a pool with no claims')
        .argument('<pool>', 'pool name')
        .action(async (name: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          await ctx.client.delete(poolPath(name));
          ctx.printer.message(`pool ${name} deleted`, { deleted: name });
        }),
      'anvil ipam pool delete provisioning',
    ),
  );
  ipam.addCommand(
    withExamples(pool, 'anvil ipam pool list', 'anvil ipam pool create p1 --range 10.0.0.10-10.0.0.20 --prefix 24'),
  );

  const claim = new Command('claim').description('named claims on addresses of a pool (idempotent by name)');
  claim.addCommand(
    withExamples(
      new Command('list')
        .description("list a pool's claims")
        .argument('<pool>', 'pool name')
        .action(async (name: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          ctx.printer.list(await ctx.client.listAll<Row>(`${poolPath(name)}/claims`, 'claims'), CLAIM_COLUMNS);
        }),
      'anvil ipam claim list provisioning',
    ),
  );
  claim.addCommand(
    withExamples(
      new Command('create')
        .description('claim an address (the same claim again answers the same address)')
        .argument('<pool>', 'pool name')
        .argument('<claim>', 'claim name')
        .option('--address <address>', 'this address rather than the next free one')
        .option('--owner <owner>', 'who holds it')
        .action(async (name: string, claimName: string, flags: { address?: string; owner?: string }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const body: Row = { name: claimName };
          if (flags.address !== undefined) body.address = flags.address;
          if (flags.owner !== undefined) body.owner = flags.owner;
          ctx.printer.record(await ctx.client.post<Row>(`${poolPath(name)}/claims`, body));
        }),
      'anvil ipam claim create provisioning vip-api --owner team-a',
    ),
  );
  claim.addCommand(
    withExamples(
      new Command('delete')
        .description('release a claim and its address')
        .argument('<pool>', 'pool name')
        .argument('<claim>', 'claim name')
        .action(async (name: string, claimName: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          await ctx.client.delete(`${poolPath(name)}/claims/${encodeURIComponent(claimName)}`);
          ctx.printer.message(`claim ${claimName} released`, { released: claimName, pool: name });
        }),
      'anvil ipam claim delete provisioning vip-api',
    ),
  );
  ipam.addCommand(
    withExamples(claim, 'anvil ipam claim create provisioning vip-api', 'anvil ipam claim list provisioning'),
  );

  const address = new Command('address').description('addresses held: across pools, or by a node');
  address.addCommand(
    withExamples(
      new Command('list')
        .description('list addresses held, optionally by pool, claim or owner')
        .option('--pool <pool>', 'in this pool')
        .option('--claim <claim>', 'held by this claim')
        .option('--owner <owner>', 'held by this owner')
        .action(async (flags: { pool?: string; claim?: string; owner?: string }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const query = new URLSearchParams(
            Object.entries(flags).filter((e): e is [string, string] => typeof e[1] === 'string'),
          ).toString();
          ctx.printer.list(
            await ctx.client.listAll<Row>(`/v1/ipam/addresses${query ? `?${query}` : ''}`, 'addresses'),
            ADDRESS_COLUMNS,
          );
        }),
      'anvil ipam address list --pool provisioning',
    ),
  );
  address.addCommand(
    withExamples(
      new Command('show')
        .description("a node's addresses")
        .argument('<node>', 'node name or uuid')
        .action(async (ident: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          const body = await ctx.client.get<{ addresses: Row[] }>(`/v1/anvil${nodePath(ident).slice(3)}/addresses`);
          ctx.printer.list(body.addresses, ADDRESS_COLUMNS, body);
        }),
      'anvil ipam address show r12-u01',
    ),
  );
  address.addCommand(
    withExamples(
      new Command('assign')
        .description('give a node one address from each named pool (idempotent)')
        .argument('<node>', 'node name or uuid')
        .requiredOption('--pool <pool>', 'a pool to take an address from (repeatable)', collectList)
        .action(async (ident: string, flags: { pool: string[] }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const body = await ctx.client.put<{ addresses: Row[] }>(`/v1/anvil${nodePath(ident).slice(3)}/addresses`, {
            pools: flags.pool,
          });
          ctx.printer.list(body.addresses, ADDRESS_COLUMNS, body);
        }),
      'anvil ipam address assign r12-u01 --pool provisioning',
    ),
  );
  address.addCommand(
    withExamples(
      new Command('release')
        .description('release every address a node holds')
        .argument('<node>', 'node name or uuid')
        .action(async (ident: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          await ctx.client.delete(`/v1/anvil${nodePath(ident).slice(3)}/addresses`);
          ctx.printer.message(`addresses of ${ident} released`, { released: ident });
        }),
      'anvil ipam address release r12-u01',
    ),
  );
  ipam.addCommand(
    withExamples(address, 'anvil ipam address list', 'anvil ipam address assign r12-u01 --pool provisioning'),
  );
  return withExamples(
    ipam,
    'anvil ipam pool list',
    'anvil ipam claim create provisioning vip-api',
    'anvil ipam address show r12-u01',
  );
}
