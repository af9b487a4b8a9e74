// How simulated hosts find Anvil when they boot. Real hosts learn the TFTP
// server, boot file and script URL from DHCP, and so do simulated ones given
// a DhcpClient (hosts on real interfaces, in network namespaces); otherwise
// configuration stands in for Anvil's DHCP answers, so a thousand hosts
// boot on loopback with no DHCP at all.
import { DEFAULT_AGENT_TIMING, type AgentTiming } from '../../agent/index.js';
import type { CpuSummary, BootMode } from '../types.js';
import type { DhcpClient } from './dhcp-client.js';

/** The boot file DHCP would name, by what option 93 says the client is. */
export type FirmwareKind = 'bios' | 'efi-x86_64' | 'efi-arm64';

export interface BootConfig {
  /**
   * Anvil's HTTP boot server; a host's script is `${httpUrl}/boot/<mac>.ipxe`
   * (DESIGN.md decision 9). Needed unless `dhcp` is given.
   */
  httpUrl?: string;
  /**
   * Ask DHCP on the wire at every network boot, as the PXE ROM and then iPXE
   * do, and boot from its answers (address, next-server, boot file, script
   * URL): httpUrl, tftpServer's host, bootFiles and leaseAddress are then
   * not used for network boots, and agents listen on the leased address.
   */
  dhcp?: DhcpClient;
  /** PEM certificates (a CA bundle) agents verify an https ipa-api-url against, instead of the system's. */
  apiCa?: string;
  /**
   * Anvil's TFTP server (DHCP's next-server); default httpUrl's host, port
   * 69. An IP address. With dhcp, only the port is used.
   */
  tftpServer?: { host: string; port: number };
  /** Default: what Anvil's DHCP names by default, undionly.kpxe, ipxe.efi, arm64/ipxe.efi. */
  bootFiles?: Partial<Record<FirmwareKind, string>>;
  /** Where each host's disk directory lives; default a fresh directory under the OS temp dir, removed on close. */
  diskRoot?: string;
  tftp?: { blksize?: number; timeoutMs?: number; retries?: number; maxBytes?: number };
  /**
   * The address DHCP would have leased the host booting from `mac`; its PXE
   * ROM's TFTP requests come from it (on loopback, any 127.x.y.z), so Anvil
   * can tell which node fetched its boot file, as it does by lease on a real
   * network. Null or absent: the requests come from the default address.
   */
  leaseAddress?: (mac: string) => string | null;
  /** How much of each kernel, initrd and ISO a host reads (one Range request). Default 64 KiB. */
  rangeBytes?: number;
  httpTimeoutMs?: number;
  /** iPXE `sleep N` waits N × this seconds; tests make retry loops fast with 0.01. Default 1. */
  scriptSleepScale?: number;
  /**
   * Kernel parameters for a virtual-media boot when the ISO's own boot
   * config (grub.cfg, isolinux.cfg) does not name ipa-api-url.
   */
  mediaKernelParams?: string[];
  agent?: Partial<AgentTiming>;
  /** The address agents bind their command ports on and put in callback_url, without DHCP. Default 127.0.0.1. */
  agentAddress?: string;
  /** What inventories report as bmc_address. Default 127.0.0.1. */
  bmcAddress?: string;
}

export interface ResolvedBootConfig {
  /** Null only with `dhcp`. */
  httpUrl: string | null;
  dhcp: DhcpClient | null;
  apiCa: string | null;
  tftpServer: { host: string; port: number };
  bootFiles: Record<FirmwareKind, string>;
  tftp: { blksize: number; timeoutMs: number; retries: number; maxBytes: number };
  leaseAddress: (mac: string) => string | null;
  rangeBytes: number;
  httpTimeoutMs: number;
  scriptSleepScale: number;
  mediaKernelParams: string[];
  agent: AgentTiming;
  agentAddress: string;
  bmcAddress: string;
}

const DEFAULT_BOOT_FILES: Record<FirmwareKind, string> = {
  bios: 'undionly.kpxe',
  'efi-x86_64': 'ipxe.efi',
  'efi-arm64': 'arm64/ipxe.efi',
};

export function resolveBootConfig(config: BootConfig): ResolvedBootConfig {
  const httpUrl = config.httpUrl?.replace(/\/+$/, '') ?? null;
  if (httpUrl === null && config.dhcp === undefined)
    throw new TypeError('a boot configuration needs httpUrl, or dhcp to learn it from');
  const tftpHost = httpUrl === null ? '' : new URL(httpUrl).hostname.replace(/^\[|\]$/g, '');
  return {
    httpUrl,
    dhcp: config.dhcp ?? null,
    apiCa: config.apiCa ?? null,
    tftpServer: config.tftpServer ?? { host: tftpHost, port: 69 },
    bootFiles: { ...DEFAULT_BOOT_FILES, ...config.bootFiles },
    tftp: {
      blksize: config.tftp?.blksize ?? 1468,
      timeoutMs: config.tftp?.timeoutMs ?? 1000,
      retries: config.tftp?.retries ?? 4,
      maxBytes: config.tftp?.maxBytes ?? Number.POSITIVE_INFINITY,
    },
    leaseAddress: config.leaseAddress ?? (() => null),
    rangeBytes: config.rangeBytes ?? 64 * 1024,
    httpTimeoutMs: config.httpTimeoutMs ?? 10_000,
    scriptSleepScale: config.scriptSleepScale ?? 1,
    mediaKernelParams: config.mediaKernelParams ?? [],
    agent: { ...DEFAULT_AGENT_TIMING, ...config.agent },
    agentAddress: config.agentAddress ?? '127.0.0.1',
    bmcAddress: config.bmcAddress ?? '127.0.0.1',
  };
}

/**
 * The TFTP window each firmware asks for (RFC 7440): EDK2's UEFI PXE asks 4
 * (its PcdPxeTftpWindowSize), a legacy BIOS PXE ROM asks none and goes block
 * by block.
 */
export function tftpWindowsize(firmware: FirmwareKind): number {
  return firmware === 'bios' ? 1 : 4;
}

/** What the firmware of this host is, as DHCP option 93 would tell Anvil. */
export function firmwareKind(cpu: CpuSummary, mode: BootMode): FirmwareKind {
  if (cpu.arch === 'aarch64') return 'efi-arm64';
  return mode === 'uefi' ? 'efi-x86_64' : 'bios';
}
