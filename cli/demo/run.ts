import { readFileSync } from 'node:fs';
import { DemoFailed, UsageError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { AnvilClient } from '../http-client.js';
import { programArgs } from '../programs.js';
import { startChild, type DemoChild } from './children.js';
import { driveFleet, enrollFleet, type DemoHost } from './fleet-driver.js';
import { createPhaseView } from './phase-view.js';
import { preflight, type DemoPorts } from './preflight.js';
import { makeWorkspace, type DemoWorkspace } from './workspace.js';

export interface DemoOptions {
  hosts: number;
  /** Where the demo makes its directory. */
  parent: string;
  ports: DemoPorts;
  /** Stop once every host is active (or failed), instead of running on until Ctrl-C. */
  exitWhenDone: boolean;
}

const API_UP = 'network boot services listening';
const SIM_UP = /^anvil-sim: \d+ hosts, Redfish at /;

/**
 * `anvil demo`: Anvil and a simulated fleet as child processes on a
 * directory of their own, the fleet enrolled and taken to active with a live
 * view, then left running for the user to try until Ctrl-C, which stops
 * both and removes the directory.
 */
export async function runDemo(options: DemoOptions, out: NodeJS.WriteStream = process.stdout): Promise<ExitCode> {
  await preflight({ hosts: options.hosts, ports: options.ports });
  const ws = makeWorkspace(options.parent);
  const stop = new AbortController();
  const children: DemoChild[] = [];
  // A program that exits before the demo stops it ends the demo, with its log kept.
  const ending: { stopping: boolean; crashed: DemoChild | null } = { stopping: false, crashed: null };
  const watch = (child: DemoChild) => {
    children.push(child);
    void child.exited.then(() => {
      if (ending.stopping || ending.crashed !== null) return;
      ending.crashed = child;
      stop.abort();
    });
  };
  const throwIfCrashed = () => {
    const { crashed } = ending;
    if (crashed !== null) throw new DemoFailed(`${crashed.name} exited on its own; its log: ${crashed.log}`);
  };
  const onSignal = () => {
    if (!stop.signal.aborted) {
      stop.abort();
      return;
    }
    // A second Ctrl-C: no more patience for graceful stops.
    for (const child of children) killGroup(child.pid);
    ws.remove();
    process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let keep = false;
  try {
    const apiUrl = `http://127.0.0.1:${options.ports.api}`;
    const bootUrl = `http://127.0.0.1:${options.ports.bootHttp}`;
    out.write(`Starting Anvil and ${options.hosts} simulated hosts in ${ws.root}\n`);
    watch(await startAnvil(ws, options.ports, stop.signal));
    watch(await startSim(ws, options, bootUrl, stop.signal));
    const client = new AnvilClient(apiUrl);
    const hosts = await enrollFleet(client, JSON.parse(readFileSync(ws.manifest, 'utf8')), stop.signal);
    const view = createPhaseView(out);
    await driveFleet({
      client,
      hosts,
      image: { url: `${bootUrl}/images/${ws.image.name}`, sha256: ws.image.sha256 },
      signal: stop.signal,
      onRead: () => view.update(hosts),
    });
    view.close();
    throwIfCrashed();
    if (stop.signal.aborted) {
      out.write('Interrupted: stopping Anvil and the simulated hosts.\n');
      return EXIT.interrupted;
    }
    const failed = hosts.filter((h) => h.outcome?.kind === 'failed');
    out.write(summary(hosts, failed));
    if (!options.exitWhenDone) {
      out.write(nextSteps(hosts[0]?.name ?? 'sim-0', apiUrl, ws));
      await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
      throwIfCrashed();
    }
    return failed.length === 0 ? EXIT.ok : EXIT.failure;
  } catch (err) {
    if (ending.crashed === null && stop.signal.aborted) return EXIT.interrupted;
    // Something failed once the programs ran: their logs are kept to read.
    keep = !(err instanceof UsageError);
    throwIfCrashed();
    throw err;
  } finally {
    ending.stopping = true;
    // The sim first: its agents would otherwise call a stopped API.
    for (const child of children.reverse()) await child.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (keep) process.stderr.write(`anvil: the demo's logs are kept in ${ws.root}\n`);
    else ws.remove();
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** The environment of a child: the user's, without any ANVIL_* of theirs (the demo must not touch their Anvil). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const own = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ANVIL_')));
  return { ...own, ...extra };
}

