export { InventoryStore, propertiesFromInventory, toIronicInventory, type StoredInventory } from './inventory.js';
