import type { JsonObject } from '../nodes/index.js';

export const ALLOCATION_STATES = ['allocating', 'active', 'error'] as const;
export type AllocationState = (typeof ALLOCATION_STATES)[number];

/** Ironic's allocation: a claim on one available node matching a resource class and traits. */
export interface Allocation {
  id: number;
  uuid: string;
  name: string | null;
  node_id: number | null;
  /** Joined from nodes. */
  node_uuid: string | null;
  state: AllocationState;
  last_error: string | null;
  resource_class: string | null;
  traits: string[];
  /** Node uuids the allocation may pick from; empty means any. */
  candidate_nodes: string[];
  extra: JsonObject;
  owner: string | null;
  created_at: string;
  updated_at: string | null;
}
