// The fake ramdisk agent of one booted host, speaking IPA's protocol: it
// opens its command port, posts its inventory when booted to inspect, looks
// itself up until Anvil knows it (404 is "not yet"), then heartbeats at a
// jittered fraction of heartbeat_timeout, and at once when an asynchronous
// command ends (IPA's force_heartbeat), and runs the commands Anvil sends.
// It lives from boot to power-off; nothing of it remains afterwards.
import type { Dispatcher } from 'undici';
import type { FaultBook, RandomSource } from '../faults/index.js';
import type { BootStep, SimHost } from '../host/index.js';
import type { AgentNode } from './boot-mode.js';
import { CommandLog, type RunningCommand } from './commands.js';
import type { HostDisk } from './disk.js';
import { commandHandlers, type CommandHandler } from './handlers.js';
import { buildInventory } from './inventory.js';
import { IpaApi, jsonCall, type LookupAnswer } from './ipa-api.js';
import type { AgentBootParams } from './kernel-params.js';
import type { AgentEndpoint, AgentListener, AgentServer } from './server.js';

const AGENT_VERSION = '9.x (anvil-sim)';

export interface AgentTiming {
  /** First wait between lookups; doubles up to lookupMaxMs. */
  lookupInitialMs: number;
  lookupMaxMs: number;
  /** IPA's lookup_timeout: give up looking up after this long. */
  lookupTimeoutMs: number;
  /**
   * Heartbeat every U(0.5, 1) × this many ms instead of IPA's
   * U(0.3, 0.6) × heartbeat_timeout, so tests need not wait minutes.
   */
  heartbeatIntervalMs: number | null;
  /**
   * IPA's min_heartbeat_interval: a heartbeat forced by the end of a command
   * goes no sooner than this after the previous one, and a failed heartbeat
   * is retried U(1, 2) × this later (at heartbeatIntervalMs when that is set).
   */
  minHeartbeatIntervalMs: number;
  httpTimeoutMs: number;
  /** An image download with no byte for this long fails. */
  imageStallTimeoutMs: number;
  /** Posts of the inspection data before the agent gives up on it. */
  inspectionAttempts: number;
}

export const DEFAULT_AGENT_TIMING: AgentTiming = {
  lookupInitialMs: 250,
  lookupMaxMs: 5_000,
  lookupTimeoutMs: 300_000,
  heartbeatIntervalMs: null,
  minHeartbeatIntervalMs: 5_000,
  httpTimeoutMs: 10_000,
  imageStallTimeoutMs: 30_000,
  inspectionAttempts: 5,
};

export interface SimAgentOptions {
  host: SimHost;
  disk: HostDisk;
  params: AgentBootParams;
  server: AgentServer;
  faults: FaultBook;
  random: RandomSource;
  timing: AgentTiming;
  /** The address the command port binds and callback_url names. */
  address: string;
  /** Reported as the inventory's bmc_address. */
  bmcAddress: string;
  /** How the API is reached (an https one with a private CA); null or absent: fetch's defaults. */
  apiDispatcher?: Dispatcher | null;
}

type AgentState =
  'starting' | 'inspecting' | 'looking-up' | 'heartbeating' | 'gave-up' | 'crashed' | 'stopped' | 'rescued';

/** Thrown into work in progress when the agent dies or the host loses power. */
class AgentGoneError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'AgentGoneError';
  }
}

export class SimAgent implements AgentEndpoint {
  readonly commands = new CommandLog();
  private agentState: AgentState = 'starting';
  private readonly abort = new AbortController();
  private listener: AgentListener | null = null;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lookup: LookupAnswer | null = null;
  /** IPA's cached node: the lookup's, replaced by the one each step command carries. */
  private node: AgentNode | null = null;
  private api: IpaApi | null = null;
  private heartbeats = 0;
  private heartbeatFailing = false;
  private heartbeatInFlight = false;
  /** When the last heartbeat attempt ended, and how long after it the next regular one is due. */
  private lastHeartbeatAt = 0;
  private nextHeartbeatMs = 0;
  /** Forced heartbeats asked for, and how many of those a heartbeat Anvil accepted has covered. */
  private forcesAsked = 0;
  private forcesServed = 0;
  private readonly handlers: ReadonlyMap<string, CommandHandler>;

