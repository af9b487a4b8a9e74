import { z } from 'zod';

/**
 * What can go wrong with a BMC. Every field is optional in a request; a host's
 * own settings win over the fleet-wide ones field by field.
 */
export const faultSpecSchema = z.strictObject({
  /** Added before every answer. */
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  /** A uniform extra delay of up to this many ms on top of latencyMs. */
  latencyJitterMs: z.number().int().min(0).max(600_000).optional(),
  /** Fraction (0..1) of requests answered with errorStatus instead (over IPMI, the matching completion code). */
  errorRate: z.number().min(0).max(1).optional(),
  errorStatus: z.union([z.literal(500), z.literal(503)]).optional(),
  /** Fraction (0..1) of UDP datagrams (the IPMI face) dropped unseen, as a lossy management network does. */
  udpDropRate: z.number().min(0).max(1).optional(),
  /** Accept the connection and never answer, as a wedged BMC does (over IPMI, every datagram goes unanswered). */
  hang: z.boolean().optional(),
  /** Answer 401 to any credentials, as a BMC with a locked account does (over IPMI, refuse every session). */
  refuseAuth: z.boolean().optional(),
  /** Chance (0..1), per request to the host, that its power flips by itself first. */
  powerDriftRate: z.number().min(0).max(1).optional(),
  /** Chance (0..1) that a power-on or reset fails to boot anything. */
  bootFailureRate: z.number().min(0).max(1).optional(),
  /**
   * The host's ramdisk agent dies: it stops answering and heartbeating at its
   * next look at the fault book (a heartbeat, a request, a chunk of an image
   * download), and an agent booted while this is set dies as it starts.
   * Clearing it and rebooting the host brings a working agent back.
   */
  agentCrash: z.boolean().optional(),
});

export type FaultSpec = z.infer<typeof faultSpecSchema>;

/** A FaultSpec with every field decided. */
export type Faults = Required<FaultSpec>;

export const NO_FAULTS: Faults = Object.freeze({
  latencyMs: 0,
  latencyJitterMs: 0,
  errorRate: 0,
  errorStatus: 503,
  udpDropRate: 0,
  hang: false,
  refuseAuth: false,
  powerDriftRate: 0,
  bootFailureRate: 0,
  agentCrash: false,
});

export function resolveFaults(fleetWide: FaultSpec, host: FaultSpec | undefined): Faults {
  return { ...NO_FAULTS, ...definedOnly(fleetWide), ...definedOnly(host ?? {}) };
}

function definedOnly(spec: FaultSpec): FaultSpec {
  // Object.entries types the values without the undefined an optional field may hold.
  const entries: [string, unknown][] = Object.entries(spec);
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}
