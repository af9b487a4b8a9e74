// A whole simulated fleet on the network: one Redfish endpoint for every
// host (as sushy-tools) and one IPMI UDP port per host (as virtualbmc), both
// faces acting on the same SimHost and reading the same fault book; with a
// boot configuration, hosts also network-boot against Anvil and run agents.
import { FaultBook, type RandomSource } from './faults/index.js';
import { startFleetBoot, type BootConfig, type FleetBoot } from './host/boot/index.js';
import { buildManifest, type Fleet, type SimHost, type SimManifest } from './host/index.js';
import { HostIpmiFaults, HostIpmiTarget, IpmiSimServer } from './ipmi/index.js';
import { startRedfishSim, type RedfishSim, type RedfishSimOptions } from './redfish/index.js';

export interface SimFleetOptions extends Omit<RedfishSimOptions, 'port'> {
  /** Default 0: an ephemeral port. */
  redfishPort?: number;
  /** Host i's IPMI face listens on UDP ipmiBasePort + i; 0 (default) gives each host an ephemeral port. */
  ipmiBasePort?: number;
  /** Where Anvil's TFTP and HTTP boot servers are; without it, power-on changes state and boots nothing. */
  boot?: BootConfig;
}

export interface SimFleet {
  fleet: Fleet;
  redfish: RedfishSim;
  /** One server per host, in fleet order. */
  ipmi: readonly IpmiSimServer[];
  faults: FaultBook;
  /** The hosts' firmware and agents, when started with a boot configuration. */
  boot: FleetBoot | null;
  /** DESIGN.md §5, with the ports really bound. */
  manifest: SimManifest;
  close(): Promise<void>;
}

/** The fleet could not be brought up; everything already started has been closed. */
export class SimFleetStartError extends Error {
  constructor(
    message: string,
    readonly hostName: string,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'SimFleetStartError';
  }
}

/** Binds this many IPMI sockets at a time: enough to start 10,000 hosts in a second, few enough to fail fast. */
const IPMI_BIND_BATCH = 256;
const MAX_PORT = 65535;

export async function startSimFleet(options: SimFleetOptions): Promise<SimFleet> {
  const { fleet, redfishPort = 0, ipmiBasePort = 0, boot: bootConfig, ...redfishOptions } = options;
  if (ipmiBasePort !== 0 && ipmiBasePort + fleet.size - 1 > MAX_PORT) {
    throw new RangeError(`${fleet.size} hosts from IPMI port ${ipmiBasePort} run past port ${MAX_PORT}`);
  }
  const faults = options.faults ?? new FaultBook();
  const random = options.random ?? Math.random;
  const bind = options.host ?? '127.0.0.1';
  const redfish = await startRedfishSim({ ...redfishOptions, fleet, port: redfishPort, faults, random });

  const ipmi: IpmiSimServer[] = [];
  let boot: FleetBoot | null = null;
  const closeAll = async (): Promise<void> => {
    await boot?.close();
    await Promise.all(ipmi.map((server) => server.close()));
    await redfish.close();
  };
  for (let first = 0; first < fleet.size; first += IPMI_BIND_BATCH) {
    const batch = fleet.hosts.slice(first, first + IPMI_BIND_BATCH);
    const started = await Promise.allSettled(
      batch.map((host, offset) =>
        startHostIpmi(host, { faults, random, bind, port: ipmiBasePort === 0 ? 0 : ipmiBasePort + first + offset }),
      ),
    );
    for (const outcome of started) if (outcome.status === 'fulfilled') ipmi.push(outcome.value);
    const failed = started.findIndex((outcome) => outcome.status === 'rejected');
    if (failed !== -1) {
      await closeAll();
      const host = batch[failed] as SimHost;
      throw startError(host, (started[failed] as PromiseRejectedResult).reason);
    }
  }

  if (bootConfig !== undefined) {
    try {
      boot = await startFleetBoot(fleet, { bmcAddress: bind, ...bootConfig }, { faults, random });
    } catch (err) {
      await closeAll();
      throw err;
    }
  }

  // The Redfish sim's own default account, which the manifest must name.
  const credentials = options.credentials ?? { username: 'admin', password: 'password' };
  const manifest = buildManifest(fleet, {
    redfishUrl: redfish.url,
    redfishUsername: credentials.username,
    redfishPassword: credentials.password,
    ipmiHost: bind,
    ipmiBasePort,
    ipmiPorts: ipmi.map((server) => server.port),
  });
  return { fleet, redfish, ipmi, faults, boot, manifest, close: closeAll };
}

async function startHostIpmi(
  host: SimHost,
  where: { faults: FaultBook; random: RandomSource; bind: string; port: number },
): Promise<IpmiSimServer> {
  const server = await IpmiSimServer.start({
    target: new HostIpmiTarget({ host, faults: where.faults, random: where.random }),
    username: host.credentials.username,
    password: host.credentials.password,
    host: where.bind,
    port: where.port,
    // The system GUID is the host's uuid, as on real hardware where both come from SMBIOS.
    guid: Buffer.from(host.uuid.replaceAll('-', ''), 'hex'),
    random: where.random,
  });
  // Assigned after start: the constructor copies plain fault objects, and
  // this one must stay live. No datagram is handled before this line runs.
  server.faults = new HostIpmiFaults(where.faults, host.name, where.random);
  return server;
}

function startError(host: SimHost, cause: unknown): SimFleetStartError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const detail = cause instanceof Error ? cause.message : String(cause);
  const hint =
    code === 'EMFILE' || code === 'ENFILE'
      ? ' (each host holds one UDP socket: raise the open-file limit, ulimit -n)'
      : '';
  return new SimFleetStartError(`IPMI face of ${host.name} did not start: ${detail}${hint}`, host.name, { cause });
}
