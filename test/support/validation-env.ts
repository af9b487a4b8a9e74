import type { ValidationEnv } from '../../services/drivers/index.js';

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
