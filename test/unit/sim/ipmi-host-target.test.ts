// The IPMI face of a SimHost, in memory: vocabulary mapping and faults.
import { describe, expect, it } from 'vitest';
import { FaultBook, NO_FAULTS } from '../../../sim/faults/index.js';
import { createFleet, hostSpec, SimHost } from '../../../sim/host/index.js';
import {
  bootFlagsFromOverride,
  deviceIdentityOf,
  HostIpmiFaults,
  HostIpmiTarget,
  IpmiTargetRefusal,
  ipmiFaultCompletionCode,
  overrideFromBootFlags,
} from '../../../sim/ipmi/index.js';

const constant = (value: number) => () => value;

function targetFor(host: SimHost, faults = new FaultBook(), random = constant(0.5)): HostIpmiTarget {
  return new HostIpmiTarget({ host, faults, random });
}

describe('HostIpmiTarget', () => {
  it('maps chassis control on, off, reset and soft to the host power actions', () => {
    const host = new SimHost(hostSpec(0, 'sim-', 0, 1));
    const target = targetFor(host);
    target.chassisControl('on');
    expect(host.power).toBe('On');
    expect(target.getPower()).toBe('on');
    target.chassisControl('reset');
    expect(host.power).toBe('On');
    expect(host.bootCount).toBe(2);
    target.chassisControl('soft');
    expect(host.power).toBe('Off');
    target.chassisControl('on');
    target.chassisControl('off');
    expect(target.getPower()).toBe('off');
    expect(host.history.map((c) => c.command)).toContain('IPMI Chassis Control soft');
    expect(host.inFlight).toBe(0);
  });

  it('power cycles a running host and refuses, with D5h, to cycle one that is off', () => {
    const host = new SimHost(hostSpec(0, 'sim-', 0, 1));
    const target = targetFor(host);
    expect(() => target.chassisControl('cycle')).toThrow(IpmiTargetRefusal);
    expect(() => target.chassisControl('cycle')).toThrow(expect.objectContaining({ completionCode: 0xd5 }));
    expect(host.power).toBe('Off');
    target.chassisControl('on');
    target.chassisControl('cycle');
    expect(host.power).toBe('On');
    expect(host.bootCount).toBe(2);
  });

  it('writes IPMI boot flags as the host boot override and reads the override back as flags', () => {
    const host = new SimHost(hostSpec(0, 'sim-', 0, 1));
    const target = targetFor(host);
    target.setBootFlags({ valid: true, persistent: false, mode: 'efi', device: 'pxe' });
    expect(host.boot).toEqual({ target: 'pxe', enabled: 'once', mode: 'uefi' });
    host.setBootOverride({ target: 'cd', enabled: 'continuous', mode: 'legacy' });
    expect(target.getBootFlags()).toEqual({ valid: true, persistent: true, mode: 'legacy', device: 'cdrom' });
    // A one-time override is consumed by the boot that uses it, and IPMI sees it gone.
    target.setBootFlags({ valid: true, persistent: false, mode: 'efi', device: 'disk' });
    target.chassisControl('on');
    expect(host.lastBoot).toMatchObject({ device: 'hdd', mode: 'uefi' });
    expect(target.getBootFlags()).toEqual({ valid: false, persistent: false, mode: 'efi', device: 'none' });
  });

  it('maps every boot device and persistence both ways without loss', () => {
    for (const device of ['none', 'pxe', 'disk', 'cdrom', 'bios'] as const) {
      for (const persistent of [false, true]) {
        for (const mode of ['efi', 'legacy'] as const) {
          const flags = { valid: true, persistent, mode, device };
          expect(bootFlagsFromOverride(overrideFromBootFlags(flags))).toEqual(flags);
        }
      }
    }
    expect(overrideFromBootFlags({ valid: false, persistent: true, mode: 'efi', device: 'pxe' }).enabled).toBe(
      'disabled',
    );
  });

  it('reports the vendor, a product id per model and the BMC firmware version as the device identity', () => {
    const spec = hostSpec(0, 'sim-', 0, 1);
    const plain = deviceIdentityOf(new SimHost(spec));
    expect(plain).toMatchObject({ firmwareMajor: 2, firmwareMinor: 10, manufacturerId: 0 });
    const dell = deviceIdentityOf(new SimHost({ ...spec, vendor: 'Dell Inc.', model: 'PowerEdge R650' }));
    expect(dell.manufacturerId).toBe(674);
    expect(dell.productId).not.toBe(plain.productId);
    expect(deviceIdentityOf(new SimHost({ ...spec, vendor: 'Dell Inc.', model: 'PowerEdge R650' })).productId).toBe(
      dell.productId,
    );
  });

  it('lets the power drift and boots fail under the host faults, as the Redfish face does', () => {
    const fleet = createFleet({ count: 1 });
    const host = fleet.hosts[0] as SimHost;
    const faults = new FaultBook();
    const target = targetFor(host, faults, constant(0));
    faults.setHost(host.name, { powerDriftRate: 1 });
    expect(target.getPower()).toBe('on');
    faults.setHost(host.name, { bootFailureRate: 1 });
    target.chassisControl('reset');
    expect(host.lastBoot?.outcome).toBe('failed');
  });
});

describe('HostIpmiFaults', () => {
  it('reads the fault book live: host faults over fleet-wide ones, hang as a total drop', () => {
    const book = new FaultBook();
    const view = new HostIpmiFaults(book, 'sim-0', constant(0));
    expect(view).toMatchObject({ dropRate: 0, latencyMs: 0, completionCode: undefined, refuseAuth: false });
    book.setFleet({ udpDropRate: 0.25, refuseAuth: true, latencyMs: 30 });
    expect(view).toMatchObject({ dropRate: 0.25, latencyMs: 30, refuseAuth: true });
    book.setHost('sim-0', { hang: true, refuseAuth: false });
    expect(view).toMatchObject({ dropRate: 1, refuseAuth: false });
    expect(new HostIpmiFaults(book, 'sim-1', constant(0)).dropRate).toBe(0.25);
  });

  it('answers C0h for a 503 error rate and FFh for a 500 one, per command', () => {
    expect(ipmiFaultCompletionCode({ ...NO_FAULTS, errorRate: 1, errorStatus: 503 }, constant(0.99))).toBe(0xc0);
    expect(ipmiFaultCompletionCode({ ...NO_FAULTS, errorRate: 1, errorStatus: 500 }, constant(0.99))).toBe(0xff);
    expect(ipmiFaultCompletionCode({ ...NO_FAULTS, errorRate: 0.5 }, constant(0.6))).toBeUndefined();
    expect(ipmiFaultCompletionCode(NO_FAULTS, constant(0))).toBeUndefined();
  });
});
