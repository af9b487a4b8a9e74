export { configDriveEncoder, configDriveProblem } from './config-drive.js';
export { DeployFlow, type ConfigDriveEncoder } from './deploy-flow.js';
