export { renderNetworkData, type NetworkAddressInput, type NetworkData } from './render.js';
