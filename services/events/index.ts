export { NodeHistory, type HistoryEntry } from './history.js';
