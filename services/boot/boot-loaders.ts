import path from 'node:path';
import type { BootFileConfig } from '../../pxe/dhcp/index.js';
import type { AnvilConfig } from '../config/index.js';

/** Debian's `ipxe` package's binaries, served whatever DHCP is set to name, for clients pointed at them by hand. */
const DEBIAN_IPXE_BINARIES = ['undionly.kpxe', 'ipxe.efi', 'snponly.efi'];

type LoaderSettings = Pick<AnvilConfig['boot'], 'tftpRoot' | 'biosBootFile' | 'uefiBootFile' | 'uefiArm64BootFile'>;

/** The iPXE binary DHCP names for each client architecture (option 93), as configured. */
export function bootLoaderFiles(
  config: LoaderSettings,
): Pick<BootFileConfig, 'biosFile' | 'uefiX64File' | 'uefiArm64File'> {
  return { biosFile: config.biosBootFile, uefiX64File: config.uefiBootFile, uefiArm64File: config.uefiArm64BootFile };
}

/**
 * What TFTP serves, request name → file under the TFTP root: Debian's
 * binaries and every loader DHCP may name. An arm64 iPXE is not in Debian,
 * so its name is wherever the operator put one (`arm64/ipxe.efi` by default).
 */
export function tftpLoaderFiles(config: LoaderSettings): Record<string, string> {
  const names = new Set([...DEBIAN_IPXE_BINARIES, ...Object.values(bootLoaderFiles(config))]);
  return Object.fromEntries([...names].map((name) => [name, path.join(config.tftpRoot, name)]));
}
