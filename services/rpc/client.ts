import type { BootDevice, FirmwareComponent } from '../../bmc-drivers/index.js';
import type { ConductorMembership, Placement } from '../conductor/index.js';
import { TemporaryFailure } from '../errors.js';
import type {
  BootDeviceView,
  HardwareCalls,
  HardwareMethod,
  VendorPassthruResult,
  VirtualMediaView,
} from '../hardware/index.js';
import type { Node } from '../nodes/index.js';
import { ConductorRefused, DISPATCH, RPC_PREFIX, SIGNATURE_HEADER, signCall, type RpcFailure } from './protocol.js';

type ArgsOf<M extends HardwareMethod> = Parameters<HardwareCalls[M]> extends [Node, ...infer Rest] ? Rest : never;
type ResultOf<M extends HardwareMethod> = Awaited<ReturnType<HardwareCalls[M]>>;

export interface RpcClientDeps {
  placement: Pick<Placement, 'ownerOf'>;
  membership: Pick<ConductorMembership, 'rpcUrlOf'>;
  secret: string;
  /** The conductor of this process, called in place when it owns the node. */
  local: { name: string; hardware: HardwareCalls } | null;
  /** Longer than a BMC call with its retries: the conductor answers within that. */
  timeoutMs: number;
}

/**
 * The API's hardware calls, each sent to the conductor that owns the node on
 * the hash ring (DESIGN decision 13): in this process when its own conductor
 * owns it, else over HTTP to the URL that conductor registered. One way for
 * every such call, so an API process never needs a route to a BMC.
 */
export class ConductorRpcClient implements HardwareCalls {
  constructor(private readonly deps: RpcClientDeps) {}

  getBootDevice(node: Node): Promise<BootDeviceView> {
    return this.call('getBootDevice', node);
  }

  setBootDevice(node: Node, device: string, persistent: boolean): Promise<void> {
    return this.call('setBootDevice', node, device, persistent);
  }

  supportedBootDevices(node: Node): Promise<readonly BootDevice[]> {
    return this.call('supportedBootDevices', node);
  }

  firmware(node: Node): Promise<FirmwareComponent[]> {
    return this.call('firmware', node);
  }

  getVirtualMedia(node: Node): Promise<VirtualMediaView[]> {
    return this.call('getVirtualMedia', node);
  }

  attachVirtualMedia(node: Node, imageUrl: string): Promise<void> {
    return this.call('attachVirtualMedia', node, imageUrl);
  }

  detachVirtualMedia(node: Node): Promise<void> {
    return this.call('detachVirtualMedia', node);
  }

  injectNmi(node: Node): Promise<void> {
    return this.call('injectNmi', node);
  }

  vendorPassthru(
    node: Node,
    method: string,
    httpMethod: string,
    args: Record<string, unknown>,
  ): Promise<VendorPassthruResult> {
    return this.call('vendorPassthru', node, method, httpMethod, args);
  }

  private async call<M extends HardwareMethod>(method: M, node: Node, ...args: ArgsOf<M>): Promise<ResultOf<M>> {
    const owner = await this.deps.placement.ownerOf(node.uuid, node.conductor_group);
    const local = this.deps.local;
    if (local !== null && owner === local.name)
      return (await DISPATCH[method](local.hardware, node, args)) as ResultOf<M>;
    const base = await this.deps.membership.rpcUrlOf(owner);
    if (base === null) {
      throw new TemporaryFailure(
        `Conductor ${owner} registered no RPC address; it cannot take calls for node ${node.uuid}.`,
      );
    }
    const body = JSON.stringify({ node: node.uuid, args });
    let res: Response;
    try {
      res = await fetch(`${base}${RPC_PREFIX}${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signCall(this.deps.secret, method, body) },
        body,
        signal: AbortSignal.timeout(this.deps.timeoutMs),
      });
    } catch (err) {
      throw new TemporaryFailure(
        `Conductor ${owner} at ${base} could not be reached for node ${node.uuid}: ${describe(err)}; retry later.`,
      );
    }
    const answer = (await res.json().catch(() => null)) as ({ result: ResultOf<M> } & Partial<RpcFailure>) | null;
    if (res.ok && answer !== null && 'result' in answer) return answer.result;
    const failure = answer?.error;
    // Only the work's refusals (the node gone, the hardware's no) pass on; the RPC's own faults are ours: 500.
    if (failure?.kind && (res.status === 422 || res.status === 404))
      throw new ConductorRefused(failure.kind, failure.message);
    throw new Error(
      `Conductor ${owner} failed ${method} for node ${node.uuid}: ${failure?.message ?? `HTTP ${res.status}`}`,
    );
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
