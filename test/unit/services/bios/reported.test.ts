import { describe, expect, it } from 'vitest';
import { reportedSettings } from '../../../../services/bios/index.js';

describe('reportedSettings', () => {
  it('writes every value as text, a JSON boolean as true/false, the spelling Metal3 compares with', () => {
    const settings = reportedSettings({ Serial: true, Quiet: false, Retries: 3, Mode: 'Uefi', Tag: null }, null);
    expect(Object.fromEntries(settings.map((s) => [s.name, s.value]))).toEqual({
      Serial: 'true',
      Quiet: 'false',
      Retries: '3',
      Mode: 'Uefi',
      Tag: null,
    });
  });

  it('pairs each setting with its registry entry, and records only what the BIOS has', () => {
    const settings = reportedSettings(
      { PxeRetryCount: 3, AssetTag: 'a' },
      {
        PxeRetryCount: {
          attributeType: 'Integer',
          allowableValues: null,
          lowerBound: 0,
          upperBound: 10,
          minLength: null,
          maxLength: null,
          readOnly: false,
          resetRequired: true,
          unique: false,
        },
        NotInThisBios: {
          attributeType: 'String',
          allowableValues: null,
          lowerBound: null,
          upperBound: null,
          minLength: 0,
          maxLength: 4,
          readOnly: false,
          resetRequired: false,
          unique: false,
        },
      },
    );
    expect(settings).toEqual([
      {
        name: 'PxeRetryCount',
        value: '3',
        attribute_type: 'Integer',
        allowable_values: null,
        lower_bound: 0,
        max_length: null,
        min_length: null,
        read_only: false,
        reset_required: true,
        unique: false,
        upper_bound: 10,
      },
      expect.objectContaining({ name: 'AssetTag', value: 'a', attribute_type: null, read_only: null }),
    ]);
  });
});
