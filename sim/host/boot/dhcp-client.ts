// What a network-booting host asks DHCP and what it learns. A PXE ROM asks
// first (vendor class PXEClient, its architecture in option 93) and is told
// its address, next-server and boot file; the iPXE that file is asks again
// with user class `iPXE` and is told its script's URL (DESIGN.md decision
// 9). The sim boots from those answers instead of from configuration when
// it is given a DhcpClient. Pure, apart from the client itself.
import type { FirmwareKind } from './boot-config.js';

/** One DHCP exchange (DISCOVER, OFFER, REQUEST, ACK) as the booting host makes it. */
export interface DhcpAsk {
  /** The NIC the host boots from: chaddr, and the interface the client uses. */
  mac: string;
  /** Option 60. */
  vendorClass: string;
  /** Option 93 (RFC 4578): 0 BIOS, 7 UEFI x86-64, 11 UEFI arm64. */
  clientArch: number;
  /** Option 77; `iPXE` once iPXE runs, absent from the ROM. */
  userClass: string | null;
  signal: AbortSignal;
}

/** What the ACK said. */
export interface DhcpLease {
  /** yiaddr. */
  address: string;
  prefix: number;
  router: string | null;
  /** Option 54. */
  serverId: string | null;
  /** siaddr, else option 66: where TFTP is. */
  nextServer: string | null;
  /** Option 67, else the BOOTP file field: a TFTP file name, or the iPXE script's URL. */
  bootFile: string | null;
  hostname: string | null;
  /** The interface the address was configured on. */
  interface: string;
}

/** Gets a lease on the wire and configures its address, or throws saying why not. */
export type DhcpClient = (ask: DhcpAsk) => Promise<DhcpLease>;

const CLIENT_ARCH: Record<FirmwareKind, number> = { bios: 0, 'efi-x86_64': 7, 'efi-arm64': 11 };
/** UNDI 2.1 for a PXE ROM, 3.16 and 3.10 as EDK2 and iPXE say them. */
const UNDI: Record<'rom' | 'ipxe', Record<FirmwareKind, string>> = {
  rom: { bios: '002001', 'efi-x86_64': '003016', 'efi-arm64': '003016' },
  ipxe: { bios: '002001', 'efi-x86_64': '003010', 'efi-arm64': '003010' },
};

/** What the firmware's PXE ROM (`stage: 'rom'`) or the iPXE it loaded (`'ipxe'`) sends. */
export function pxeAsk(mac: string, firmware: FirmwareKind, stage: 'rom' | 'ipxe', signal: AbortSignal): DhcpAsk {
  const arch = CLIENT_ARCH[firmware];
  return {
    mac,
    vendorClass: `PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:${UNDI[stage][firmware]}`,
    clientArch: arch,
    userClass: stage === 'ipxe' ? 'iPXE' : null,
    signal,
  };
}

/** `255.255.255.0` → 24; null for a mask that is not a run of ones. */
export function prefixOfMask(mask: string): number | null {
  const parts = mask.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  const bits = parts.reduce((acc, p) => acc * 256 + Number(p), 0);
  // A run of ones from the top leaves 2^32 - mask a power of two.
  const prefix = 32 - Math.log2(2 ** 32 - bits);
  return Number.isInteger(prefix) ? prefix : null;
}

/** A lease as one line of the host's boot record. */
export function describeLease(lease: DhcpLease): string {
  const boot = lease.bootFile === null ? 'no boot file' : `boot file ${lease.bootFile}`;
  return `${lease.address}/${lease.prefix} on ${lease.interface} from ${lease.serverId ?? 'unknown server'}, next-server ${lease.nextServer ?? 'none'}, ${boot}`;
}