  constructor(private readonly options: SimAgentOptions) {
    this.handlers = commandHandlers({
      host: options.host,
      disk: options.disk,
      node: () => this.node,
      checkAlive: () => this.checkAlive(),
      leaveForRescue: () =>
        this.halt('rescued', 'rescue finalized: API closed and heartbeats stopped; the rescue environment runs on'),
      imageStallTimeoutMs: options.timing.imageStallTimeoutMs,
      httpTimeoutMs: options.timing.httpTimeoutMs,
    });
  }

  get token(): string | null {
    return this.lookup?.agentToken ?? null;
  }

  get callbackUrl(): string | null {
    return this.listener === null ? null : `http://${hostPart(this.options.address)}:${this.listener.port}`;
  }

  /**
   * Boots the agent: opens its port, then inspects and looks up in the
   * background. Resolves once the port is open.
   */
  async start(): Promise<void> {
    if (this.crashedByFault()) return;
    this.listener = await this.options.server.listen(this, this.options.address);
    if (this.abort.signal.aborted) {
      this.listener.close();
      return;
    }
    this.record(
      'agent',
      this.callbackUrl ?? '',
      'ok',
      `${AGENT_VERSION} listening; api ${this.options.params.apiUrl ?? 'none'}`,
    );
    void this.run().catch((err: unknown) => this.failed(err));
  }

  /** The host powered off or rebooted: everything stops, quietly. */
  stop(): void {
    this.halt('stopped', 'the host powered off');
  }

  alive(): boolean {
    if (this.abort.signal.aborted) return false;
    return !this.crashedByFault();
  }

  execute(name: string, params: Record<string, unknown>): { command: RunningCommand; sync: boolean } | null {
    const handler = this.handlers.get(name);
    if (handler === undefined) return null;
    // IPA's cache_node: a step command brings the node as the conductor sees it now (hints, boot mode).
    if (typeof params.node === 'object' && params.node !== null && !Array.isArray(params.node))
      this.node = params.node as AgentNode;
    const command = this.commands.start(name, params, handler.run, this.abort.signal);
    void command.done.then(() => {
      if (this.abort.signal.aborted) return;
      // IPA's AsyncCommandResult ends, success or failure, by forcing a heartbeat: Anvil learns at once.
      if (!handler.sync) this.forceHeartbeat();
      const step = stepName(params);
      this.record(
        'command',
        step === null ? name : `${name}(${step})`,
        command.status === 'SUCCEEDED' ? 'ok' : 'failed',
        command.error?.details ?? command.status,
      );
    });
    return { command, sync: handler.sync };
  }

  private async run(): Promise<void> {
    const { params } = this.options;
    let nodeUuid: string | null = null;
    if (params.inspectionCallbackUrl !== null) {
      this.agentState = 'inspecting';
      nodeUuid = await this.inspect(params.inspectionCallbackUrl);
    }
    if (params.apiUrl === null) return;
    this.agentState = 'looking-up';
    const api = new IpaApi(params.apiUrl, this.options.timing.httpTimeoutMs, this.options.apiDispatcher ?? null);
    const answer = await this.lookUp(api, nodeUuid);
    if (answer === null) return;
    this.lookup = answer;
    this.node = answer.node;
    if (answer.agentToken !== null) this.options.host.recordAgentToken(answer.agentToken);
    this.agentState = 'heartbeating';
    this.api = api;
    // The first heartbeat goes at once, as IPA's heartbeater starts with one.
    await this.heartbeat();
  }

