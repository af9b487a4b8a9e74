export { createApp } from './app.js';
export type { AccessControl } from './auth.js';
export { answerClientError } from './client-error.js';
export type { ApiContext } from './context.js';
export { FailureThrottle } from './failure-throttle.js';
export { Policy, POLICY } from './policy.js';
export { NodeDetailCache } from './serializers/node-detail-cache.js';
