export { CleanFlow } from './clean-flow.js';
