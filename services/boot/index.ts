export { agentImagesFor, type AgentImageDefaults, type AgentImageKind, type AgentImages } from './agent-images.js';
export { agentKernelParams } from './boot-action.js';
export { NodeBootBackend } from './boot-backend.js';
export { startBootServices, type BootServices } from './boot-services.js';
