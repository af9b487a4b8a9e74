import { describe, expect, it } from 'vitest';
import { FAILURE_STATES, STABLE_STATES, TRANSITIONAL_STATES } from '../../../contract/index.js';
import { isActionable, type Verb } from '../../../services/nodes/index.js';
import { ACTIONS, performBulk, type ActionId } from '../../../ui/src/actions.js';
import type { ApiClient } from '../../../ui/src/api.js';
import type { NodeRow } from '../../../ui/src/fleet.js';

function node(overrides: Partial<NodeRow> = {}): NodeRow {
  return {
    uuid: '00000000-0000-4000-8000-000000000001',
    name: 'n1',
    driver: 'redfish',
    provision_state: 'available',
    target_provision_state: null,
    power_state: 'power off',
    target_power_state: null,
    maintenance: false,
    maintenance_reason: null,
    fault: null,
    last_error: null,
    instance_uuid: null,
    resource_class: null,
    extra: {},
    traits: [],
    conductor: null,
    provision_updated_at: null,
    created_at: '2026-12-03T00:00:00Z',
    updated_at: null,
    ...overrides,
  };
}

const action = (id: ActionId) => ACTIONS.find((a) => a.id === id)!;

/** The dashboard's provision actions and the state machine's verbs they send. */
const VERB_OF: Partial<Record<ActionId, Verb>> = {
  manage: 'manage',
  inspect: 'inspect',
  provide: 'provide',
  deploy: 'deploy',
  undeploy: 'delete',
};

describe("the dashboard's actions", () => {
  it('offers a provision action in exactly the states where the state machine takes its verb', () => {
    const wrong: string[] = [];
    for (const [id, verb] of Object.entries(VERB_OF) as [ActionId, Verb][]) {
      for (const state of [...STABLE_STATES, ...FAILURE_STATES, ...TRANSITIONAL_STATES]) {
        const offered = action(id).allowed(node({ provision_state: state }));
        // `manage` out of cleaning is how a manual clean ends, not an operator's verb.
        const operatorVerb = isActionable(state, verb) && !(verb === 'manage' && state === 'cleaning');
        if (offered !== operatorVerb) wrong.push(`${id} in ${state}: offered ${offered}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('offers power changes only when none is under way, and maintenance as its opposite', () => {
    expect(action('power-on').allowed(node({ power_state: 'power off' }))).toBe(true);
    expect(action('power-on').allowed(node({ power_state: 'power on' }))).toBe(false);
    expect(action('reboot').allowed(node({ power_state: 'power on' }))).toBe(true);
    expect(action('power-off').allowed(node({ power_state: 'power on', target_power_state: 'power off' }))).toBe(false);
    expect(action('maintenance-on').allowed(node({ maintenance: true }))).toBe(false);
    expect(action('maintenance-off').allowed(node({ maintenance: true }))).toBe(true);
  });

  it('asks only the hosts whose state allows it, keeps each refusal with its reason, and never has more than 8 in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const calls: [string, string, unknown][] = [];
    const client = {
      request: async (method: string, path: string, body?: unknown) => {
        inFlight++;
        most = Math.max(most, inFlight);
        calls.push([method, path, body]);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        if (path.includes('-000000000007/')) throw new Error('Node is locked by host c1');
        return null;
      },
    } as unknown as ApiClient;
    const nodes = Array.from({ length: 30 }, (_, i) =>
      node({
        uuid: `00000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`,
        provision_state: i < 25 ? 'manageable' : 'active',
      }),
    );
    const outcome = await performBulk(client, action('provide'), nodes, null, 'ops');
    expect(outcome.done).toBe(24);
    expect(outcome.skipped).toBe(5);
    expect(outcome.failed.map((f) => [f.node.uuid.slice(-2), f.message])).toEqual([
      ['07', 'Node is locked by host c1'],
    ]);
    expect(most).toBe(8);
    expect(
      calls.every(
        ([method, path, body]) =>
          method === 'PUT' && path.endsWith('/states/provision') && (body as { target: string }).target === 'provide',
      ),
    ).toBe(true);
  });

  it('deploys by writing the image to instance_info first: a sha256 as os_hash fields, anything else as image_checksum', async () => {
    const calls: [string, string, unknown][] = [];
    const client = {
      request: async (method: string, path: string, body?: unknown) => {
        calls.push([method, path, body]);
        return null;
      },
    } as unknown as ApiClient;
    const sha = 'a'.repeat(64);
    await performBulk(
      client,
      action('deploy'),
      [node()],
      { url: 'http://images/os.img', checksum: sha.toUpperCase() },
      'ops',
    );
    expect(calls).toEqual([
      [
        'PATCH',
        '/v1/nodes/00000000-0000-4000-8000-000000000001',
        [
          { op: 'add', path: '/instance_info/image_source', value: 'http://images/os.img' },
          { op: 'add', path: '/instance_info/image_os_hash_algo', value: 'sha256' },
          { op: 'add', path: '/instance_info/image_os_hash_value', value: sha },
        ],
      ],
      ['PUT', '/v1/nodes/00000000-0000-4000-8000-000000000001/states/provision', { target: 'active' }],
    ]);
    calls.length = 0;
    await performBulk(
      client,
      action('deploy'),
      [node()],
      { url: 'http://images/os.img', checksum: 'http://images/SHA256SUMS' },
      'ops',
    );
    expect(calls[0]![2]).toContainEqual({
      op: 'add',
      path: '/instance_info/image_checksum',
      value: 'http://images/SHA256SUMS',
    });
  });
});