  /** IPA's inspection: the inventory goes to the callback; its answer may name the node. */
  private async inspect(callbackUrl: string): Promise<string | null> {
    const { host, params, timing } = this.options;
    const body = {
      inventory: buildInventory(host, { bmcAddress: this.options.bmcAddress, bootMac: params.bootMac }),
      boot_interface: params.bootif,
      root_disk: null,
      error: null,
    };
    let last = '';
    for (let attempt = 1; attempt <= timing.inspectionAttempts; attempt++) {
      this.checkAlive();
      const answer = await jsonCall(
        'POST',
        callbackUrl,
        body,
        this.abort.signal,
        timing.httpTimeoutMs,
        this.options.apiDispatcher ?? null,
      );
      if (!('failure' in answer) && answer.status >= 200 && answer.status < 300) {
        const uuid = (answer.body as { uuid?: unknown } | null)?.uuid;
        this.record('inspection', callbackUrl, 'ok', `inventory accepted (HTTP ${answer.status})`);
        return typeof uuid === 'string' ? uuid : null;
      }
      last = 'failure' in answer ? answer.failure : `HTTP ${answer.status}`;
      await this.sleep(this.backoff(attempt));
    }
    this.record('inspection', callbackUrl, 'failed', `gave up after ${timing.inspectionAttempts} attempts: ${last}`);
    return null;
  }

  private async lookUp(api: IpaApi, nodeUuid: string | null): Promise<LookupAnswer | null> {
    const { host, timing, params } = this.options;
    const macs = host.nics.map((n) => n.mac);
    const source = `${params.apiUrl ?? ''}/v1/lookup`;
    const deadline = Date.now() + timing.lookupTimeoutMs;
    let attempt = 0;
    let last = '';
    while (Date.now() < deadline) {
      this.checkAlive();
      attempt += 1;
      const result = await api.lookup(macs, nodeUuid, this.abort.signal);
      if (result.kind === 'found') {
        const { answer } = result;
        this.record(
          'lookup',
          source,
          'ok',
          `node ${answer.nodeUuid}, heartbeat_timeout ${answer.heartbeatTimeoutS} s, ${tokenSeen(answer.agentToken)} (attempt ${attempt})`,
        );
        return answer;
      }
      last = result.detail;
      await this.sleep(Math.min(this.backoff(attempt), Math.max(0, deadline - Date.now())));
    }
    this.agentState = 'gave-up';
    this.record(
      'lookup',
      source,
      'failed',
      `no node after ${attempt} lookups in ${timing.lookupTimeoutMs} ms; last answer: ${last}`,
    );
    return null;
  }

  /** IPA's force_heartbeat: the next heartbeat goes now, or once the minimum gap after the last one has passed. */
  private forceHeartbeat(): void {
    this.forcesAsked += 1;
    if (this.api !== null && !this.heartbeatInFlight) this.scheduleHeartbeat();
  }

