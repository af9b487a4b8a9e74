// The calls a ramdisk agent makes to Anvil, in Ironic's shapes
// (ironic-api.md §3): lookup, heartbeat, and the in-band inspection post.
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { describeFailure } from './http-fetch.js';

/** The agent calls need 1.22 (lookup) to 1.84 (continue_inspection); heartbeat's agent_status is 1.72. */
const API_VERSION = '1.84';

export interface LookupAnswer {
  nodeUuid: string;
  /** The node as lookup shows it (uuid, properties, instance_info, driver_internal_info); IPA caches it. */
  node: Record<string, unknown>;
  agentToken: string | null;
  /** Seconds, as the conductor wants heartbeats within. */
  heartbeatTimeoutS: number;
}

export type LookupResult = { kind: 'found'; answer: LookupAnswer } | { kind: 'not-yet'; detail: string };

export interface HeartbeatBody {
  callback_url: string;
  agent_token: string | null;
  agent_version: string;
  agent_status: 'start' | 'end';
  agent_verify_ca: false;
}

/** Ironic's default [api]ramdisk_heartbeat_timeout. */
const DEFAULT_HEARTBEAT_TIMEOUT_S = 300;

export class IpaApi {
  constructor(
    private readonly apiUrl: string,
    private readonly timeoutMs: number,
    /** How to reach an https API with a private CA; null: fetch's defaults. */
    private readonly dispatcher: Dispatcher | null = null,
  ) {}

  /** 404 is "no node for you yet" (unknown, or not in a lookup state): the agent keeps asking. */
  async lookup(macs: readonly string[], nodeUuid: string | null, signal: AbortSignal): Promise<LookupResult> {
    const query = new URLSearchParams({ addresses: macs.join(',') });
    if (nodeUuid !== null) query.set('node_uuid', nodeUuid);
    const url = `${this.base()}/v1/lookup?${query.toString()}`;
    const response = await this.call('GET', url, undefined, signal);
    if ('failure' in response) return { kind: 'not-yet', detail: response.failure };
    if (response.status !== 200) return { kind: 'not-yet', detail: `HTTP ${response.status}` };
    const body = response.body as {
      node?: Record<string, unknown> & { uuid?: unknown };
      config?: { agent_token?: unknown; heartbeat_timeout?: unknown };
    } | null;
    const node = body?.node;
    const uuid = node?.uuid;
    if (node === undefined || typeof uuid !== 'string')
      return { kind: 'not-yet', detail: 'lookup answer without node.uuid' };
    const token = body?.config?.agent_token;
    const timeout = body?.config?.heartbeat_timeout;
    return {
      kind: 'found',
      answer: {
        nodeUuid: uuid,
        node,
        agentToken: typeof token === 'string' ? token : null,
        heartbeatTimeoutS: typeof timeout === 'number' && timeout > 0 ? timeout : DEFAULT_HEARTBEAT_TIMEOUT_S,
      },
    };
  }

  /** The status Anvil answered (202 expected), or the network failure as text. */
  async heartbeat(
    nodeUuid: string,
    body: HeartbeatBody,
    signal: AbortSignal,
  ): Promise<{ status: number } | { failure: string }> {
    const response = await this.call(
      'POST',
      `${this.base()}/v1/heartbeat/${encodeURIComponent(nodeUuid)}`,
      body,
      signal,
    );
    return 'failure' in response ? response : { status: response.status };
  }

  private base(): string {
    return this.apiUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  }

  private call(method: string, url: string, body: unknown, signal: AbortSignal): Promise<HttpAnswer> {
    return jsonCall(method, url, body, signal, this.timeoutMs, this.dispatcher);
  }
}

export type HttpAnswer = { status: number; body: unknown } | { failure: string };

/**
 * One JSON request with the Ironic microversion header; network failures
 * (a certificate the CA did not sign among them) come back as text, not thrown.
 */
export async function jsonCall(
  method: string,
  url: string,
  body: unknown,
  signal: AbortSignal,
  timeoutMs: number,
  dispatcher: Dispatcher | null = null,
): Promise<HttpAnswer> {
  const init = {
    method,
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'X-OpenStack-Ironic-API-Version': API_VERSION,
    },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
  };
  try {
    // undici's own fetch for a dispatcher of its own: Node's bundled fetch may be another undici version.
    const response = dispatcher === null ? await fetch(url, init) : await undiciFetch(url, { ...init, dispatcher });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed };
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    return { failure: `${method} ${url}: ${describeFailure(err)}` };
  }
}
