import { describe, expect, it } from 'vitest';
import { hostSpec, SimHost, SimHostError } from '../../../sim/host/index.js';

function makeHost(clock: () => number = Date.now): SimHost {
  return new SimHost(hostSpec(0, 'sim-', 1, 2), { clock, historyLimit: 5 });
}

describe('SimHost', () => {
  it('follows every power action', () => {
    const host = makeHost();
    host.powerAction('On');
    expect(host.power).toBe('On');
    host.powerAction('GracefulShutdown');
    expect(host.power).toBe('Off');
    host.powerAction('ForceOn');
    host.powerAction('ForceOff');
    expect(host.power).toBe('Off');
    host.powerAction('PushPowerButton');
    expect(host.power).toBe('On');
    host.powerAction('PushPowerButton');
    expect(host.power).toBe('Off');
    host.powerAction('GracefulRestart');
    expect(host.power).toBe('On');
    const boots = host.bootCount;
    host.powerAction('ForceRestart');
    host.powerAction('PowerCycle');
    expect(host.bootCount).toBe(boots + 2);
    host.powerAction('Nmi');
    expect(host.nmiCount).toBe(1);
    host.powerAction('ForceOff');
    host.powerAction('Nmi');
    expect(host.nmiCount).toBe(1);
  });

  it('boots from a one-time override once, then from disk', () => {
    const host = makeHost();
    host.setBootOverride({ target: 'pxe', enabled: 'once', mode: 'legacy' });
    host.powerAction('On');
    expect(host.lastBoot).toMatchObject({ device: 'pxe', mode: 'legacy', outcome: 'booted' });
    expect(host.boot).toEqual({ target: 'none', enabled: 'disabled', mode: 'legacy' });
    host.powerAction('ForceRestart');
    expect(host.lastBoot?.device).toBe('hdd');
  });

  it('keeps a continuous override and records boot failures', () => {
    const host = makeHost();
    host.setBootOverride({ target: 'cd', enabled: 'continuous' });
    host.powerAction('On', { bootFails: true });
    host.powerAction('ForceRestart', { bootFails: true });
    expect(host.lastBoot).toMatchObject({ device: 'cd', outcome: 'failed' });
    expect(host.boot.enabled).toBe('continuous');
  });

  it('applies pending BIOS settings at the next power-on only', () => {
    const host = makeHost();
    host.setPendingBios({ ProcTurboMode: 'Disabled', PxeRetryCount: 1 });
    expect(host.bios.ProcTurboMode).toBe('Enabled');
    host.powerAction('On');
    expect(host.bios).toMatchObject({ ProcTurboMode: 'Disabled', PxeRetryCount: 1 });
    expect(host.pendingBios).toEqual({});
    expect(host.biosAppliedAt).not.toBeNull();
  });

  it('refuses unknown BIOS attributes and wrong types, changing nothing', () => {
    const host = makeHost();
    expect(() => host.setPendingBios({ ProcTurboMode: 'Disabled', Bogus: 1 })).toThrow(SimHostError);
    expect(() => host.setPendingBios({ PxeRetryCount: 'three' })).toThrow(/expects a number/);
    expect(host.pendingBios).toEqual({});
  });

  it('holds one virtual media image at a time', () => {
    const host = makeHost();
    host.insertMedia('http://x/a.iso');
    expect(() => host.insertMedia('http://x/b.iso')).toThrow(SimHostError);
    host.ejectMedia();
    host.insertMedia('http://x/b.iso', { inserted: false, writeProtected: false });
    expect(host.media).toEqual({ image: 'http://x/b.iso', inserted: false, writeProtected: false });
  });

  it('finishes a firmware update by the clock and then changes the version', () => {
    let now = 1_000_000;
    const host = makeHost(() => now);
    const job = host.startFirmwareUpdate({
      imageUri: 'http://x/bmc-3.0.0.bin',
      componentId: 'BMC',
      version: '3.0.0',
      durationMs: 1000,
    });
    now += 500;
    expect(job.status()).toMatchObject({ state: 'Running', percentComplete: 50 });
    expect(host.firmware.find((f) => f.id === 'BMC')?.version).toBe('2.10.0');
    now += 600;
    expect(host.firmware.find((f) => f.id === 'BMC')?.version).toBe('3.0.0');
    expect(host.firmwareJob(job.id)?.status().state).toBe('Completed');
  });

  it('ends a firmware update it cannot place in Exception', () => {
    let now = 0;
    const host = makeHost(() => now);
    const job = host.startFirmwareUpdate({
      imageUri: 'http://x/mystery.bin',
      componentId: null,
      version: null,
      durationMs: 10,
    });
    now = 20;
    expect(job.status()).toMatchObject({
      state: 'Exception',
      message: expect.stringContaining('no firmware component'),
    });
    expect(() => host.startFirmwareUpdate({ imageUri: 'x', componentId: 'GPU', version: '1', durationMs: 0 })).toThrow(
      SimHostError,
    );
  });

  it('counts concurrent commands and keeps a bounded, timestamped history', () => {
    const host = makeHost(() => Date.parse('2030-01-01T00:00:00Z'));
    const first = host.beginCommand('GET /a');
    const second = host.beginCommand('GET /b');
    expect(host.inFlight).toBe(2);
    first();
    first();
    second();
    expect(host.inFlight).toBe(0);
    expect(host.maxInFlight).toBe(2);
    for (let i = 0; i < 10; i++) host.beginCommand(`c${i}`)();
    expect(host.history).toHaveLength(5);
    expect(host.history.at(-1)).toEqual({ at: '2030-01-01T00:00:00.000Z', command: 'c9' });
  });

  it('drifts power by itself', () => {
    const host = makeHost();
    host.drift();
    expect(host.power).toBe('On');
    host.drift();
    expect(host.power).toBe('Off');
  });
});
