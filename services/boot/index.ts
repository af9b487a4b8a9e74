export {
  agentImagesFor,
  agentKindOf,
  type AgentImageDefaults,
  type AgentImageKind,
  type AgentImages,
} from './agent-images.js';
export { agentKernelParams } from './boot-action.js';
export { resolveBootFile, type BootFilePath } from './boot-file-path.js';
export { NodeBootBackend } from './boot-backend.js';
export { startBootServices, type BootServices } from './boot-services.js';
