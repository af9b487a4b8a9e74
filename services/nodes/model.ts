import type { PowerState, TargetPowerState } from '../../contract/index.js';
import type { HealthState } from './health.js';
import type { ProvisionState } from './states.js';

export type { PowerState, TargetPowerState };
export type JsonObject = Record<string, unknown>;

export const INTERFACE_FIELDS = [
  'bios_interface',
  'boot_interface',
  'console_interface',
  'deploy_interface',
  'firmware_interface',
  'inspect_interface',
  'management_interface',
  'network_interface',
  'power_interface',
  'raid_interface',
  'rescue_interface',
  'storage_interface',
  'vendor_interface',
] as const;
export type InterfaceField = (typeof INTERFACE_FIELDS)[number];
export type InterfaceName = InterfaceField extends `${infer N}_interface` ? N : never;

/** Why a node was put in maintenance by Anvil rather than by a person (Ironic's faults). */
export const FAULTS = ['power failure', 'clean failure', 'rescue abort failure', 'service failure'] as const;

/** A node as stored, with Ironic's field names (secrets in clear; masking is the API's job). */
export interface Node extends Record<InterfaceField, string> {
  id: number;
  uuid: string;
  name: string | null;
  driver: string;
  driver_info: JsonObject;
  driver_internal_info: JsonObject;
  instance_info: JsonObject;
  properties: JsonObject;
  extra: JsonObject;
  network_data: JsonObject;
  raid_config: JsonObject;
  target_raid_config: JsonObject;
  clean_step: JsonObject;
  deploy_step: JsonObject;
  service_step: JsonObject;
  traits: string[];
  provision_state: ProvisionState;
  target_provision_state: ProvisionState | null;
  power_state: PowerState | null;
  target_power_state: TargetPowerState | null;
  maintenance: boolean;
  maintenance_reason: string | null;
  fault: string | null;
  /** The hardware health the BMC last reported (power sync keeps it); null while none is known. */
  health: HealthState | null;
  last_error: string | null;
  reservation: string | null;
  conductor_group: string;
  instance_uuid: string | null;
  /** A readable name of the instance on the node (Nova's display_name). */
  instance_name: string | null;
  allocation_uuid: string | null;
  resource_class: string | null;
  automated_clean: boolean | null;
  protected: boolean;
  protected_reason: string | null;
  retired: boolean;
  retired_reason: string | null;
  owner: string | null;
  lessee: string | null;
  description: string | null;
  shard: string | null;
  parent_node: string | null;
  disable_power_off: boolean;
  console_enabled: boolean;
  boot_mode: string | null;
  secure_boot: boolean | null;
  chassis_uuid: string | null;
  inspection_started_at: string | null;
  inspection_finished_at: string | null;
  provision_updated_at: string | null;
  created_at: string;
  updated_at: string | null;
}

export type NodeChanges = Partial<Omit<Node, 'id' | 'uuid' | 'created_at'>>;
