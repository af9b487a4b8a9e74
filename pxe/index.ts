export type { BootAction, BootBackend, BootHost, ServedEvent, StaticLease } from './backend.js';
