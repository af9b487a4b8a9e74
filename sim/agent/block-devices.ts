// The block devices IPA lists on a simulated host (its list_block_devices),
// as the kernel sees them behind the RAID controllers: each built volume as
// one SCSI disk, its member drives hidden, the drives in no volume as they
// are, NVMe drives as NVMe namespaces. Inspection reports them and root
// device hints pick among them, so both read the same names. Pure.
import { createHash } from 'node:crypto';
import { CONTROLLER_MODEL, controllerOf, protocolOf, type SimHost } from '../host/index.js';

/** A block device as IPA reports it (its BlockDevice.serialize()). */
export interface BlockDevice {
  name: string;
  model: string;
  size: number;
  rotational: boolean;
  /** NAA identifier (`0x5…` for a drive, `0x6…` for a controller's volume), or an NVMe EUI. */
  wwn: string;
  serial: string;
  vendor: string;
  wwn_with_extension: string;
  wwn_vendor_extension: null;
  /** SCSI host:channel:target:lun; NVMe namespaces have none. */
  hctl: string | null;
  by_path: string;
}

/** `a`..`z`, `aa`..: the kernel's sd names. */
function sdName(index: number): string {
  const letters = index < 26 ? '' : String.fromCharCode(96 + Math.floor(index / 26));
  return `/dev/sd${letters}${String.fromCharCode(97 + (index % 26))}`;
}

/** Stable per host and device, so hints written from one inspection still match the next boot. */
function identity(host: SimHost, key: string, hexDigits: number): string {
  return createHash('sha256').update(`${host.uuid}/${key}`).digest('hex').slice(0, hexDigits);
}

/**
 * Controller by controller, its volumes then its free drives. A controller
 * is SCSI host N at PCI bus 0x18 + N; a volume sits on channel 2 (as a
 * MegaRAID presents virtual drives), a drive on channel 0; an NVMe drive
 * has a PCI function of its own.
 */
export function blockDevices(host: SimHost): BlockDevice[] {
  const volumes = host.storage.volumes;
  const members = new Set(volumes.flatMap((v) => v.driveIds));
  const disks = host.disks;
  const controllers = [...new Set(disks.map(controllerOf))];
  let sd = 0;
  let nvme = 0;
  return controllers.flatMap((controller, scsiHost) => {
    const bus = (0x18 + scsiHost).toString(16).padStart(2, '0');
    const scsi = (channel: number, target: number) => ({
      hctl: `${scsiHost}:${channel}:${target}:0`,
      by_path: `/dev/disk/by-path/pci-0000:${bus}:00.0-scsi-0:${channel}:${target}:0`,
    });
    const ownVolumes = volumes.filter((v) => v.controller === controller);
    const freeDrives = disks.filter((d) => controllerOf(d) === controller && !members.has(d.id));
    return [
      ...ownVolumes.map((volume, target): BlockDevice => {
        const wwn = `0x6${identity(host, `${controller}/${volume.id}`, 15)}`;
        return {
          name: sdName(sd++),
          model: CONTROLLER_MODEL,
          size: volume.capacityBytes,
          rotational: disks.some((d) => volume.driveIds.includes(d.id) && d.type === 'HDD'),
          wwn,
          // A virtual drive's serial is its controller-given identity, not a member drive's.
          serial: identity(host, `${controller}/${volume.id}`, 32),
          vendor: 'SimRAID',
          wwn_with_extension: wwn,
          wwn_vendor_extension: null,
          ...scsi(2, target),
        };
      }),
      ...freeDrives.map((disk, target): BlockDevice => {
        const isNvme = protocolOf(disk) === 'NVMe';
        const wwn = isNvme ? `eui.${identity(host, disk.id, 16)}` : `0x5${identity(host, disk.id, 15)}`;
        const namespace = nvme;
        return {
          name: isNvme ? `/dev/nvme${nvme++}n1` : sdName(sd++),
          model: disk.model,
          size: disk.sizeBytes,
          rotational: disk.type === 'HDD',
          wwn,
          serial: disk.serial,
          vendor: 'SimDisk',
          wwn_with_extension: wwn,
          wwn_vendor_extension: null,
          ...(isNvme
            ? {
                hctl: null,
                by_path: `/dev/disk/by-path/pci-0000:${(0x60 + namespace).toString(16)}:00.0-nvme-1`,
              }
            : scsi(0, target)),
        };
      }),
    ];
  });
}
