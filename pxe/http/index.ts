export { decideRange, type RangeDecision } from './range.js';
export {
  startBootHttpServer,
  type BootHttpOptions,
  type BootHttpServer,
  type HttpObserver,
  type HttpRequestEvent,
  type HttpRoute,
} from './server.js';
