export { ConductorRpcClient } from './client.js';
export { RPC_SECRET_PURPOSE, signCall } from './protocol.js';
export { startRpcServer, type ConductorRpcServer } from './server.js';
