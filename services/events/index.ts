export { actingAs, currentActor } from './actor.js';
export { NodeHistory, type HistoryEntry } from './history.js';
