import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../../cli/node-record.js';
import { createProgress } from '../../../cli/progress.js';
import { RedrawnLines } from '../../../cli/redrawn-lines.js';

/** A terminal of `rows` × `columns` that keeps what was written. */
function terminal(rows: number, columns: number): { out: NodeJS.WriteStream; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  Object.assign(out, { isTTY: true, rows, columns });
  return { out: out as unknown as NodeJS.WriteStream, text: () => text };
}

const node = (state: string): NodeRecord =>
  ({
    provision_state: state,
    target_provision_state: null,
    power_state: 'power on',
    target_power_state: null,
  }) as NodeRecord;

describe('RedrawnLines', () => {
  it('draws, then goes back up over what it drew and clears before drawing again', () => {
    const term = terminal(20, 80);
    const screen = new RedrawnLines(term.out);
    screen.draw(['one', 'two']);
    screen.draw(['three']);
    expect(term.text()).toBe('one\ntwo\n\x1b[2A\r\x1b[Jthree\n');
    screen.leave();
    screen.draw(['four']);
    expect(term.text().endsWith('three\nfour\n')).toBe(true);
  });

  it('cuts a line wider than the terminal, so that none wraps', () => {
    const screen = new RedrawnLines(terminal(20, 50).out);
    expect(screen.fit('x'.repeat(49))).toBe('x'.repeat(49));
    expect(screen.fit('x'.repeat(60))).toBe(`${'x'.repeat(48)}…`);
    expect(screen.room(3)).toBe(17);
    expect(new RedrawnLines(terminal(2, 50).out).room(3)).toBe(1);
  });
});

describe('the live table of a batch', () => {
  it('shows the items not yet done first when the batch is taller than the terminal', () => {
    const term = terminal(4, 100);
    const items = ['a', 'b', 'c', 'd'];
    const progress = createProgress(term.out, items, true);
    progress.read('c', node('deploying'));
    progress.finish('a', 'ok', '');
    progress.finish('b', 'ok', '');
    progress.close();
    const last = term.text().split('\x1b[J').at(-1)!;
    expect(last.split('\n')[0]).toContain('2/4 finished');
    // Two rows of item below the bar: the ones still working, not the finished a and b.
    expect(
      last
        .split('\n')
        .slice(1, -1)
        .map((line) => line.split(' ')[0]),
    ).toEqual(['c', 'd']);
    expect(last).toContain('deploying');
  });
});
