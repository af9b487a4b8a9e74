import { timingSafeEqual } from 'node:crypto';
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

/** A failure the conductor meant (`kind` set), or a fault in it (`kind` null: the API answers 500). */
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
  bios: (hw, node) => hw.bios(node),
  firmware: (hw, node) => hw.firmware(node),
  attachVirtualMedia: (hw, node, [url]) => hw.attachVirtualMedia(node, arg(url, 'string')),
  detachVirtualMedia: (hw, node) => hw.detachVirtualMedia(node),
  injectNmi: (hw, node) => hw.injectNmi(node),
};

export function isHardwareMethod(name: string): name is HardwareMethod {
  return Object.hasOwn(DISPATCH, name);
}

function arg<T extends 'string' | 'boolean'>(value: unknown, type: T): T extends 'string' ? string : boolean {
  if (typeof value !== type) throw new InvalidParameterValue(`An RPC argument should be a ${type}.`);
  return value as T extends 'string' ? string : boolean;
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

/** Compares a presented bearer secret with ours in constant time. */
export function secretMatches(header: string | undefined, secret: string): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}