function startAnvil(ws: DemoWorkspace, ports: DemoPorts, signal: AbortSignal): Promise<DemoChild> {
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  return startChild({
    name: 'anvil serve',
    program: 'anvil',
    args: ['serve'],
    env: childEnv({
      ANVIL_DATA_DIR: ws.dataDir,
      ANVIL_API_HOST: '127.0.0.1',
      ANVIL_API_PORT: String(ports.api),
      ANVIL_API_PUBLIC_URL: apiUrl,
      ANVIL_HTTP_HOST: '127.0.0.1',
      ANVIL_HTTP_PORT: String(ports.bootHttp),
      ANVIL_TFTP_PORT: String(ports.tftp),
      ANVIL_TFTP_ROOT: ws.tftpRoot,
      ANVIL_DEPLOY_KERNEL: ws.deployKernel,
      ANVIL_DEPLOY_RAMDISK: ws.deployRamdisk,
      ANVIL_LOG_LEVEL: 'info',
    }),
    log: ws.anvilLog,
    ready: (line) => line.includes(API_UP),
    reason: (lines) => lines.map(anvilComplaint).findLast((l) => l !== undefined),
    signal,
  });
}

/** An `anvil:` line, or the message of a pino line at error level or above. */
function anvilComplaint(line: string): string | undefined {
  if (line.startsWith('anvil: ')) return line.slice('anvil: '.length);
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
    if ((entry.level ?? 0) < 50) return undefined;
    return [entry.msg, entry.err?.message].filter((s) => s !== undefined).join(': ');
  } catch {
    return undefined;
  }
}

function startSim(ws: DemoWorkspace, options: DemoOptions, bootUrl: string, signal: AbortSignal): Promise<DemoChild> {
  return startChild({
    name: 'anvil-sim',
    program: 'anvil-sim',
    args: [
      '--hosts',
      String(options.hosts),
      '--redfish-port',
      String(options.ports.redfish),
      '--ipmi-base-port',
      String(options.ports.ipmiBase),
      '--manifest',
      ws.manifest,
      '--boot-http',
      bootUrl,
      '--boot-tftp',
      `127.0.0.1:${options.ports.tftp}`,
      '--disk-dir',
      ws.diskDir,
    ],
    env: childEnv({}),
    log: ws.simLog,
    ready: (line) => SIM_UP.test(line),
    reason: (lines) => lines.findLast((l) => l.startsWith('anvil-sim: '))?.slice('anvil-sim: '.length),
    signal,
  });
}

function summary(hosts: readonly DemoHost[], failed: readonly DemoHost[]): string {
  return [
    '',
    `${hosts.length - failed.length} of ${hosts.length} hosts are active. Redfish hosts were inspected through their BMC, IPMI hosts by the agent;`,
    'every host network-booted the agent, which cleaned its disks and wrote the image.',
    ...failed.map((h) => `  ${h.name} failed: ${h.outcome?.kind === 'failed' ? h.outcome.reason : ''}`),
    '',
  ].join('\n');
}

function nextSteps(host: string, apiUrl: string, ws: DemoWorkspace): string {
  return [
    'Try, while this runs:',
    `  alias anvil='${[process.execPath, ...programArgs('anvil')].join(' ')}'`,
    `  export ANVIL_URL=${apiUrl}`,
    '  anvil fleet status                      # the fleet by state',
    `  anvil node show ${host} -o yaml`,
    '  anvil events --follow                   # the change feed; then, in another shell:',
    `  anvil node undeploy ${host} --wait        # cleaned again, back to available`,
    `  ${apiUrl}/ui/                 # the dashboard, in a browser`,
    `  curl ${apiUrl}/v1/nodes/detail`,
    `  baremetal --os-endpoint ${apiUrl} --os-auth-type none node list`,
    `Logs: ${ws.anvilLog}, ${ws.simLog}`,
    'Ctrl-C stops Anvil and the simulated hosts and removes the directory.',
    '',
  ].join('\n');
}
