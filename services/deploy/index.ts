export { configDriveEncoder } from './config-drive.js';
