import { describe, expect, it } from 'vitest';
import { interpolate, maskedForRules } from '../../../../services/inspection-rules/interpolation.js';
import { pythonFormat } from '../../../../services/inspection-rules/python-format.js';
import {
  pythonCompare,
  pythonEquals,
  PythonError,
  PythonObject,
  pythonRepr,
} from '../../../../services/inspection-rules/python-values.js';

const inventory = {
  cpu: { count: 4, architecture: 'x86_64' },
  memory: { physical_mb: 8192 },
  disks: [{ name: '/dev/sda', size: 1000 }],
  bmc_address: '192.168.1.100',
  flags: { on: true, none: null },
};
const node = new PythonObject('Node', { uuid: 'n-1', driver: 'redfish', properties: { cpus: 4 } });
const context = { inventory, node, plugin_data: {} };

function failure(template: string): PythonError {
  try {
    pythonFormat(template, context);
  } catch (err) {
    if (err instanceof PythonError) return err;
    throw err;
  }
  throw new Error(`${template} formatted`);
}

describe("Python's str.format, as rule arguments are formatted", () => {
  it('reads dicts by [key], lists by [index], the node by .attribute, and writes values as str() does', () => {
    expect(pythonFormat('{inventory[cpu][count]}', context)).toBe('4');
    expect(pythonFormat('{inventory[disks][0][name]}', context)).toBe('/dev/sda');
    expect(pythonFormat('https://{inventory[bmc_address]}/x', context)).toBe('https://192.168.1.100/x');
    expect(pythonFormat('{node.driver} {node.properties[cpus]}', context)).toBe('redfish 4');
    expect(pythonFormat('{inventory[flags][on]}/{inventory[flags][none]}', context)).toBe('True/None');
    expect(pythonFormat('{inventory[cpu]}', context)).toBe("{'count': 4, 'architecture': 'x86_64'}");
    expect(pythonFormat('{inventory[disks]!r}', context)).toBe("[{'name': '/dev/sda', 'size': 1000}]");
    expect(pythonFormat('{{literal}} }}', context)).toBe('{literal} }');
  });

  it('raises the error Python raises for each kind of miss', () => {
    expect(failure('{inventory[nope]}')).toMatchObject({ kind: 'KeyError', message: "'nope'" });
    expect(failure('{missing}')).toMatchObject({ kind: 'KeyError', message: "'missing'" });
    expect(failure('{inventory[disks][3]}')).toMatchObject({ kind: 'IndexError', message: 'list index out of range' });
    expect(failure('{inventory[disks][x]}').kind).toBe('TypeError');
    expect(failure('{inventory.cpu}')).toMatchObject({
      kind: 'AttributeError',
      message: "'dict' object has no attribute 'cpu'",
    });
    expect(failure('{node[driver]}')).toMatchObject({
      kind: 'TypeError',
      message: "'Node' object is not subscriptable",
    });
    expect(failure('{inventory[cpu][count][0]}').message).toBe("'int' object is not subscriptable");
    expect(failure('{}').kind).toBe('IndexError');
    expect(failure('a } b')).toMatchObject({ kind: 'ValueError', message: "Single '}' encountered in format string" });
    expect(failure('{inventory')).toMatchObject({ kind: 'ValueError', message: "expected '}' before end of string" });
    expect(failure('{inventory[cpu][count]:>8}').kind).toBe('ValueError');
  });
});

describe("Ironic's interpolation of rule arguments", () => {
  const failures: string[] = [];
  const options = (op = 'eq', inLoop = false) => ({
    inLoop,
    op,
    onFailure: (text: string, err: PythonError) => failures.push(`${text}: ${err.kind}`),
  });

  it('formats every string, in lists and dicts (keys too), and keeps a failing one as written', () => {
    failures.length = 0;
    const value = {
      '{inventory[cpu][architecture]}': ['{inventory[memory][physical_mb]}', 5, { deep: '{node.uuid}' }],
      bad: '{inventory[nope]}',
    };
    expect(interpolate(value, context, options())).toEqual({
      x86_64: ['8192', 5, { deep: 'n-1' }],
      bad: '{inventory[nope]}',
    });
    expect(failures).toEqual(['{inventory[nope]}: KeyError']);
  });

  it('formats a missing key as None under is-empty only', () => {
    expect(interpolate('{inventory[nope]}', context, options('is-empty'))).toBeNull();
    expect(interpolate('{inventory[nope]}', context, options('is-none'))).toBe('{inventory[nope]}');
  });

  it('formats twice inside a loop, so an item may name inspection data', () => {
    const item = { path: 'driver_info/address', value: '{inventory[bmc_address]}' };
    const looped = { ...context, item };
    expect(interpolate({ path: '{item[path]}', value: '{item[value]}' }, looped, options('set', true))).toEqual({
      path: 'driver_info/address',
      value: '192.168.1.100',
    });
    // Outside a loop, one pass: the item's own field stays as text.
    expect(interpolate('{item[value]}', looped, options('set', false))).toBe('{inventory[bmc_address]}');
  });

  it('masks password, auth_token and bmc_password at any depth of the data rules read', () => {
    expect(
      maskedForRules({ bmc_password: 's', nested: [{ password: 'p', auth_token: 't', name: 'n' }], user: 'u' }),
    ).toEqual({ bmc_password: '***', nested: [{ password: '***', auth_token: '***', name: 'n' }], user: 'u' });
  });
});

describe("Python's values", () => {
  it('repr() as Python writes it', () => {
    expect(pythonRepr([null, true, 1.5, 1e-7, "it's", 'a"b', { k: [] }])).toBe(
      `[None, True, 1.5, 1e-07, "it's", 'a"b', {'k': []}]`,
    );
  });

  it('== with True equal to 1 and containers by content', () => {
    expect(pythonEquals(true, 1)).toBe(true);
    expect(pythonEquals('5', 5)).toBe(false);
    expect(pythonEquals({ a: [1, 2] }, { a: [1, 2] })).toBe(true);
    expect(pythonEquals({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });

  it('< and > by value, by code point, item by item; TypeError across types, except numeric text against a number', () => {
    expect(pythonCompare(10, 9, '>')).toBe(1);
    expect(pythonCompare('10', '9', '>')).toBe(-1);
    expect(pythonCompare([1, 2], [1, 3], '<')).toBe(-1);
    expect(pythonCompare('8192', 4096, '>')).toBe(1);
    expect(() => pythonCompare('big', 4096, '>')).toThrow("'>' not supported between instances of 'str' and 'int'");
    expect(() => pythonCompare(null, 1, '<')).toThrow("'<' not supported between instances of 'NoneType' and 'int'");
  });
});
