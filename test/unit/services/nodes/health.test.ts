import { describe, expect, it } from 'vitest';
import { nodeHealth, type HealthState } from '../../../../services/nodes/index.js';

type Facts = Parameters<typeof nodeHealth>[0];
const node = (facts: Partial<Facts>): Facts => ({ fault: null, power_state: 'power on', health: null, ...facts });

describe('a node’s health as the API shows it', () => {
  it.each<HealthState>(['OK', 'Warning', 'Critical'])('shows the BMC’s verdict %s while the BMC answers', (health) => {
    expect(nodeHealth(node({ health }))).toBe(health);
    expect(nodeHealth(node({ health, power_state: 'power off' }))).toBe(health);
  });

  it('never keeps showing an old OK, or nothing, once the BMC stopped answering', () => {
    expect(nodeHealth(node({ health: 'OK', fault: 'power failure', power_state: null }))).toBe('Warning');
    expect(nodeHealth(node({ health: 'Warning', fault: 'power failure', power_state: null }))).toBe('Warning');
    expect(nodeHealth(node({ health: null, fault: 'power failure', power_state: null }))).toBe('Warning');
  });

  it('keeps a Critical verdict through a power failure: an unreachable BMC makes nothing better', () => {
    expect(nodeHealth(node({ health: 'Critical', fault: 'power failure', power_state: null }))).toBe('Critical');
  });

  it('reads other faults as no news of the hardware', () => {
    expect(nodeHealth(node({ health: 'OK', fault: 'clean failure' }))).toBe('OK');
    expect(nodeHealth(node({ health: null, fault: 'clean failure' }))).toBe('OK');
  });

  it('without a verdict (IPMI, monitoring off): OK once the BMC answers power sync, null before', () => {
    expect(nodeHealth(node({ health: null, power_state: 'power off' }))).toBe('OK');
    expect(nodeHealth(node({ health: null, power_state: null }))).toBeNull();
  });
});
