export { startService, type Role, type RunningService } from './start.js';