  private scheduleHeartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    if (this.abort.signal.aborted) return;
    const forced = this.forcesAsked > this.forcesServed;
    const regular = this.lastHeartbeatAt + this.nextHeartbeatMs;
    const due = forced ? Math.min(regular, this.lastHeartbeatAt + this.options.timing.minHeartbeatIntervalMs) : regular;
    this.heartbeatTimer = setTimeout(
      () => {
        this.heartbeat().catch((err: unknown) => this.failed(err));
      },
      Math.max(0, due - Date.now()),
    );
  }

  private async heartbeat(): Promise<void> {
    const api = this.api as IpaApi;
    const lookup = this.lookup as LookupAnswer;
    const callbackUrl = this.callbackUrl as string;
    this.checkAlive();
    // A command that ends while this heartbeat is out is not covered by it: Anvil may have looked before the end.
    const covering = this.forcesAsked;
    this.heartbeatInFlight = true;
    let answer: Awaited<ReturnType<IpaApi['heartbeat']>>;
    try {
      answer = await api.heartbeat(
        lookup.nodeUuid,
        {
          callback_url: callbackUrl,
          agent_token: lookup.agentToken,
          agent_version: AGENT_VERSION,
          // 'start' while the agent introduces itself, 'end' once Anvil has taken a heartbeat.
          agent_status: this.heartbeats === 0 ? 'start' : 'end',
          agent_verify_ca: false,
        },
        this.abort.signal,
      );
    } finally {
      this.heartbeatInFlight = false;
    }
    this.lastHeartbeatAt = Date.now();
    const source = `${this.options.params.apiUrl ?? ''}/v1/heartbeat/${lookup.nodeUuid}`;
    const status = 'failure' in answer ? null : answer.status;
    if (status !== null && status >= 200 && status < 300) {
      this.heartbeats += 1;
      this.forcesServed = covering;
      this.nextHeartbeatMs = this.heartbeatInterval(lookup.heartbeatTimeoutS);
      // Only changes are recorded: the first beat, and a recovery after failures, not every beat.
      if (this.heartbeats === 1 || this.heartbeatFailing)
        this.record(
          'heartbeat',
          source,
          'ok',
          `accepted (HTTP ${status}); next in ~${Math.round(this.nextHeartbeatMs)} ms`,
        );
      this.heartbeatFailing = false;
    } else {
      this.nextHeartbeatMs = this.retryInterval();
      if (!this.heartbeatFailing) {
        this.heartbeatFailing = true;
        this.record('heartbeat', source, 'failed', 'failure' in answer ? answer.failure : `HTTP ${status}`);
      }
    }
    this.scheduleHeartbeat();
  }

  /** Work that ended by an error: silent when the agent was stopped or crashed, recorded otherwise. */
  private failed(err: unknown): void {
    if (err instanceof AgentGoneError || this.abort.signal.aborted) return;
    this.record(
      'agent',
      this.callbackUrl ?? '',
      'failed',
      `agent stopped working: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  private heartbeatInterval(timeoutS: number): number {
    const fixed = this.options.timing.heartbeatIntervalMs;
    const random = this.options.random();
    // IPA: a jittered fraction (0.3 to 0.6) of the timeout, so agents restarted together spread out.
    return fixed !== null ? fixed * (0.5 + 0.5 * random) : timeoutS * 1000 * (0.3 + 0.3 * random);
  }

  /** After a refused or lost heartbeat: IPA's U(1, 2) × min_heartbeat_interval. */
  private retryInterval(): number {
    const { heartbeatIntervalMs: fixed, minHeartbeatIntervalMs } = this.options.timing;
    const random = this.options.random();
    return fixed !== null ? fixed * (0.5 + 0.5 * random) : minHeartbeatIntervalMs * (1 + random);
  }

  private backoff(attempt: number): number {
    const { lookupInitialMs, lookupMaxMs } = this.options.timing;
    const base = Math.min(lookupMaxMs, lookupInitialMs * 2 ** Math.min(attempt - 1, 20));
    return base * (0.5 + 0.5 * this.options.random());
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = this.abort.signal;
      if (signal.aborted) {
        reject(new AgentGoneError('agent gone'));
        return;
      }
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new AgentGoneError('agent gone'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private checkAlive(): void {
    if (this.abort.signal.aborted || this.crashedByFault()) throw new AgentGoneError('agent gone');
  }

  /** Reads the fault book; a set agentCrash kills the agent there and then. */
  private crashedByFault(): boolean {
    if (this.agentState === 'crashed') return true;
    if (!this.options.faults.forHost(this.options.host.name).agentCrash) return false;
    this.halt('crashed', 'agent crashed (agentCrash fault): no more answers or heartbeats');
    return true;
  }

  private halt(state: 'crashed' | 'stopped' | 'rescued', why: string): void {
    if (this.abort.signal.aborted) return;
    this.agentState = state;
    this.abort.abort(new AgentGoneError(why));
    clearTimeout(this.heartbeatTimer);
    this.listener?.close();
    if (state === 'crashed') this.record('agent', this.callbackUrl ?? '', 'failed', why);
    if (state === 'rescued') this.record('agent', this.callbackUrl ?? '', 'ok', why);
  }

  private record(kind: BootStep['kind'], source: string, outcome: BootStep['outcome'], detail: string): void {
    this.options.host.recordBootStep({ kind, source, outcome, detail });
  }
}

function stepName(params: Record<string, unknown>): string | null {
  const step = params.step;
  if (typeof step !== 'object' || step === null) return null;
  const name = (step as { step?: unknown }).step;
  return typeof name === 'string' ? name : null;
}

function hostPart(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** How a lookup's token reads in the boot log. A masked one went to an earlier lookup whose answer this agent lost:
 * as IPA warns ("likely **FATAL**"), its heartbeats will be refused. */
function tokenSeen(token: string | null): string {
  if (token === null) return 'no agent token';
  if (token === '******') return 'agent token masked: an earlier lookup was given it, so heartbeats will be refused';
  return 'agent token received';
}
