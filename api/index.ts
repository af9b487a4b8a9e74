export { createApp } from './app.js';
export type { ApiContext } from './context.js';
