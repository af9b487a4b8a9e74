import type { JsonObject } from '../nodes/index.js';

/** A chassis: a group of nodes, with no name (Ironic's chassis are known by uuid only). */
export interface Chassis {
  id: number;
  uuid: string;
  description: string | null;
  extra: JsonObject;
  created_at: string;
  updated_at: string | null;
}

export type ChassisChanges = Partial<Pick<Chassis, 'description' | 'extra' | 'updated_at'>>;
