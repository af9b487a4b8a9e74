import { describe, expect, it } from 'vitest';
import { planBiosSync, type BiosSettingRecord, type ReportedBiosSetting } from '../../../../services/bios/index.js';

const NO_REGISTRY = {
  attribute_type: null,
  allowable_values: null,
  lower_bound: null,
  max_length: null,
  min_length: null,
  read_only: null,
  reset_required: null,
  unique: null,
  upper_bound: null,
};

function reported(name: string, value: string | null, more: Partial<ReportedBiosSetting> = {}): ReportedBiosSetting {
  return { ...NO_REGISTRY, name, value, ...more };
}

function recorded(name: string, value: string | null, more: Partial<ReportedBiosSetting> = {}): BiosSettingRecord {
  return { ...reported(name, value, more), node_id: 1, created_at: '2026-01-01T00:00:00.000Z', updated_at: null };
}

describe('planBiosSync', () => {
  it("creates new settings, changes those whose value differs and removes those the BIOS lost, as Ironic's sync_node_setting", () => {
    const plan = planBiosSync(
      [recorded('ProcTurboMode', 'Enabled'), recorded('NumLock', 'On'), recorded('Gone', 'x')],
      [reported('ProcTurboMode', 'Disabled'), reported('NumLock', 'On'), reported('AssetTag', '')],
    );
    expect(plan).toEqual({
      create: [reported('AssetTag', '')],
      change: [reported('ProcTurboMode', 'Disabled')],
      redescribe: [],
      remove: ['Gone'],
    });
  });

  it('plans nothing when the BIOS reads as recorded', () => {
    const same = { attribute_type: 'Enumeration', allowable_values: ['On', 'Off'], read_only: false };
    expect(planBiosSync([recorded('NumLock', 'On', same)], [reported('NumLock', 'On', same)])).toEqual({
      create: [],
      change: [],
      redescribe: [],
      remove: [],
    });
  });

  it('rewrites a setting the registry now describes differently without counting it as a new value', () => {
    const plan = planBiosSync(
      [recorded('PxeRetryCount', '3', { attribute_type: 'Integer', upper_bound: 10 })],
      [reported('PxeRetryCount', '3', { attribute_type: 'Integer', upper_bound: 20 })],
    );
    expect(plan.change).toEqual([]);
    expect(plan.redescribe).toEqual([reported('PxeRetryCount', '3', { attribute_type: 'Integer', upper_bound: 20 })]);
  });

  it('tells a value that became null from one that stayed', () => {
    expect(planBiosSync([recorded('AssetTag', 'rack-4')], [reported('AssetTag', null)]).change).toEqual([
      reported('AssetTag', null),
    ]);
  });
});
