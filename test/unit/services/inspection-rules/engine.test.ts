import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleState } from '../../../../services/inspection-rules/actions.js';
import { applyRules } from '../../../../services/inspection-rules/engine.js';
import type { InspectionRule, RuleAction, RuleCondition } from '../../../../services/inspection-rules/index.js';
import { createLogger } from '../../../../services/logger.js';
import type { Port } from '../../../../services/ports/index.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const INVENTORY = {
  cpu: { count: 4, architecture: 'x86_64' },
  memory: { physical_mb: 8192 },
  system_vendor: { manufacturer: 'Dell Inc.', product_name: 'PowerEdge R640' },
  interfaces: [
    { name: 'eth0', mac_address: '52:54:00:00:00:01', ipv4_address: '10.1.2.3' },
    { name: 'eth1', mac_address: '52:54:00:00:00:02', ipv4_address: null },
  ],
  bmc_address: '192.168.1.100',
  bmc_password: 'bmc-secret',
  empty: '',
};

const HIT: RuleAction = { op: 'add-trait', args: { name: 'CUSTOM_HIT' } };

let nextId = 1;
function rule(fields: Partial<InspectionRule> & Pick<InspectionRule, 'actions'>): InspectionRule {
  const id = nextId++;
  return {
    id,
    uuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    description: null,
    priority: 0,
    phase: 'main',
    sensitive: false,
    conditions: [],
    created_at: new Date().toISOString(),
    updated_at: null,
    ...fields,
  };
}

function port(fields: Partial<Port>): Port {
  return {
    id: nextId++,
    uuid: crypto.randomUUID(),
    address: '52:54:00:00:00:01',
    node_id: 1,
    node_uuid: 'n',
    name: null,
    extra: {},
    internal_info: {},
    local_link_connection: {},
    pxe_enabled: true,
    physical_network: null,
    is_smartnic: false,
    description: null,
    vendor: null,
    category: null,
    portgroup_id: null,
    portgroup_uuid: null,
    created_at: new Date().toISOString(),
    updated_at: null,
    ...fields,
  };
}

/** A working state, with every log line it writes. */
function stateFor(fields: Parameters<typeof nodeFixture>[0] = {}, ports: Port[] = []) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const state: RuleState = {
    node: { ...nodeFixture(fields), id: 1 },
    ports,
    pluginData: { macs: ['52:54:00:00:00:01'] },
    log: createLogger('debug', sink),
  };
  return { state, lines };
}

async function holds(condition: RuleCondition, inventory: Record<string, unknown> = INVENTORY): Promise<boolean> {
  const { state } = stateFor({ driver: 'redfish', properties: { cpus: 4 } });
  const failure = await applyRules([rule({ conditions: [condition], actions: [HIT] })], state, inventory);
  expect(failure, JSON.stringify(condition)).toBeNull();
  return state.node.traits.includes('CUSTOM_HIT');
}

