import type { JsonObject } from '../nodes/index.js';
import type { LabelSelector } from '../labels/index.js';

export const MACHINE_PHASES = ['pending', 'provisioning', 'provisioned', 'deprovisioning', 'failed'] as const;
export type MachinePhase = (typeof MACHINE_PHASES)[number];

export const CLEANING_MODES = ['metadata', 'disabled'] as const;
export type CleaningMode = (typeof CLEANING_MODES)[number];

export const CHECKSUM_TYPES = ['md5', 'sha256', 'sha512'] as const;
export type ChecksumType = (typeof CHECKSUM_TYPES)[number];

/** Which hosts a machine may take: labels, and optionally Ironic's traits and resource class. */
export interface HostSelector extends LabelSelector {
  traits: string[];
  resource_class: string | null;
}

export interface MachineImage {
  url: string;
  checksum: string;
  checksum_type: ChecksumType | null;
  disk_format: string | null;
}

/** A deploy by a custom agent step instead of an image (Metal3's customDeploy). */
export interface CustomDeploy {
  /** The agent's deploy step that installs the OS. */
  method: string;
  args: JsonObject;
}

/** Metal3DataTemplate's part Anvil renders: an address per network from its IPAM pool, and meta_data keys. */
export interface DataTemplate {
  networks: { pool: string }[];
  meta_data: Record<string, string>;
}

/** What a provider asks for; compared whole to make create idempotent by name. */
export interface MachineSpec {
  cluster: string;
  /** Opaque to Anvil, echoed back (the CAPI Machine's reference). */
  consumer: JsonObject | null;
  /** The machine's role in its cluster (control-plane, worker), remembered on the host for node_reuse. */
  role: string | null;
  host_selector: HostSelector;
  failure_domain: string | null;
  image: MachineImage | null;
  custom_deploy: CustomDeploy | null;
  user_data: string | null;
  data_template: DataTemplate | null;
  automated_cleaning_mode: CleaningMode;
  node_reuse: boolean;
  /** CAPI's pause (pivot/move): the reconciler leaves the machine alone. */
  paused: boolean;
}

export type MachineAddressType = 'InternalIP' | 'Hostname' | 'InternalDNS';

export interface MachineAddress {
  type: MachineAddressType;
  address: string;
}

/** A remediation asked for and how far it got. */
export interface Remediation {
  strategy: 'reboot';
  retry_limit: number;
  timeout: number;
  attempts: number;
  /** When the current power cycle was asked for; null before the first. */
  started_at: string | null;
}

export interface Machine {
  id: number;
  uuid: string;
  name: string;
  spec: MachineSpec;
  phase: MachinePhase;
  /** A DELETE was accepted: the machine is on its way out, whatever its phase shows. */
  deleting: boolean;
  node_uuid: string | null;
  addresses: MachineAddress[];
  ready: boolean;
  failure_reason: string | null;
  failure_message: string | null;
  /** When the machine entered each phase it has been in (the last time). */
  phase_times: Partial<Record<MachinePhase, string>>;
  remediation: Remediation | null;
  created_at: string;
  updated_at: string | null;
}

/** Cluster API's provider ID for a host. */
export function providerIdOf(nodeUuid: string): string {
  return `anvil://${nodeUuid}`;
}
