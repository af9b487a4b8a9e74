/** A firmware component of a node as Anvil last recorded it (Ironic's FirmwareComponent). */
export interface FirmwareRecord {
  id: number;
  node_id: number;
  /** Ironic's name: `bios`, `bmc`, `nic:<adapter Id>`. */
  component: string;
  /** The version first seen on the node. */
  initial_version: string;
  /** The version the BMC reported last. */
  current_version: string;
  /** The version the node moved to at its last change, the only way a version changes being a flash. */
  last_version_flashed: string | null;
  created_at: string;
  updated_at: string | null;
}

/** One component's version as the BMC reports it now. */
export interface ReportedFirmware {
  component: string;
  version: string;
}