describe("the inspection rule engine's conditions", () => {
  it("checks each of Ironic's operators, and its inverse with !", async () => {
    const cases: [RuleCondition, boolean][] = [
      [{ op: 'eq', args: { values: ['{node.driver}', 'redfish'] } }, true],
      [{ op: 'eq', args: { values: ['{inventory[cpu][count]}', 4] } }, false],
      [{ op: 'eq', args: { values: ['{inventory[cpu][count]}', 4], force_strings: true } }, true],
      [{ op: 'eq', args: { values: [1] } }, true],
      [{ op: 'gt', args: { values: ['{inventory[memory][physical_mb]}', 4096] } }, true],
      [{ op: 'gt', args: { values: ['{inventory[memory][physical_mb]}', 16384] } }, false],
      [{ op: 'lt', args: { values: [1, 2, 3] } }, true],
      [{ op: 'lt', args: { values: [1, 3, 2] } }, false],
      [{ op: 'is-empty', args: { value: '{inventory[empty]}' } }, true],
      [{ op: 'is-empty', args: { value: '{inventory[does][not][exist]}' } }, true],
      [{ op: 'is-empty', args: { value: '{inventory[bmc_address]}' } }, false],
      [{ op: 'in-net', args: { address: '{inventory[bmc_address]}', subnet: '192.168.1.0/24' } }, true],
      [{ op: 'in-net', args: { address: '{inventory[bmc_address]}', subnet: '192.168.2.0/24' } }, false],
      [{ op: 'in-net', args: { address: '2001:db8::5', subnet: '2001:db8::/64' } }, true],
      [{ op: 'in-net', args: { address: '{inventory[bmc_address]}', subnet: '2001:db8::/64' } }, false],
      [{ op: 'matches', args: { value: '{inventory[system_vendor][product_name]}', regex: 'PowerEdge R\\d+' } }, true],
      [{ op: 'matches', args: { value: '{inventory[system_vendor][product_name]}', regex: 'PowerEdge' } }, false],
      [{ op: 'contains', args: { value: '{inventory[system_vendor][manufacturer]}', regex: '(?i)dell' } }, true],
      [{ op: 'contains', args: { value: '{inventory[system_vendor][manufacturer]}', regex: 'HPE' } }, false],
      [{ op: 'one-of', args: { value: '{inventory[cpu][architecture]}', values: ['aarch64', 'x86_64'] } }, true],
      [{ op: 'one-of', args: { value: '{inventory[cpu][architecture]}' } }, false],
      [{ op: 'is-none', args: { value: null } }, true],
      [{ op: 'is-none', args: { value: '{inventory[interfaces][1][ipv4_address]}' } }, false],
      [{ op: 'is-true', args: { value: 'Yes' } }, true],
      [{ op: 'is-true', args: { value: 0 } }, false],
      [{ op: 'is-false', args: { value: 'false' } }, true],
      [{ op: 'is-false', args: { value: null } }, true],
      [{ op: 'is-false', args: { value: 'maybe' } }, false],
      // The deprecated list form names arguments by position.
      [{ op: 'contains', args: ['{inventory[system_vendor][manufacturer]}', 'Dell'] }, true],
    ];
    for (const [condition, expected] of cases) {
      expect(await holds(condition), JSON.stringify(condition)).toBe(expected);
      expect(await holds({ ...condition, op: `!${condition.op}` }), `!${JSON.stringify(condition)}`).toBe(!expected);
    }
  });

  it('runs a looped condition per item and combines the results by multiple', async () => {
    const models = ['HPE ProLiant', 'PowerEdge R640', 'Cisco UCS'];
    const each = (multiple: RuleCondition['multiple'], loop: unknown[] | Record<string, unknown> = models) =>
      holds({ op: 'eq', args: { values: ['{inventory[system_vendor][product_name]}', '{item}'] }, loop, multiple });
    expect(await each('any')).toBe(true);
    expect(await each('all')).toBe(false);
    expect(await each('all', ['PowerEdge R640', 'PowerEdge R640'])).toBe(true);
    expect(await each('last')).toBe(false);
    expect(await each('last', ['x', 'PowerEdge R640'])).toBe(true);
    // Ironic's `first`: true as soon as an item holds, otherwise the first item's result.
    expect(await each('first')).toBe(true);
    expect(await each('first', ['x', 'y'])).toBe(false);
    // Loop values are compared as strings, as interpolation leaves them.
    expect(await holds({ op: 'eq', args: { values: ['{inventory[cpu][count]}', '{item}'] }, loop: [4] })).toBe(true);
    // A dict is one item.
    expect(
      await holds({
        op: 'eq',
        args: { values: ['{inventory[bmc_address]}', '{item[address]}'] },
        loop: { address: '192.168.1.100' },
      }),
    ).toBe(true);
  });

  it('fails the inspection, in Ironic’s words, on a condition that cannot be checked', async () => {
    const failing: [RuleCondition, string][] = [
      [
        { op: 'gt', args: { values: ['{inventory[system_vendor][manufacturer]}', 4] } },
        "'>' not supported between instances of 'str' and 'int'",
      ],
      [
        { op: 'eq', args: { values: 'x' } },
        "Inspection rule condition check failed. Reason: Failed to check condition: 'eq' on values: 'x': Expected list for 'values', got: str",
      ],
      [
        { op: 'in-net', args: { address: '{inventory[empty]}', subnet: '10.0.0.0/8' } },
        "failed to detect a valid IP address from ''",
      ],
      [
        { op: 'contains', args: { value: 'x', regex: '{item}(' }, loop: ['a'] },
        'Inspection rule execution failed. Reason: invalid regular expression: Unterminated group',
      ],
    ];
    for (const [condition, message] of failing) {
      const { state } = stateFor();
      const r = rule({ conditions: [condition], actions: [HIT] });
      const failure = await applyRules([r], state, INVENTORY);
      expect(failure, JSON.stringify(condition)).toContain(message);
      if (!message.startsWith('Inspection rule'))
        expect(failure).toBe(`Failed to apply rule ${r.uuid} to node ${state.node.uuid}: ${message}`);
    }
  });
});

