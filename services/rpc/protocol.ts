import { createHmac, timingSafeEqual } from 'node:crypto';
import { AnvilError, InvalidParameterValue, type ErrorKind } from '../errors.js';
import type { HardwareCalls, HardwareMethod } from '../hardware/index.js';
import type { Node } from '../nodes/index.js';

/** `POST /rpc/v1/<method>` with `{"node": uuid, "args": [...]}`. */
export const RPC_PREFIX = '/rpc/v1/';

/** What the shared secret key is hashed with to make the RPC bearer secret. */
export const RPC_SECRET_PURPOSE = 'anvil conductor rpc v1';

export interface RpcCall {
  node: string;
  args: unknown[];
}

/**
 * A refusal of the call's work (`kind` set: the node's or the hardware's
 * answer, which the API passes on), or a fault of the RPC itself (`kind`
 * null: the API answers 500).
 */
export interface RpcFailure {
  error: { kind: ErrorKind | null; message: string };
}

type Dispatch = (hardware: HardwareCalls, node: Node, args: unknown[]) => Promise<unknown>;

/** Each call as the conductor carries it out, its arguments checked: the mapped type keeps the table complete. */
export const DISPATCH: { readonly [M in HardwareMethod]: Dispatch } = {
  getBootDevice: (hw, node) => hw.getBootDevice(node),
  setBootDevice: (hw, node, [device, persistent]) =>
    hw.setBootDevice(node, arg(device, 'string'), arg(persistent, 'boolean')),
  supportedBootDevices: (hw, node) => hw.supportedBootDevices(node),
  firmware: (hw, node) => hw.firmware(node),
  getVirtualMedia: (hw, node) => hw.getVirtualMedia(node),
  attachVirtualMedia: (hw, node, [url]) => hw.attachVirtualMedia(node, arg(url, 'string')),
  detachVirtualMedia: (hw, node) => hw.detachVirtualMedia(node),
  injectNmi: (hw, node) => hw.injectNmi(node),
  vendorPassthru: (hw, node, [method, httpMethod, args]) =>
    hw.vendorPassthru(node, arg(method, 'string'), arg(httpMethod, 'string'), objectArg(args)),
};

export function isHardwareMethod(name: string): name is HardwareMethod {
  return Object.hasOwn(DISPATCH, name);
}

function arg<T extends 'string' | 'boolean'>(value: unknown, type: T): T extends 'string' ? string : boolean {
  if (typeof value !== type) throw new InvalidParameterValue(`An RPC argument should be a ${type}.`);
  return value as T extends 'string' ? string : boolean;
}

function objectArg(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidParameterValue('An RPC argument should be an object.');
  return value as Record<string, unknown>;
}

/** The conductor's typed error, carried over the wire with its kind, so the API answers what Ironic would. */
export class ConductorRefused extends AnvilError {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export function encodeFailure(err: unknown): RpcFailure {
  if (err instanceof AnvilError) return { error: { kind: err.kind, message: err.message } };
  return { error: { kind: null, message: err instanceof Error ? err.message : String(err) } };
}

/** The header that signs a call: `t=<unix seconds>,v1=<HMAC-SHA256 of time, method and body>`. */
export const SIGNATURE_HEADER = 'x-anvil-rpc-signature';
/** How far a call's time may be from the conductor's: a captured call is refused after this. */
const MAX_SKEW_SECONDS = 60;

/**
 * Signs a call with the shared secret, which never travels itself: what a
 * listener on the management network captures is good for that call only,
 * and only for a minute.
 */
export function signCall(secret: string, method: string, body: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${mac(secret, t, method, body)}`;
}

/** Whether `header` signs this method and body with our secret, within the allowed skew; compared in constant time. */
export function signatureValid(
  header: string | undefined,
  secret: string,
  method: string,
  body: string,
  nowMs = Date.now(),
): boolean {
  const m = /^t=(\d+),v1=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowMs / 1000 - t) > MAX_SKEW_SECONDS) return false;
  const a = Buffer.from(m[2]!);
  const b = Buffer.from(mac(secret, t, method, body));
  return a.length === b.length && timingSafeEqual(a, b);
}

function mac(secret: string, t: number, method: string, body: string): string {
  return createHmac('sha256', secret).update(`${t}\n${method}\n${body}`).digest('base64url');
}
