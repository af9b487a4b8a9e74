export { SimAgent, DEFAULT_AGENT_TIMING } from './agent.js';
export type { AgentTiming } from './agent.js';
export { AgentServer } from './server.js';
export { HostDisk, METADATA_BYTES } from './disk.js';
export { agentBootParams } from './kernel-params.js';
export { configDriveIso, readConfigDrive } from './config-drive.js';
export type { ConfigDriveView } from './config-drive.js';
export { IsoImage, IsoFormatError } from './iso9660.js';
export { rangeRead, fetchText } from './http-fetch.js';
