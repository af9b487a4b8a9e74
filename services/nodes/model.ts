import type { ProvisionState } from './states.js';

export type PowerState = 'power on' | 'power off';
export type TargetPowerState = PowerState | 'rebooting' | 'soft power off' | 'soft rebooting';
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
  last_error: string | null;
  reservation: string | null;
  conductor_group: string;
  instance_uuid: string | null;
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

/** Columns holding JSON documents (text in the database). */
export const NODE_JSON_FIELDS = [
  'driver_info',
  'driver_internal_info',
  'instance_info',
  'properties',
  'extra',
  'network_data',
  'raid_config',
  'target_raid_config',
  'clean_step',
  'deploy_step',
  'service_step',
  'traits',
] as const;

export const NODE_BOOLEAN_FIELDS = [
  'maintenance',
  'automated_clean',
  'protected',
  'retired',
  'disable_power_off',
  'console_enabled',
  'secure_boot',
] as const;

/** JSON documents whose sensitive values are encrypted at rest. */
export const NODE_SECRET_FIELDS = ['driver_info', 'driver_internal_info', 'instance_info'] as const;

export type NodeChanges = Partial<Omit<Node, 'id' | 'uuid' | 'created_at'>>;
