import { describe, expect, it } from 'vitest';
import { planFirmwareSync, type FirmwareRecord } from '../../../../services/firmware/index.js';

function recorded(component: string, current: string): FirmwareRecord {
  return {
    id: 1,
    node_id: 1,
    component,
    initial_version: '0.1',
    current_version: current,
    last_version_flashed: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: null,
  };
}

describe('planFirmwareSync', () => {
  it('creates components seen for the first time and changes those whose version differs', () => {
    const plan = planFirmwareSync(
      [recorded('bios', '1.4.2'), recorded('bmc', '5.10'), recorded('nic:NIC1', '20.1')],
      [
        { component: 'bios', version: '2.9.0' },
        { component: 'bmc', version: '5.10' },
        { component: 'nic:NIC2', version: '21.0' },
      ],
    );
    expect(plan).toEqual({
      create: [{ component: 'nic:NIC2', version: '21.0' }],
      change: [{ component: 'bios', previous: '1.4.2', version: '2.9.0' }],
    });
  });

  it('plans nothing when the BMC reports what is recorded', () => {
    expect(planFirmwareSync([recorded('bios', '1.4.2')], [{ component: 'bios', version: '1.4.2' }])).toEqual({
      create: [],
      change: [],
    });
  });
});
