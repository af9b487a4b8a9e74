// Root device hints as IPA reads them (device_hints.py over oslo's
// specs_matcher), against the block devices a simulated host shows.
import { describe, expect, it } from 'vitest';
import { blockDevices, type BlockDevice } from '../../../../sim/agent/block-devices.js';
import { AgentCommandError } from '../../../../sim/agent/command-error.js';
import { rootDevice } from '../../../../sim/agent/root-device.js';
import { SimHost, hostSpec } from '../../../../sim/host/index.js';

const GiB = 2 ** 30;
const spec = hostSpec(0, 'hints-', 1, 1);
spec.disks = [
  { id: 'Disk0', model: 'Big Spinner 8T', sizeBytes: 8000 * GiB, type: 'HDD', serial: 'HDD-0001', protocol: 'SAS' },
  { id: 'Disk1', model: 'Fast Flash', sizeBytes: 480 * GiB, type: 'SSD', serial: 'SSD-0002', protocol: 'SATA' },
  { id: 'Disk2', model: 'Fast Flash', sizeBytes: 960 * GiB, type: 'SSD', serial: 'NVME-0003' },
  { id: 'Disk3', model: 'Boot Stick', sizeBytes: 2 * GiB, type: 'SSD', serial: 'USB-0004', protocol: 'SATA' },
];
const devices = blockDevices(new SimHost(spec));
const named = (name: string): BlockDevice => devices.find((d) => d.name === name)!;

function failure(hints: unknown, among: readonly BlockDevice[] = devices): AgentCommandError {
  try {
    rootDevice(among, hints);
  } catch (err) {
    if (err instanceof AgentCommandError) return err;
    throw err;
  }
  throw new Error(`hints ${JSON.stringify(hints)} matched a device`);
}

describe('root device hints', () => {
  it('names the devices as the kernel does, with the identifiers hints can use', () => {
    expect(devices.map((d) => d.name)).toEqual(['/dev/sda', '/dev/sdb', '/dev/nvme0n1', '/dev/sdc']);
    expect(named('/dev/sda')).toMatchObject({ hctl: '0:0:0:0', rotational: true });
    expect(named('/dev/sda').by_path).toMatch(/^\/dev\/disk\/by-path\/pci-0000:18:00\.0-scsi-0:0:0:0$/);
    expect(named('/dev/nvme0n1').hctl).toBeNull();
    expect(named('/dev/nvme0n1').wwn).toMatch(/^eui\.[0-9a-f]{16}$/);
    expect(new Set(devices.map((d) => d.wwn)).size).toBe(4);
  });

  it('without hints takes the smallest device of at least 4 GiB', () => {
    expect(rootDevice(devices, undefined).name).toBe('/dev/sdb');
    expect(rootDevice(devices, {}).name).toBe('/dev/sdb');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['name', { name: '/dev/nvme0n1' }, '/dev/nvme0n1'],
    ['serial, any case', { serial: 'hdd-0001' }, '/dev/sda'],
    ['model with a space', { model: 'fast flash' }, '/dev/sdb'],
    ['size in GiB, equal', { size: 960 }, '/dev/nvme0n1'],
    ['size with an operator', { size: '>= 1000' }, '/dev/sda'],
    ['size and rotational together', { size: '<= 1000', rotational: 'no' }, '/dev/sdb'],
    ['rotational', { rotational: true }, '/dev/sda'],
    ['vendor', { vendor: 'SimDisk', model: 's== fast flash', size: '> 500' }, '/dev/nvme0n1'],
    ['<in>', { model: '<in> spin' }, '/dev/sda'],
    ['<or>', { serial: '<or> NOPE <or> NVME-0003' }, '/dev/nvme0n1'],
    ['wwn', { wwn: named('/dev/sdc').wwn }, '/dev/sdc'],
    ['hctl', { hctl: named('/dev/sdb').hctl }, '/dev/sdb'],
    ['by_path', { by_path: named('/dev/nvme0n1').by_path }, '/dev/nvme0n1'],
  ])('picks the device by %s', (_what, hints, expected) => {
    expect(rootDevice(devices, hints).name).toBe(expected);
  });

  it("fails in IPA's words when no device matches", () => {
    expect(failure({ serial: 'nope', size: 960 })).toMatchObject({
      type: 'DeviceNotFound',
      code: 404,
      summary: 'Error finding the disk or partition device to deploy the image onto',
      details: "No suitable device was found for deployment using these hints {'serial': 'nope', 'size': 960}",
    });
    expect(failure({ name: '/dev/sda', rotational: false }).details).toBe(
      "No suitable device was found for deployment using these hints {'name': '/dev/sda', 'rotational': False}",
    );
  });

  it('fails hints that do not validate, saying why', () => {
    expect(failure({ colour: 'red' }).details).toBe(
      `No devices could be found using the root device hints {'colour': 'red'} because they failed to validate. Error: The hints "colour" are invalid. Valid hints are: "size, model, wwn, serial, vendor, wwn_with_extension, wwn_vendor_extension, name, rotational, hctl, by_path, tran"`,
    );
    expect(failure({ size: 'big' }).details).toMatch(
      /Root device hint "size" is not an integer value\. Current value: big$/,
    );
    expect(failure({ size: 0 }).details).toMatch(
      /Root device hint "size" should be a positive integer\. Current value: 0$/,
    );
    expect(failure({ rotational: 'maybe' }).details).toMatch(/Root device hint "rotational" is not a Boolean value/);
    expect(failure({ serial: 42 }).details).toMatch(
      /Root device hint "serial" is not a string value\. Hint expression: 42/,
    );
  });

  it('fails when no hints are given and every device is under 4 GiB', () => {
    expect(failure(null, [named('/dev/sdc')]).details).toBe(
      'No suitable device was found for deployment - root device hints were not provided and all found block devices are smaller than 4294967296B.',
    );
  });
});
