export { NodeBootBackend } from './boot-backend.js';
export { startBootServices, type BootServices } from './boot-services.js';
