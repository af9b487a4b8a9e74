import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { enrollmentFromBmc } from '../../../cli/bmc-address.js';
import { InvalidInput } from '../../../cli/errors.js';
import { readInventory } from '../../../cli/inventory.js';
import { judge } from '../../../cli/node-goals.js';
import type { NodeRecord } from '../../../cli/node-record.js';
import { buildProgram, descendants } from '../../../cli/program.js';
import { matches, parseSelector } from '../../../cli/selector.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-cli-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function helpOf(command: ReturnType<typeof buildProgram>): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s) });
  command.outputHelp();
  return text;
}

describe('anvil --help', () => {
  it('shows examples on every command of the tree', () => {
    const program = buildProgram();
    const missing = [program, ...descendants(program)]
      .filter((c) => !/\nExamples:\n {2}\S/.test(helpOf(c)))
      .map((c) => c.name());
    expect(missing).toEqual([]);
  });
});

describe('BMC addresses', () => {
  it('maps Redfish (https by default) and IPMI (port 623 by default) addresses to driver_info', () => {
    expect(enrollmentFromBmc('redfish://10.0.0.5/redfish/v1/Systems/1', 'u', 'p')).toEqual({
      driver: 'redfish',
      driverInfo: {
        redfish_address: 'https://10.0.0.5',
        redfish_system_id: '/redfish/v1/Systems/1',
        redfish_username: 'u',
        redfish_password: 'p',
      },
      bootInterface: null,
    });
    expect(
      enrollmentFromBmc('redfish-virtualmedia+http://[fd00::5]:8000/redfish/v1/Systems/a', 'u', 'p'),
    ).toMatchObject({
      driverInfo: { redfish_address: 'http://[fd00::5]:8000' },
      bootInterface: 'redfish-virtual-media',
    });
    expect(enrollmentFromBmc('redfish-uefihttp://bmc-7/redfish/v1/Systems/1', 'u', 'p')).toMatchObject({
      driverInfo: { redfish_address: 'https://bmc-7' },
      bootInterface: 'redfish-https',
    });
    expect(enrollmentFromBmc('ipmi://10.0.0.6', 'u', 'p').driverInfo).toEqual({
      ipmi_address: '10.0.0.6',
      ipmi_port: 623,
      ipmi_username: 'u',
      ipmi_password: 'p',
    });
    expect(() => enrollmentFromBmc('ipmi://admin:pw@10.0.0.6', 'u', 'p')).toThrow(
      /credentials belong in username and password/,
    );
    expect(() => enrollmentFromBmc('redfish+http://h/other/path', 'u', 'p')).toThrow(/\/redfish\/v1\/Systems\/<id>/);
  });
});

describe('inventories', () => {
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const problems = (file: string) => {
    try {
      readInventory(file, 'redfish');
    } catch (err) {
      if (err instanceof InvalidInput) return err.problems;
      throw err;
    }
    return [];
  };

  it('reads a CSV whose quoted fields span lines, locating each node at the line its row starts on', () => {
    const file = write(
      'multi.csv',
      'name,bmc_address,bmc_username,bmc_password,extra.note\nn1,ipmi://h1,u,p,"two\nlines"\nn2,bogus://h2,u,p,x\n',
    );
    expect(problems(file)).toEqual([
      `${file}:4: node "n2": bmc.address: unsupported scheme "bogus"; expected redfish[+http|+https]://host[:port]/redfish/v1/Systems/<id>, redfish-virtualmedia[+http|+https]://…, redfish-uefihttp[+http|+https]://…, or ipmi://host[:port]`,
    ]);
  });

  it('reports duplicate names and MACs with the line of the first use, and unknown keys where they are written', () => {
    const file = write(
      'dups.yaml',
      'nodes:\n  - name: a\n    bmc: {address: "ipmi://h", username: u, password: p}\n    macs: ["52:54:00:00:00:01"]\n  - name: a\n    bmc: {address: "ipmi://h2", username: u, password: p}\n    macs: ["52:54:00:00:00:01"]\n  - name: b\n    bmc: {address: "ipmi://h3", username: u, password: p}\n    rack: r1\n',
    );
    expect(problems(file)).toEqual([
      `${file}:5: node name "a" is already used on line 2`,
      `${file}:5: MAC 52:54:00:00:00:01 is already listed on line 2`,
      `${file}:10: unknown key "rack" (expected name, bmc, macs, extra, labels, properties, driver_info, instance_info, resource_class, automated_clean)`,
    ]);
  });
});

describe('selectors and wait verdicts', () => {
  const node = (fields: Partial<NodeRecord>): NodeRecord => ({
    uuid: 'u',
    name: 'n',
    driver: 'fake-hardware',
    provision_state: 'available',
    target_provision_state: null,
    power_state: 'power off',
    target_power_state: null,
    maintenance: false,
    maintenance_reason: null,
    fault: null,
    last_error: null,
    reservation: null,
    extra: {},
    ...fields,
  });

  it('matches extra fields and the provision state', () => {
    const selector = parseSelector('rack=r12,state=deploy failed');
    expect(matches(selector, node({ provision_state: 'deploy failed', extra: { rack: 'r12' } }))).toBe(true);
    expect(matches(selector, node({ provision_state: 'deploy failed', extra: { rack: 'r13' } }))).toBe(false);
    expect(() => parseSelector('rack')).toThrow(/not key=value/);
  });

  it('waits while a target or the lock remains, and fails on a failure state or a last_error left behind', () => {
    const goal = { kind: 'provision', state: 'manageable' } as const;
    expect(judge(node({ provision_state: 'verifying', target_provision_state: 'manageable' }), goal)).toEqual({
      kind: 'waiting',
    });
    expect(judge(node({ provision_state: 'manageable', reservation: 'c1' }), goal)).toEqual({ kind: 'waiting' });
    expect(judge(node({ provision_state: 'manageable' }), goal)).toEqual({ kind: 'done' });
    expect(judge(node({ provision_state: 'enroll', last_error: 'BMC said 401' }), goal)).toEqual({
      kind: 'failed',
      reason: 'stopped in "enroll" instead of "manageable": BMC said 401',
    });
    expect(
      judge(node({ provision_state: 'clean failed', target_provision_state: 'available', last_error: 'x' }), goal),
    ).toMatchObject({ kind: 'failed' });
    expect(judge(node({ power_state: 'power off' }), { kind: 'power', state: 'power on' })).toMatchObject({
      kind: 'failed',
    });
  });
});
