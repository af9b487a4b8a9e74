import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** What a demo makes on disk, all under one directory it removes when it ends. */
export interface DemoWorkspace {
  root: string;
  /** Anvil's ANVIL_DATA_DIR: its SQLite database, boot files and images. */
  dataDir: string;
  /** What Anvil's TFTP server serves: stand-ins for iPXE's binaries. */
  tftpRoot: string;
  /** The sim hosts' disk files. */
  diskDir: string;
  manifest: string;
  anvilLog: string;
  simLog: string;
  /** Under the boot files directory, as driver_info or ANVIL_DEPLOY_KERNEL names them. */
  deployKernel: string;
  deployRamdisk: string;
  /** The disk image, under Anvil's images directory. */
  image: { name: string; sha256: string };
  remove(): void;
}

const IMAGE_BYTES = 1024 * 1024;

/**
 * A new directory under `parent` with the files a site would have: iPXE on
 * the TFTP root, the agent's kernel and ramdisk, a disk image. The sim's
 * hosts fetch them over the network as real ones do but run none of them (a
 * sim host runs its fake agent), so random bytes stand in for them.
 */
export function makeWorkspace(parent: string): DemoWorkspace {
  let root: string;
  try {
    root = mkdtempSync(path.join(parent, 'anvil-demo-'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UsageError(`cannot make a directory in ${parent} (${reason}): choose one you can write with --dir`);
  }
  try {
    return fillWorkspace(root);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

function fillWorkspace(root: string): DemoWorkspace {
  const dataDir = path.join(root, 'data');
  const tftpRoot = path.join(root, 'tftp');
  const diskDir = path.join(root, 'disks');
  const bootFiles = path.join(dataDir, 'boot');
  const images = path.join(dataDir, 'images');
  for (const dir of [tftpRoot, diskDir, bootFiles, images]) mkdirSync(dir, { recursive: true });
  // The files Anvil's DHCP names for BIOS and UEFI clients, which the sim's PXE ROM asks for.
  writeFileSync(path.join(tftpRoot, 'undionly.kpxe'), randomBytes(64 * 1024));
  writeFileSync(path.join(tftpRoot, 'ipxe.efi'), randomBytes(96 * 1024));
  writeFileSync(path.join(bootFiles, 'ipa.kernel'), randomBytes(256 * 1024));
  writeFileSync(path.join(bootFiles, 'ipa.initramfs'), randomBytes(512 * 1024));
  const image = randomBytes(IMAGE_BYTES);
  writeFileSync(path.join(images, 'demo-os.img'), image);
  return {
    root,
    dataDir,
    tftpRoot,
    diskDir,
    manifest: path.join(root, 'sim.json'),
    anvilLog: path.join(root, 'anvil.log'),
    simLog: path.join(root, 'sim.log'),
    deployKernel: 'ipa.kernel',
    deployRamdisk: 'ipa.initramfs',
    image: { name: 'demo-os.img', sha256: createHash('sha256').update(image).digest('hex') },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
