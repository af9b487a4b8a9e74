export { actingAs, currentActor } from './actor.js';
export { NodeHistory, type HistoryEntry, type HistoryEvent } from './history.js';
