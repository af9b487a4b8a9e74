import { describe, expect, it } from 'vitest';
import { inspectionDataSchema } from '../../../../api/routes/inspection-data.js';
import { parseInput } from '../../../../api/validation.js';
import { InvalidParameterValue } from '../../../../services/errors.js';
import { IPA_INVENTORY } from './ipa-inventory.js';

const parse = (body: unknown) => parseInput(inspectionDataSchema, body, 'inspection data');

describe('the inspection data continue_inspection takes', () => {
  it('takes what IPA sends, every key kept as sent', () => {
    const body = { inventory: IPA_INVENTORY, boot_interface: '01-52-54-00-ab-cd-ef', root_disk: { name: '/dev/sda' } };
    expect(parse(body)).toEqual(body);
  });

  it('takes an inventory with only some of the parts Anvil reads, or with them null', () => {
    expect(parse({ inventory: {} })).toEqual({ inventory: {} });
    const nulls = { interfaces: [{ name: null, mac_address: null, lldp: null }], cpu: null, memory: null };
    expect(parse({ inventory: nulls })).toEqual({ inventory: nulls });
  });

  it.each([
    ['no inventory', {}, 'inventory'],
    ['an inventory that is a list', { inventory: [] }, 'inventory'],
    ['an inventory that is text', { inventory: 'x' }, 'inventory'],
    ['interfaces that are not a list', { inventory: { interfaces: 'eth0' } }, 'interfaces'],
    ['an interface that is null', { inventory: { interfaces: [null] } }, 'interfaces/0'],
    ['an interface that is a number', { inventory: { interfaces: [5] } }, 'interfaces/0'],
    ['an interface that is text', { inventory: { interfaces: ['x'] } }, 'interfaces/0'],
    ['a MAC that is an object', { inventory: { interfaces: [{ mac_address: {} }] } }, 'mac_address'],
    ['a name that is a number', { inventory: { interfaces: [{ name: 1 }] } }, 'name'],
    ['LLDP that is not a list', { inventory: { interfaces: [{ lldp: 7 }] } }, 'lldp'],
    ['a disk that is null', { inventory: { disks: [null] } }, 'disks/0'],
    ['a disk size that is text', { inventory: { disks: [{ size: 'big' }] } }, 'size'],
    ['a cpu that is text', { inventory: { cpu: 'fast' } }, 'cpu'],
    ['a cpu count that is text', { inventory: { cpu: { count: 'eight' } } }, 'count'],
    ['a memory size that is text', { inventory: { memory: { physical_mb: 'lots' } } }, 'physical_mb'],
    ['a boot interface that is a number', { inventory: {}, boot_interface: 5 }, 'boot_interface'],
  ])('refuses %s, naming the field', (_label, body, field) => {
    expect(() => parse(body)).toThrow(InvalidParameterValue);
    expect(() => parse(body)).toThrow(field);
  });

  it('refuses more interfaces or disks than any server has', () => {
    const many = Array.from({ length: 5000 }, () => ({}));
    expect(() => parse({ inventory: { interfaces: many } })).toThrow('interfaces');
    expect(() => parse({ inventory: { disks: many } })).toThrow('disks');
  });
});
