import { describe, expect, it } from 'vitest';
import { cameBack, remediationStep } from '../../../../services/machines/remediation.js';

describe('reboot remediation', () => {
  const up = {
    power_state: 'power on' as const,
    target_power_state: null,
    last_error: null,
    fault: null,
    health: 'OK' as const,
    reservation: null,
  };
  const r = {
    strategy: 'reboot' as const,
    retry_limit: 2,
    timeout: 60,
    attempts: 1,
    started_at: '2026-01-01T00:00:00Z',
  };
  const at = (s: number) => Date.parse('2026-01-01T00:00:00Z') + s * 1000;

  it('reboots first, waits while the reboot runs, and is done when the host is up and healthy', () => {
    expect(remediationStep({ ...r, attempts: 0, started_at: null }, up, at(0))).toEqual({ kind: 'reboot' });
    expect(remediationStep(r, { ...up, target_power_state: 'rebooting' }, at(10))).toEqual({ kind: 'wait' });
    expect(remediationStep(r, up, at(10))).toEqual({ kind: 'recovered' });
    expect(cameBack({ ...up, health: 'Critical' })).toBe(false);
    expect(cameBack({ ...up, fault: 'power failure' })).toBe(false);
  });

  it('reboots again after a failed or timed-out attempt, and gives up at the limit', () => {
    const failed = { ...up, last_error: 'BMC did not answer' };
    expect(remediationStep(r, failed, at(5))).toEqual({ kind: 'reboot' });
    expect(remediationStep(r, { ...up, target_power_state: 'rebooting' }, at(61))).toEqual({ kind: 'reboot' });
    const last = remediationStep({ ...r, attempts: 2 }, failed, at(5));
    expect(last).toEqual({ kind: 'give up', why: 'the host did not come back after 2 reboot(s): BMC did not answer' });
  });
});
