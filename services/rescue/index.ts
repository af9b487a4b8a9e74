export { RescueFlow, rescueRefusal, withoutRescuePassword } from './rescue-flow.js';
export { hashRescuePassword, saltOf } from './rescue-password.js';
