import type { NodeDetailCache } from './serializers/node-detail-cache.js';
import type { RamdiskService } from '../services/agent/index.js';
import type { AllocationService } from '../services/allocations/index.js';
import type { IpamService } from '../ipam/index.js';
import type { TokenStore } from '../services/auth/index.js';
import type { BiosSettingsCache } from '../services/bios/index.js';
import type { ChassisService } from '../services/chassis/index.js';
import type { ConductorMembership, Intake, Placement } from '../services/conductor/index.js';
import type { AnvilConfig } from '../services/config/index.js';
import type { DeployTemplateService } from '../services/deploy-templates/index.js';
import type { ChangeFeed } from '../services/feed/index.js';
import type { NodeHistory } from '../services/events/index.js';
import type { FirmwareCache } from '../services/firmware/index.js';
import type { HardwareCalls } from '../services/hardware/index.js';
import type { InventoryStore } from '../services/inspect/index.js';
import type { InspectionRuleService } from '../services/inspection-rules/index.js';
import type { NodeAddresses } from '../services/ipam/index.js';
import type { MachineService } from '../services/machines/index.js';
import type { Logger } from '../services/logger.js';
import type { Metrics } from '../services/metrics.js';
import type { NodeService } from '../services/nodes/index.js';
import type { PortgroupService } from '../services/portgroups/index.js';
import type { PortService } from '../services/ports/index.js';
import type { VolumeConnectorService, VolumeTargetService } from '../services/volume/index.js';
import type { AccessControl } from './auth.js';

/** What the HTTP layer is given: services only, never a database handle. */
export interface ApiContext {
  config: AnvilConfig;
  log: Logger;
  metrics: Metrics;
  nodes: NodeService;
  /** Each node's detail JSON under its row stamp, for detail lists. */
  nodeDetails: NodeDetailCache;
  ports: PortService;
  portgroups: PortgroupService;
  chassis: ChassisService;
  volumeConnectors: VolumeConnectorService;
  volumeTargets: VolumeTargetService;
  intake: Intake;
  /** Which conductor owns which node, for the `conductor` field. */
  placement: Placement;
  /** The conductors table, read for `/v1/conductors`. */
  conductors: Pick<ConductorMembership, 'list' | 'get'>;
  ipam: IpamService;
  nodeAddresses: NodeAddresses;
  /** Synchronous hardware calls, made by the conductor that owns the node. */
  hardware: HardwareCalls;
  /** Inventories stored by inspection (`GET /v1/nodes/{id}/inventory`). */
  inventory: Pick<InventoryStore, 'get'>;
  /** BIOS settings as the conductor last read them (`GET /v1/nodes/{id}/bios`). */
  bios: Pick<BiosSettingsCache, 'list' | 'get'>;
  /** Firmware components with their history, recorded from the BMC's reports (`GET /v1/nodes/{id}/firmware`). */
  firmware: Pick<FirmwareCache, 'record' | 'list'>;
  ramdisk: RamdiskService;
  history: NodeHistory;
  allocations: AllocationService;
  /** Cluster API machines (`/v1/anvil/machines`). */
  machines: MachineService;
  deployTemplates: DeployTemplateService;
  /** The change feed (`/v1/anvil/events`). */
  feed: Pick<ChangeFeed, 'poll' | 'start' | 'follow'>;
  inspectionRules: InspectionRuleService;
  /** Authentication, the policy table and the failed-login throttle. */
  access: AccessControl;
  tokens: TokenStore;
}
