export { configDriveEncoder, configDriveProblem } from './config-drive.js';
