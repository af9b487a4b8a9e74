export { ServiceFlow } from './service-flow.js';
