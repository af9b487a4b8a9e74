// One host's firmware: it listens for the host's power transitions and,
// at each power-on or reset, boots the device the boot override (or the
// default order) says, falling through to the next device the way a real
// boot order does: network, virtual media or UEFI HTTP first when asked,
// then the local disk. A power-off ends whatever was running, agent
// included. Idle hosts hold no timer and no socket.
import { agentBootParams, SimAgent, type AgentServer, type HostDisk } from '../../agent/index.js';
import type { FaultBook, RandomSource } from '../../faults/index.js';
import type { SimHost } from '../host.js';
import type { BootRecord, PowerEvent } from '../types.js';
import type { ApiDispatchers } from './api-dispatchers.js';
import type { ResolvedBootConfig } from './boot-config.js';
import { bootContext, BootStoppedError, type BootContext } from './boot-context.js';
import { bootInstalledOs } from './local-boot.js';
import { mediaBoot } from './media-boot.js';
import { networkBoot } from './network-boot.js';

export interface HostBootDeps {
  config: ResolvedBootConfig;
  agents: AgentServer;
  disk: HostDisk;
  faults: FaultBook;
  random: RandomSource;
  /** How agents reach the API: from which address, trusting which CA. */
  apiDispatchers: ApiDispatchers;
}

interface BootRun {
  abort: AbortController;
  agent: SimAgent | null;
  done: Promise<void>;
}

export class HostBoot {
  private run: BootRun | null = null;
  private readonly detach: () => void;

  constructor(
    readonly host: SimHost,
    private readonly deps: HostBootDeps,
  ) {
    this.detach = host.onPower((event) => this.onPower(event));
  }

  /** Stops listening and ends the current boot; resolves once it has wound down. */
  async close(): Promise<void> {
    this.detach();
    const run = this.run;
    this.stopRun();
    await run?.done;
  }

  private onPower(event: PowerEvent): void {
    this.stopRun();
    if (event.kind === 'on') this.startRun(event.boot);
  }

  private stopRun(): void {
    const run = this.run;
    if (run === null) return;
    this.run = null;
    run.abort.abort();
    run.agent?.stop();
  }

  private startRun(boot: BootRecord): void {
    const abort = new AbortController();
    const run: BootRun = { abort, agent: null, done: Promise.resolve() };
    const ctx = bootContext(this.host, this.deps.config, abort.signal);
    run.done = this.boot(ctx, boot, run).catch((err: unknown) => {
      if (err instanceof BootStoppedError || abort.signal.aborted) return;
      ctx.record(
        'firmware',
        boot.device,
        'failed',
        `boot stopped: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
    this.run = run;
  }

  private async boot(ctx: BootContext, boot: BootRecord, run: BootRun): Promise<void> {
    if (boot.outcome === 'failed') {
      ctx.record('firmware', boot.device, 'failed', 'the firmware found nothing to boot (boot failure fault)');
      return;
    }
    ctx.record('firmware', boot.device, 'ok', `${boot.mode} boot from ${boot.device}`);
    switch (boot.device) {
      case 'pxe': {
        const mac = this.pxeMac();
        const outcome = await networkBoot(ctx, mac);
        if (outcome.kind === 'kernel')
          return this.startAgent(ctx, run, outcome.args, outcome.kernelUrl, outcome.address);
        if (outcome.kind === 'poweroff') return this.host.powerAction('ForceOff');
        if (outcome.kind === 'reboot') return this.host.powerAction('ForceRestart');
        await bootInstalledOs(ctx, this.deps.disk, boot.mode);
        return;
      }
      case 'cd': {
        const media = this.host.media;
        if (media.inserted && media.image !== null) {
          const outcome = await mediaBoot(ctx, media.image);
          if (outcome.kind === 'kernel') return this.startAgent(ctx, run, outcome.args, media.image, null);
        } else {
          ctx.record('media', 'virtual media', 'failed', 'no media inserted');
        }
        await bootInstalledOs(ctx, this.deps.disk, boot.mode);
        return;
      }
      case 'uefi-http': {
        // The firmware fetches the ISO the BMC named and boots it as it would a CD: no DHCP, no TFTP.
        const uri = boot.httpBootUri;
        if (uri !== undefined) {
          const outcome = await mediaBoot(ctx, uri, 'uefi-http');
          if (outcome.kind === 'kernel') return this.startAgent(ctx, run, outcome.args, uri, null);
        } else {
          ctx.record('uefi-http', 'HttpBootUri', 'failed', 'no HTTP boot URI set');
        }
        await bootInstalledOs(ctx, this.deps.disk, boot.mode);
        return;
      }
      case 'hdd':
        await bootInstalledOs(ctx, this.deps.disk, boot.mode);
        return;
      case 'bios-setup':
        // The machine sits in its setup screen until someone resets it.
        return;
    }
  }

  /** `address`: the one DHCP gave the host, which the agent listens on; else the configured one. */
  private async startAgent(
    ctx: BootContext,
    run: BootRun,
    args: string[],
    from: string,
    address: string | null,
  ): Promise<void> {
    const params = agentBootParams(args);
    if (params.apiUrl === null && params.inspectionCallbackUrl === null) {
      // Not an agent: a ramdisk that is the OS itself (Ironic's ramdisk deploy). It runs; nothing calls back.
      this.host.setOs({
        bootedAt: new Date().toISOString(),
        running: true,
        hostname: null,
        uuid: null,
        addresses: [],
        dnsServers: [],
        publicKeys: [],
        userData: null,
        ramdiskKernel: from,
      });
      ctx.record('os', from, 'ok', `booted a ramdisk OS (no agent on its command line: ${args.join(' ') || 'none'})`);
      return;
    }
    if (run.abort.signal.aborted) return;
    const agent = new SimAgent({
      host: this.host,
      disk: this.deps.disk,
      params,
      server: this.deps.agents,
      faults: this.deps.faults,
      random: this.deps.random,
      timing: ctx.config.agent,
      address: address ?? ctx.config.agentAddress,
      bmcAddress: ctx.config.bmcAddress,
      // The agent calls from the host's own address (DHCP's, or the lease configuration names), as TFTP did.
      apiDispatcher: this.deps.apiDispatchers.from(address ?? ctx.config.leaseAddress(this.pxeMac())),
    });
    run.agent = agent;
    await agent.start();
  }

  /** The NIC a PXE ROM boots from: the first with a link, as a default boot order has it. */
  private pxeMac(): string {
    const nics = this.host.nics;
    return (nics.find((n) => n.link === 'up') ?? nics[0])?.mac ?? '00:00:00:00:00:00';
  }
}
