import type { AgentIsoSource, ValidationEnv } from '../../services/drivers/index.js';

/** Validation with no agent images configured: only what a node's driver_info names. */
export const NO_CONFIGURED_IMAGES: ValidationEnv = {
  agentImages: {
    deployKernel: null,
    deployRamdisk: null,
    deployKernelByArch: {},
    deployRamdiskByArch: {},
    rescueKernel: null,
    rescueRamdisk: null,
    rescueKernelByArch: {},
    rescueRamdiskByArch: {},
  },
};

/** Where no agent ISO can be built (a conductor without the boot HTTP server): nodes must name deploy_iso. */
export const NO_ISO_BUILDS: AgentIsoSource = {
  problem: () => 'no agent ISO is built here; set driver_info/deploy_iso',
  publish: () => Promise.reject(new Error('no agent ISO is built here')),
  withdraw: () => Promise.resolve(),
};
