export { VirtualMediaError } from './errors.js';
export { KERNEL_IN_ISO, RAMDISK_IN_ISO, renderGrubConfig, VMEDIA_PARAM } from './grub-config.js';
export { buildVirtualMediaIso, VMEDIA_LABEL, type VirtualMediaIso, type VirtualMediaOptions } from './virtual-media.js';
