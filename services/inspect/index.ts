export { InspectFlow, type AddPorts, type InspectFlowDeps, type PortMaker } from './inspect-flow.js';
export { InventoryStore, propertiesFromInventory, toIronicInventory, type StoredInventory } from './inventory.js';
export { parseLldp } from './lldp.js';
export { standardPluginData } from './plugin-data.js';
