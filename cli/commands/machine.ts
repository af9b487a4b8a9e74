import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { contextOf } from '../context.js';
import { UsageError, WaitFailed } from '../errors.js';
import { withExamples } from '../help-text.js';
import type { AnvilClient } from '../http-client.js';
import { collectList, parseWaitSeconds, waitLimitMs } from '../option-parsers.js';
import type { Column } from '../output.js';

interface MachineStatus {
  phase: string;
  deleting: boolean;
  node_uuid: string | null;
  provider_id: string | null;
  addresses: { type: string; address: string }[];
  ready: boolean;
  failure_reason: string | null;
  failure_message: string | null;
}
type MachineRecord = Record<string, unknown> & {
  uuid: string;
  name: string;
  spec: Record<string, unknown> & { cluster: string };
  status: MachineStatus;
};

const MACHINE_COLUMNS: Column<MachineRecord>[] = [
  { header: 'Name', value: (m) => m.name },
  { header: 'Cluster', value: (m) => m.spec.cluster },
  { header: 'Phase', value: (m) => (m.status.deleting ? `${m.status.phase} (deleting)` : m.status.phase) },
  { header: 'Provider ID', value: (m) => m.status.provider_id },
  {
    header: 'Addresses',
    value: (m) =>
      m.status.addresses
        .filter((a) => a.type === 'InternalIP')
        .map((a) => a.address)
        .join(' '),
  },
  { header: 'Reason', value: (m) => m.status.failure_message },
];

const path = (ident: string) => `/v1/anvil/machines/${encodeURIComponent(ident)}`;

interface CreateFlags {
  cluster: string;
  role?: string;
  selector?: Record<string, string>;
  failureDomain?: string;
  imageUrl?: string;
  imageChecksum?: string;
  imageChecksumType?: string;
  diskFormat?: string;
  customDeploy?: string;
  userDataFile?: string;
  pool?: string[];
  cleaningMode?: string;
  nodeReuse?: boolean;
  paused?: boolean;
  wait?: boolean | number;
}

/** The API's bounds for a reboot remediation (its remediate body): refused here before any request is sent. */
const RETRY_LIMIT = { min: 1, max: 10 };
const TIMEOUT_SECONDS = { min: 1, max: 86_400 };

/** An option taking a whole number from `min` to `max`: "3abc", "1.5" and "-1" are refused, as --concurrency's are. */
function integerFrom({ min, max }: { min: number; max: number }): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    return n;
  };
}

/** Repeatable `--selector key=value`: host labels, kept as strings (a label's value is a string). */
function collectLabel(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`"${text}" is not key=value.`);
  return { ...previous, [text.slice(0, eq)]: text.slice(eq + 1) };
}

