import { beforeAll, expect, it } from 'vitest';
import { describeOnEngines, faultOf, type TestService } from '../../support/service.js';

/** A uuid no node has. */
const NOBODY = '00000000-0000-4000-8000-00000000dead';
const VERSION = '1.95';

interface Resource {
  path: string;
  /** The collection key of its listing. */
  key: string;
  valid: (node: string) => Record<string, unknown>;
  /** Bodies refused with 400, and a word the message must hold. */
  refused: (node: string) => [label: string, body: unknown, names: string][];
  /** A field whose value must be unique, given a second time: 409. */
  duplicate: (node: string, first: Record<string, unknown>) => Record<string, unknown>;
}

const RESOURCES: Resource[] = [
  {
    path: '/v1/chassis',
    key: 'chassis',
    valid: () => ({ description: 'rack 1' }),
    refused: () => [
      ['an unknown field', { description: 'x', colour: 'blue' }, 'colour'],
      ['a wrong type', { description: 5 }, 'description'],
      ['a wrong type for extra', { extra: 'x' }, 'extra'],
      ['an invalid uuid', { uuid: 'not-a-uuid' }, 'uuid'],
    ],
    duplicate: (_node, first) => ({ uuid: first.uuid }),
  },
  {
    path: '/v1/portgroups',
    key: 'portgroups',
    valid: (node) => ({ node_uuid: node, name: 'bond-bad-input' }),
    refused: (node) => [
      ['an unknown field', { node_uuid: node, colour: 'blue' }, 'colour'],
      ['a wrong type', { node_uuid: node, standalone_ports_supported: 'maybe' }, 'standalone_ports_supported'],
      ['a node that does not exist', { node_uuid: NOBODY }, NOBODY],
      ['an invalid name', { node_uuid: node, name: 'white space' }, 'white space'],
      ['an invalid MAC', { node_uuid: node, address: 'zz:zz' }, 'zz:zz'],
    ],
    duplicate: (node) => ({ node_uuid: node, name: 'bond-bad-input' }),
  },
  {
    path: '/v1/deploy_templates',
    key: 'deploy_templates',
    valid: () => ({
      name: 'CUSTOM_BAD_INPUT',
      steps: [{ interface: 'bios', step: 'apply_configuration', args: {}, priority: 10 }],
    }),
    refused: () => [
      ['an unknown field', { name: 'CUSTOM_A', steps: [], colour: 'blue' }, 'colour'],
      ['a wrong type', { name: 'CUSTOM_A', steps: 'all of them' }, 'steps'],
      [
        'an invalid name',
        { name: 'lower-case', steps: [{ interface: 'bios', step: 'x', args: {}, priority: 1 }] },
        'lower-case',
      ],
      ['no steps', { name: 'CUSTOM_A', steps: [] }, 'steps'],
    ],
    duplicate: (_node, first) => ({ name: first.name, steps: first.steps }),
  },
  {
    path: '/v1/volume/connectors',
    key: 'connectors',
    valid: (node) => ({ node_uuid: node, type: 'iqn', connector_id: 'iqn.2026-12.io.anvil:bad-input' }),
    refused: (node) => [
      ['an unknown field', { node_uuid: node, type: 'iqn', connector_id: 'a', colour: 'blue' }, 'colour'],
      ['a wrong type', { node_uuid: node, type: 'iqn', connector_id: 5 }, 'connector_id'],
      ['a node that does not exist', { node_uuid: NOBODY, type: 'iqn', connector_id: 'b' }, NOBODY],
      ['an unknown connector type', { node_uuid: node, type: 'floppy', connector_id: 'c' }, 'floppy'],
    ],
    duplicate: (node) => ({ node_uuid: node, type: 'iqn', connector_id: 'iqn.2026-12.io.anvil:bad-input' }),
  },
  {
    path: '/v1/volume/targets',
    key: 'targets',
    valid: (node) => ({ node_uuid: node, volume_type: 'iscsi', volume_id: 'vol-bad-input', boot_index: 0 }),
    refused: (node) => [
      [
        'an unknown field',
        { node_uuid: node, volume_type: 'iscsi', volume_id: 'v', boot_index: 1, colour: 'blue' },
        'colour',
      ],
      ['a wrong type', { node_uuid: node, volume_type: 'iscsi', volume_id: 'v', boot_index: 'first' }, 'boot_index'],
      [
        'a node that does not exist',
        { node_uuid: NOBODY, volume_type: 'iscsi', volume_id: 'v', boot_index: 1 },
        NOBODY,
      ],
    ],
    duplicate: (node) => ({ node_uuid: node, volume_type: 'iscsi', volume_id: 'vol-other', boot_index: 0 }),
  },
];

describeOnEngines(
  'bad input to the resources beside nodes: a 4xx that names the problem, and nothing written',
  (svc) => {
    let node: string;

    beforeAll(async () => {
      const res = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'bad-input-resources' });
      expect(res.status, res.text).toBe(201);
      node = res.body.uuid as string;
    });

    async function count(s: TestService, r: Resource): Promise<number> {
      const res = await s.request('GET', r.path, undefined, VERSION);
      expect(res.status, res.text).toBe(200);
      return (res.body[r.key] as unknown[]).length;
    }

    for (const r of RESOURCES) {
      it(`${r.path}: refuses malformed JSON, a JSON array, unknown fields, wrong types, missing references and invalid names`, async () => {
        const before = await count(svc(), r);
        const bodies: [string, unknown, string][] = [
          ['malformed JSON', '{"description": "x",', 'not valid JSON'],
          ['a JSON array', '[1,2]', ''],
          ...r.refused(node),
        ];
        for (const [label, body, names] of bodies) {
          const res = await svc().request('POST', r.path, body, VERSION);
          expect(res.status, `${label}: ${res.text}`).toBe(400);
          expect(faultOf(res), label).toContain(names);
        }
        expect(await count(svc(), r)).toBe(before);
      });

      it(`${r.path}: answers 409 to a duplicate and keeps the first`, async () => {
        const created = await svc().request('POST', r.path, r.valid(node), VERSION);
        expect(created.status, created.text).toBe(201);
        const before = await count(svc(), r);
        const again = await svc().request('POST', r.path, r.duplicate(node, created.body), VERSION);
        expect(again.status, again.text).toBe(409);
        expect(faultOf(again)).toMatch(/already exists/);
        expect(await count(svc(), r)).toBe(before);
        const shown = await svc().request('GET', `${r.path}/${created.body.uuid}`, undefined, VERSION);
        expect(shown.status).toBe(200);
      });
    }
  },
);
