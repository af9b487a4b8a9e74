import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DemoHost } from '../../../../cli/demo/fleet-driver.js';
import { createPhaseView, phaseOf } from '../../../../cli/demo/phase-view.js';
import type { NodeRecord } from '../../../../cli/node-record.js';

function host(name: string, node: Partial<NodeRecord> | null, outcome: DemoHost['outcome'] = null): DemoHost {
  return {
    name,
    uuid: `uuid-${name}`,
    bmc: 'redfish',
    address: '192.0.2.10',
    node:
      node === null
        ? null
        : ({
            provision_state: 'enroll',
            target_provision_state: null,
            power_state: 'power off',
            ...node,
          } as NodeRecord),
    outcome,
    asked: new Set(),
    busyAnswers: 0,
  };
}

/** A stream that says it is, or is not, a terminal, and keeps what was written. */
function stream(isTTY: boolean): { out: NodeJS.WriteStream; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  Object.assign(out, { isTTY, columns: 120, rows: 10 });
  return { out: out as unknown as NodeJS.WriteStream, text: () => text };
}

describe('the demo live view', () => {
  it('names the state, where the node is going, and the step it is on', () => {
    expect(phaseOf(host('a', null))).toBe('enrolled');
    expect(phaseOf(host('a', { provision_state: 'manageable' }))).toBe('manageable');
    expect(
      phaseOf(
        host('a', {
          provision_state: 'clean wait',
          target_provision_state: 'available',
          clean_step: { step: 'erase_devices_metadata', interface: 'deploy' },
        }),
      ),
    ).toBe('clean wait → available (erase_devices_metadata)');
    expect(
      phaseOf(
        host('a', {
          provision_state: 'deploying',
          target_provision_state: 'active',
          deploy_step: { step: 'write_image' },
        }),
      ),
    ).toBe('deploying → active (write_image)');
    expect(
      phaseOf(host('a', { provision_state: 'clean failed' }, { kind: 'failed', reason: 'clean failed: no disk' })),
    ).toBe('failed: clean failed: no disk');
  });

  it('off a terminal, writes a line per host only when its phase changes', () => {
    const { out, text } = stream(false);
    const view = createPhaseView(out);
    const hosts = [host('a', { provision_state: 'manageable' }), host('b', null)];
    view.update(hosts);
    view.update(hosts);
    hosts[1]!.node = { provision_state: 'available', target_provision_state: null } as NodeRecord;
    view.update(hosts);
    expect(text()).toBe('a: manageable\nb: enrolled\nb: available\n');
  });

  it('on a terminal, redraws one table in place, the hosts still working first when it does not fit', () => {
    const { out, text } = stream(true);
    const view = createPhaseView(out);
    // Ten rows: a header of two lines leaves seven for hosts.
    const hosts = Array.from({ length: 9 }, (_, i) =>
      host(`h${i}`, { provision_state: i < 4 ? 'active' : 'cleaning' }, i < 4 ? { kind: 'active' } : null),
    );
    view.update(hosts);
    const first = text();
    expect(first.split('\n')[0]).toMatch(/^4\/9 active, \d+ s$/);
    expect(first).toContain('h4 ');
    expect(first).not.toContain('h3 ');
    view.update(hosts);
    // The second drawing goes back up over the first (9 lines) and clears it.
    expect(text().slice(first.length)).toMatch(/^\x1b\[9A\r\x1b\[J/);
  });
});