export function machineCommand(): Command {
  const machine = new Command('machine').description(
    'Cluster API machines: hosts claimed by label selector, provisioned, remediated and given back',
  );
  machine.addCommand(
    withExamples(
      new Command('list')
        .description('list machines')
        .option('--cluster <cluster>', 'only this cluster')
        .option('--phase <phase>', 'pending, provisioning, provisioned, deprovisioning or failed')
        .action(async (flags: { cluster?: string; phase?: string }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const query = new URLSearchParams();
          if (flags.cluster !== undefined) query.set('cluster', flags.cluster);
          if (flags.phase !== undefined) query.set('phase', flags.phase);
          const suffix = query.size > 0 ? `?${query.toString()}` : '';
          ctx.printer.list(
            await ctx.client.listAll<MachineRecord>(`/v1/anvil/machines${suffix}`, 'machines'),
            MACHINE_COLUMNS,
          );
        }),
      'anvil machine list --cluster prod',
      'anvil machine list --phase pending',
    ),
  );
  machine.addCommand(
    withExamples(
      new Command('show')
        .description('show a machine')
        .argument('<machine>', 'machine name or uuid')
        .action(async (ident: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          ctx.printer.record(await ctx.client.get<MachineRecord>(path(ident)));
        }),
      'anvil machine show prod-worker-0',
    ),
  );
  machine.addCommand(
    withExamples(
      new Command('create')
        .description('create a machine (idempotent by name: the same spec again is not an error)')
        .argument('<name>', 'the machine name, which is its hostname too')
        .requiredOption('--cluster <cluster>', 'the cluster it belongs to')
        .option('--role <role>', 'its role (control-plane, worker), remembered on the host for --node-reuse')
        .option('--selector <key=value>', 'a host label it needs (repeatable)', collectLabel)
        .option('--failure-domain <domain>', 'the failure domain its host must be in')
        .option('--image-url <url>', 'the OS image')
        .option('--image-checksum <checksum>', "the image's checksum (required with --image-url)")
        .option('--image-checksum-type <type>', 'md5, sha256 or sha512')
        .option('--disk-format <format>', 'raw, qcow2 or live-iso')
        .option('--custom-deploy <method>', 'an agent deploy step that installs the OS, instead of an image')
        .option('--user-data-file <file>', 'user data for the config drive')
        .option('--pool <pool>', 'an IPAM pool to take an address from (repeatable)', collectList)
        .option('--cleaning-mode <mode>', 'metadata (default) or disabled')
        .option('--node-reuse', 'prefer the host this cluster and role held last')
        .option('--paused', 'create it paused')
        .option('--wait [seconds]', 'wait until provisioned (no value or 0: no time limit)', parseWaitSeconds)
        .action(async (name: string, flags: CreateFlags, cmd: Command) => {
          const ctx = contextOf(cmd);
          let created = await ctx.client.post<MachineRecord>('/v1/anvil/machines', { name, spec: specFrom(flags) });
          const limit = waitLimitMs(flags.wait);
          if (limit !== undefined) created = await waitForMachine(ctx.client, created.uuid, limit);
          ctx.printer.record(created);
        }),
      'anvil machine create prod-worker-0 --cluster prod --role worker --selector rack=r12 --failure-domain a \\\n    --image-url http://images/os.img --image-checksum <sha256> --image-checksum-type sha256 --pool prov-v4 --wait 900',
    ),
  );
  machine.addCommand(
    withExamples(
      new Command('delete')
        .description('delete a machine: its host is undeployed, its addresses released, and the host freed')
        .argument('<machine>', 'machine name or uuid')
        .action(async (ident: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          await ctx.client.delete(path(ident));
          ctx.printer.message(`machine ${ident} is being deleted`, { deleting: ident });
        }),
      'anvil machine delete prod-worker-0',
    ),
  );
  machine.addCommand(
    withExamples(
      new Command('remediate')
        .description("power-cycle a machine's host until it comes back; after the limit the host is marked unhealthy")
        .argument('<machine>', 'machine name or uuid')
        .option('--retry-limit <n>', 'reboots to try (1 to 10)', integerFrom(RETRY_LIMIT), 1)
        .option(
          '--timeout <seconds>',
          'seconds each reboot has to come back (up to a day)',
          integerFrom(TIMEOUT_SECONDS),
          300,
        )
        .action(async (ident: string, flags: { retryLimit: number; timeout: number }, cmd: Command) => {
          const ctx = contextOf(cmd);
          const body = { strategy: 'reboot', retry_limit: flags.retryLimit, timeout: flags.timeout };
          ctx.printer.record(await ctx.client.post<MachineRecord>(`${path(ident)}/remediate`, body));
        }),
      'anvil machine remediate prod-worker-0 --retry-limit 2 --timeout 600',
    ),
  );
  return withExamples(machine, 'anvil machine list', 'anvil machine show prod-worker-0');
}

function specFrom(flags: CreateFlags): Record<string, unknown> {
  const spec: Record<string, unknown> = { cluster: flags.cluster };
  if (flags.role !== undefined) spec.role = flags.role;
  if (flags.selector !== undefined) spec.host_selector = { match_labels: flags.selector };
  if (flags.failureDomain !== undefined) spec.failure_domain = flags.failureDomain;
  if (flags.imageUrl !== undefined) {
    spec.image = {
      url: flags.imageUrl,
      ...(flags.imageChecksum !== undefined ? { checksum: flags.imageChecksum } : {}),
      ...(flags.imageChecksumType !== undefined ? { checksum_type: flags.imageChecksumType } : {}),
      ...(flags.diskFormat !== undefined ? { disk_format: flags.diskFormat } : {}),
    };
  }
  if (flags.customDeploy !== undefined) spec.custom_deploy = { method: flags.customDeploy };
  if (flags.userDataFile !== undefined) {
    try {
      spec.user_data = readFileSync(flags.userDataFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${flags.userDataFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (flags.pool !== undefined) spec.data_template = { networks: flags.pool.map((pool) => ({ pool })) };
  if (flags.cleaningMode !== undefined) spec.automated_cleaning_mode = flags.cleaningMode;
  if (flags.nodeReuse) spec.node_reuse = true;
  if (flags.paused) spec.paused = true;
  return spec;
}

async function waitForMachine(client: AnvilClient, uuid: string, limitMs: number | null): Promise<MachineRecord> {
  const deadline = limitMs === null ? Infinity : Date.now() + limitMs;
  for (let interval = 200; ; interval = Math.min(interval * 2, 5000)) {
    const current = await client.get<MachineRecord>(path(uuid));
    if (current.status.phase === 'provisioned') return current;
    if (current.status.phase === 'failed')
      throw new WaitFailed(`machine ${current.name} failed: ${current.status.failure_message ?? 'no reason given'}`);
    if (Date.now() >= deadline)
      throw new WaitFailed(
        `machine ${current.name} still ${current.status.phase} after ${Math.round(limitMs! / 1000)} s${current.status.failure_message ? `: ${current.status.failure_message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, interval));
  }
}