describe("the inspection rule engine's actions", () => {
  it('sets, extends and deletes node attributes by slash or dot path, and reads them back in later fields', async () => {
    const { state } = stateFor({ properties: { cpus: 4 }, extra: { old: 1, keep: { a: 1, b: 2 } } });
    const failure = await applyRules(
      [
        rule({
          actions: [
            { op: 'set-attribute', args: { path: '/properties/memory_mb', value: '{inventory[memory][physical_mb]}' } },
            { op: 'set-attribute', args: { path: 'driver_info.deep.address', value: '{inventory[bmc_address]}' } },
            { op: 'set-attribute', args: { path: 'resource_class', value: 'baremetal-{node.properties[cpus]}' } },
            { op: 'extend-attribute', args: { path: '/extra/tags', value: 'a' } },
            { op: 'extend-attribute', args: { path: '/extra/tags', value: 'a', unique: true } },
            { op: 'extend-attribute', args: { path: '/extra/tags', value: 'b' } },
            { op: 'del-attribute', args: { path: '/extra/old' } },
            { op: 'del-attribute', args: { path: '/extra/keep/a' } },
            { op: 'del-attribute', args: { path: '/extra/missing/x' } },
            { op: 'del-attribute', args: { path: 'description' } },
          ],
        }),
      ],
      state,
      INVENTORY,
    );
    expect(failure).toBeNull();
    expect(state.node.properties).toEqual({ cpus: 4, memory_mb: '8192' });
    expect(state.node.driver_info).toEqual({ deep: { address: '192.168.1.100' } });
    expect(state.node.resource_class).toBe('baremetal-4');
    expect(state.node.extra).toEqual({ tags: ['a', 'b'], keep: { b: 2 } });
    expect(state.node.description).toBeNull();
  });

  it('sets and unsets capabilities, adds and removes traits', async () => {
    const { state, lines } = stateFor({ properties: { capabilities: 'boot_mode:uefi' }, traits: ['CUSTOM_OLD'] });
    const failure = await applyRules(
      [
        rule({
          actions: [
            { op: 'set-capability', args: { name: 'cpu_arch', value: '{inventory[cpu][architecture]}' } },
            { op: 'set-capability', args: { name: 'memory', value: 'high' } },
            { op: 'unset-capability', args: { name: 'boot_mode' } },
            { op: 'add-trait', args: { name: 'CUSTOM_BIG' } },
            { op: 'add-trait', args: { name: 'CUSTOM_BIG' } },
            { op: 'remove-trait', args: { name: 'CUSTOM_OLD' } },
            { op: 'remove-trait', args: { name: 'CUSTOM_NEVER' } },
          ],
        }),
      ],
      state,
      INVENTORY,
    );
    expect(failure).toBeNull();
    expect(state.node.properties.capabilities).toBe('cpu_arch:x86_64,memory:high');
    expect(state.node.traits).toEqual(['CUSTOM_BIG']);
    expect(lines.some((l) => String(l.msg).includes("doesn't have a trait CUSTOM_NEVER"))).toBe(true);
  });

  it('sets, extends and unsets plugin data, and later fields see what earlier actions wrote', async () => {
    const { state } = stateFor();
    state.pluginData = { macs: ['m1'], one: { only: 1 }, two: { a: 1, b: 2 } };
    const failure = await applyRules(
      [
        rule({
          actions: [
            { op: 'set-plugin-data', args: { path: 'vendor.name', value: '{inventory[system_vendor][manufacturer]}' } },
            { op: 'set-plugin-data', args: { path: 'copied', value: '{plugin_data[vendor][name]}' } },
            { op: 'extend-plugin-data', args: { path: 'macs', value: 'm1', unique: true } },
            { op: 'extend-plugin-data', args: { path: 'macs', value: 'm2' } },
            { op: 'extend-plugin-data', args: { path: 'new.list', value: 1 } },
            { op: 'unset-plugin-data', args: { path: 'one.only' } },
            { op: 'unset-plugin-data', args: { path: 'two.a' } },
          ],
        }),
      ],
      state,
      INVENTORY,
    );
    expect(failure).toBeNull();
    expect(state.pluginData).toEqual({
      macs: ['m1', 'm2'],
      two: { b: 2 },
      vendor: { name: 'Dell Inc.' },
      copied: 'Dell Inc.',
      new: { list: [1] },
    });
  });

  it("changes the node's ports, found by uuid or MAC, and refuses a grouped port's wiring", async () => {
    const first = port({ address: '52:54:00:00:00:01' });
    const grouped = port({ address: '52:54:00:00:00:02', portgroup_id: 7 });
    const { state } = stateFor({}, [first, grouped]);
    const failure = await applyRules(
      [
        rule({
          actions: [
            {
              op: 'set-port-attribute',
              args: { port_id: '{item[mac_address]}', path: 'extra/nic', value: '{item[name]}' },
              loop: INVENTORY.interfaces,
            },
            { op: 'set-port-attribute', args: { port_id: first.uuid, path: 'physical_network', value: 'physnet1' } },
            { op: 'extend-port-attribute', args: { port_id: first.uuid, path: 'extra/vlans', value: 10 } },
            { op: 'del-port-attribute', args: { port_id: first.uuid, path: 'pxe_enabled' } },
            { op: 'set-port-attribute', args: { port_id: grouped.uuid, path: 'physical_network', value: 'x' } },
          ],
        }),
      ],
      state,
      INVENTORY,
    );
    expect(failure).toBe(
      `Inspection rule action execution failed. Reason: Failed to set attribute physical_network for port ${grouped.uuid}: ` +
        'the port is in a port group, which its physical_network follows',
    );
    expect(state.ports[0]).toMatchObject({
      extra: { nic: 'eth0', vlans: [10] },
      physical_network: 'physnet1',
      pxe_enabled: true,
    });
    expect(state.ports[1]).toMatchObject({ extra: { nic: 'eth1' }, physical_network: null });
    const missing = stateFor();
    expect(
      await applyRules(
        [rule({ actions: [{ op: 'set-port-attribute', args: { port_id: 'nope', path: 'extra/x', value: 1 } }] })],
        missing.state,
        INVENTORY,
      ),
    ).toBe('Port nope could not be found.');
  });

  it('logs a formatted message at the level asked for', async () => {
    const { state, lines } = stateFor();
    const logging = rule({
      actions: [{ op: 'log', args: { msg: 'vendor {inventory[system_vendor][manufacturer]}', level: 'warning' } }],
    });
    expect(await applyRules([logging], state, INVENTORY)).toBeNull();
    const line = lines.find((l) => l.msg === 'vendor Dell Inc.');
    expect(line).toMatchObject({ level: 40, inspection_rule: logging.uuid });
  });

  it('never lets a rule read a secret: masked inventory and plugin data keys, and the node’s sensitive fields', async () => {
    const { state } = stateFor({ driver_info: { redfish_password: 'bmc-pass', redfish_username: 'admin' } });
    state.pluginData = { password: 'plugin-secret' };
    await applyRules(
      [
        rule({
          actions: [
            {
              op: 'set-attribute',
              args: {
                path: 'extra/seen',
                value:
                  '{inventory[bmc_password]} {plugin_data[password]} {node.driver_info[redfish_password]} {node.driver_info[redfish_username]}',
              },
            },
          ],
        }),
      ],
      state,
      INVENTORY,
    );
    expect(state.node.extra.seen).toBe('*** *** ****** admin');
    expect(state.pluginData.password).toBe('plugin-secret');
  });

  it('keeps a sensitive rule’s arguments out of the log, even a field that could not be formatted', async () => {
    const { state, lines } = stateFor();
    const value = 'secret-{inventory[nope]}';
    const action: RuleAction = { op: 'set-attribute', args: { path: 'extra/x', value } };
    await applyRules([rule({ actions: [action] }), rule({ sensitive: true, actions: [action] })], state, INVENTORY);
    const warnings = lines.filter((l) => String(l.msg).startsWith('Interpolation failed'));
    expect(warnings.map((l) => l.msg)).toEqual([
      `Interpolation failed: ${value}: KeyError, 'nope'`,
      "Interpolation failed: ***: KeyError, 'nope'",
    ]);
  });

  it('applies rules highest priority first, equal ones in creation order, and stops at a failure keeping what was done', async () => {
    const { state } = stateFor();
    const order = (tag: string): RuleAction => ({ op: 'extend-attribute', args: { path: 'extra/order', value: tag } });
    const failure = await applyRules(
      [
        rule({ priority: 10, actions: [order('low')] }),
        rule({ priority: 90, actions: [order('high')] }),
        rule({ priority: 50, actions: [order('mid-1')] }),
        rule({ priority: 50, actions: [order('mid-2'), { op: 'fail', args: { msg: 'too {small}' } }, order('never')] }),
      ],
      state,
      INVENTORY,
    );
    // fail's message is not formatted, as in Ironic.
    expect(failure).toBe('Failed to inspect hardware. Reason: too {small}');
    expect(state.node.extra.order).toEqual(['high', 'mid-1', 'mid-2']);
  });

  it('fails an action it cannot carry out, naming why', async () => {
    const cases: [RuleAction, string, Parameters<typeof nodeFixture>[0]][] = [
      [
        { op: 'set-attribute', args: { path: 'extra/name/first', value: 1 } },
        "Inspection rule action execution failed. Reason: Failed to set attribute extra/name/first with value 1: 'str' object has no attribute 'setdefault'",
        { extra: { name: 'x' } },
      ],
      [
        { op: 'set-attribute', args: { path: 'driver_info/redfish_password/x', value: 'hunter2' } },
        "Inspection rule action execution failed. Reason: Failed to set attribute driver_info/redfish_password/x with value ******: 'str' object has no attribute 'setdefault'",
        { driver_info: { redfish_password: 'old' } },
      ],
      [
        { op: 'extend-attribute', args: { path: 'extra/name', value: 1 } },
        'Inspection rule action execution failed. Reason: Failed to extend attribute extra/name: Cannot extend non-list attribute extra/name with value 1',
        { extra: { name: 'x' } },
      ],
      [
        { op: 'add-trait', args: { name: '{item}' }, loop: ['lower'] },
        "Inspection rule action execution failed. Reason: Failed to add new trait lower: Invalid trait 'lower': " +
          'a trait is an upper-case standard trait name or starts with CUSTOM_ followed by A-Z, 0-9 and _.',
        {},
      ],
      [
        { op: 'set-attribute', args: { path: '{item}', value: 'x' }, loop: ['driver'] },
        "Inspection rule action execution failed. Reason: Failed to set attribute driver with value x: attribute 'driver' cannot be changed by a rule",
        {},
      ],
    ];
    for (const [action, message, fields] of cases) {
      const { state } = stateFor(fields);
      expect(await applyRules([rule({ actions: [action] })], state, INVENTORY), JSON.stringify(action)).toBe(message);
    }
  });
});

