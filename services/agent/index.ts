export { type AgentCheckIn } from './check-in.js';
export { AgentClient } from './client.js';
export { agentNodeView, withoutSessionKeepingProgress } from './node-views.js';
export { RamdiskService } from './ramdisk.js';
export { agentSession, revokeAgentOnExit, withoutSession } from './session.js';
