/**
 * What to tell a network-booting client (DESIGN decision 9): firmware PXE
 * gets an iPXE binary over TFTP matching its architecture (option 93), and
 * iPXE itself (user class 77 `iPXE`) gets its per-host HTTP script. Pure.
 */
import { pxeVendorOptions, PXE_USE_BOOT_FILE, userClasses, type DhcpOptions } from './options.js';

export interface BootFileConfig {
  /** next-server (siaddr) and option 66: where the TFTP server is. */
  tftpServer: string;
  /** Arch 0, x86 BIOS: an iPXE that chains through the NIC's UNDI driver. */
  biosFile: string;
  /** Arch 7 and 9, UEFI x86-64: `ipxe.efi`, or `snponly.efi` to keep the firmware's network driver. */
  uefiX64File: string;
  /** Arch 11, UEFI arm64. */
  uefiArm64File: string;
  /** The script iPXE fetches; `{mac}` becomes the client's MAC (lower case, colons). */
  ipxeScriptUrl: string;
}

export const DEFAULT_BOOT_FILES = {
  biosFile: 'undionly.kpxe',
  uefiX64File: 'ipxe.efi',
  uefiArm64File: 'arm64/ipxe.efi',
} as const;

/**
 * RFC 4578 §2.1 / IANA "Processor Architecture Types" values served here.
 * Others (IA32 UEFI, HTTP boot types...) get no boot options rather than a
 * binary that cannot run on them.
 */
export const ClientArch = { biosX86: 0, uefiBytecode: 7, uefiX64: 9, uefiArm64: 11 } as const;

export type BootChoice =
  | { kind: 'tftp'; arch: number; nextServer: string; file: string }
  | { kind: 'ipxe-script'; nextServer: string; url: string };

/** The PXE vendor class prefix (PXE spec 2.1 §2.2.1; iPXE sends it too). */
const PXE_CLIENT = 'PXEClient';

/** Null when the client is not a PXE client or its architecture has no iPXE binary here. */
export function chooseBoot(request: DhcpOptions, mac: string, config: BootFileConfig): BootChoice | null {
  if (!request.vendorClass?.startsWith(PXE_CLIENT)) return null;
  if (request.userClass && userClasses(request.userClass).includes('iPXE')) {
    // Already running iPXE: hand over to the per-host script, breaking the TFTP → iPXE → DHCP loop.
    return { kind: 'ipxe-script', nextServer: config.tftpServer, url: config.ipxeScriptUrl.replaceAll('{mac}', mac) };
  }
  // PXE spec 2.1 §2.2.1: a client without option 93 is a BIOS (x86) client.
  const arch = request.clientArch?.[0] ?? ClientArch.biosX86;
  const file = fileForArch(arch, config);
  return file === null ? null : { kind: 'tftp', arch, nextServer: config.tftpServer, file };
}

function fileForArch(arch: number, config: BootFileConfig): string | null {
  switch (arch) {
    case ClientArch.biosX86:
      return config.biosFile;
    case ClientArch.uefiBytecode:
    case ClientArch.uefiX64:
      return config.uefiX64File;
    case ClientArch.uefiArm64:
      return config.uefiArm64File;
    default:
      return null;
  }
}

/** The reply fields that carry a boot choice. */
export interface BootFields {
  siaddr: string;
  /** The BOOTP `file` field: empty when the name does not fit its 127 octets (option 67 still carries it). */
  file: string;
  options: Pick<DhcpOptions, 'tftpServer' | 'bootfile' | 'vendorClass' | 'vendorSpecific' | 'clientUuid'>;
}

/**
 * Both the BOOTP header (siaddr/file, which PXE ROMs read) and options 66/67
 * (which DHCP clients read). PXE spec 2.1 §2.2.2: option 60 `PXEClient`
 * marks the reply as carrying PXE information, option 43 with discovery
 * control bit 3 tells the client to download `file` directly instead of
 * asking a boot server on port 4011, and option 97 echoes the client's UUID.
 */
export function bootFields(choice: BootChoice, request: DhcpOptions): BootFields {
  const name = choice.kind === 'tftp' ? choice.file : choice.url;
  return {
    siaddr: choice.nextServer,
    file: Buffer.byteLength(name, 'latin1') < 128 ? name : '',
    options: {
      tftpServer: choice.nextServer,
      bootfile: name,
      vendorClass: PXE_CLIENT,
      vendorSpecific: pxeVendorOptions(PXE_USE_BOOT_FILE),
      ...(request.clientUuid ? { clientUuid: request.clientUuid } : {}),
    },
  };
}