describe('the api-call action, against a real HTTP server', () => {
  const seen: { url: string; auth: string | undefined }[] = [];
  let failuresLeft = 0;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      if (req.url?.startsWith('/missing')) res.writeHead(404, 'Not Found').end();
      else if (req.url?.startsWith('/flaky') && failuresLeft-- > 0) res.writeHead(503, 'Service Unavailable').end();
      else res.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function call(args: Record<string, unknown>): Promise<string | null> {
    const { state } = stateFor();
    return applyRules([rule({ actions: [{ op: 'api-call', args }] })], state, INVENTORY);
  }

  it('GETs the formatted URL with the headers given', async () => {
    seen.length = 0;
    expect(
      await call({ url: `${base}/hook?bmc={inventory[bmc_address]}`, headers: { Authorization: 'Bearer t' } }),
    ).toBeNull();
    expect(seen).toEqual([{ url: '/hook?bmc=192.168.1.100', auth: 'Bearer t' }]);
  });

  it('retries a 503 and succeeds when the server recovers; gives up after the retries', async () => {
    seen.length = 0;
    failuresLeft = 2;
    expect(await call({ url: `${base}/flaky`, retries: 3, backoff_factor: 0.01 })).toBeNull();
    expect(seen).toHaveLength(3);
    seen.length = 0;
    failuresLeft = 5;
    expect(await call({ url: `${base}/flaky`, retries: 1, backoff_factor: 0.01 })).toBe(
      `Inspection rule action execution failed. Reason: Request to ${base}/flaky failed: 503 Server Error: Service Unavailable for url: ${base}/flaky`,
    );
    expect(seen).toHaveLength(2);
  });

  it('fails on a client error at once, and on a server that does not answer, without showing credentials', async () => {
    seen.length = 0;
    const missing = await call({ url: `http://user:pw@127.0.0.1:${new URL(base).port}/missing` });
    expect(missing).toBe(
      `Inspection rule action execution failed. Reason: Request to ${base}/missing failed: 404 Client Error: Not Found for url: ${base}/missing`,
    );
    expect(seen).toEqual([{ url: '/missing', auth: `Basic ${Buffer.from('user:pw').toString('base64')}` }]);
    const gone = http.createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    const closed = await call({ url: `http://127.0.0.1:${port}/`, retries: 1, backoff_factor: 0.01 });
    expect(closed).toBe(
      `Inspection rule action execution failed. Reason: Request to http://127.0.0.1:${port}/ failed: ECONNREFUSED`,
    );
    expect(await call({ url: `${base}/x`, timeout: '-1' })).toBe(
      'Inspection rule action execution failed. Reason: Invalid parameter: timeout must be greater than zero',
    );
  });
});
