export {
  CONNECTOR_TYPES,
  type ConnectorType,
  type VolumeConnector,
  type VolumeItem,
  type VolumeItemCreate,
  type VolumeItemUpdate,
  type VolumeTarget,
} from './model.js';
export { CONNECTOR_SORT_KEYS, VolumeConnectorRepository } from './connector-repository.js';
export { TARGET_SORT_KEYS, VolumeTargetRepository } from './target-repository.js';
export { type VolumeFilter } from './repository.js';
export { VolumeService, type VolumeConnectorService, type VolumeTargetService } from './service.js';
