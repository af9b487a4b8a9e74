import type { ItemStatus } from './batch.js';
import type { NodeRecord } from './node-record.js';
import { RedrawnLines, type Terminal } from './redrawn-lines.js';

/** What a batch tells its display as it goes. */
export interface Progress {
  /** A fresh read of the node while waiting. */
  read(item: string, node: NodeRecord): void;
  /** The item has ended. */
  finish(item: string, status: ItemStatus, detail: string): void;
  /** The batch has ended: leave the terminal clean. */
  close(): void;
}

/**
 * A live table (redrawn in place) on a terminal; plain lines, one per
 * change, anywhere else, so logs and CI output stay readable.
 */
export function createProgress(stream: NodeJS.WriteStream, items: readonly string[], live: boolean): Progress {
  return live ? new LiveTable(stream, items) : new PlainLines(stream);
}

interface Row {
  state: string;
  power: string;
  status: string;
}

function stateOf(node: NodeRecord): string {
  return node.target_provision_state === null
    ? node.provision_state
    : `${node.provision_state} → ${node.target_provision_state}`;
}

function powerOf(node: NodeRecord): string {
  const now = node.power_state ?? 'unknown';
  return node.target_power_state === null ? now : `${now} → ${node.target_power_state}`;
}

class PlainLines implements Progress {
  private readonly last = new Map<string, string>();

  constructor(private readonly stream: NodeJS.WritableStream) {}

  read(item: string, node: NodeRecord): void {
    const line = `${stateOf(node)}, ${powerOf(node)}`;
    if (this.last.get(item) === line) return;
    this.last.set(item, line);
    this.stream.write(`${item}: ${line}\n`);
  }

  finish(item: string, status: ItemStatus, detail: string): void {
    this.stream.write(`${item}: ${status}${detail === '' ? '' : ` (${detail})`}\n`);
  }

  close(): void {}
}

/** Redraws at most this often: a terminal cannot show faster, and large batches would flood it. */
const REDRAW_MS = 100;

class LiveTable implements Progress {
  private readonly rows = new Map<string, Row>();
  private readonly screen: RedrawnLines;
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();

  constructor(
    stream: Terminal,
    private readonly items: readonly string[],
  ) {
    this.screen = new RedrawnLines(stream);
    for (const item of items) this.rows.set(item, { state: '…', power: '', status: 'working' });
    this.draw();
  }

  read(item: string, node: NodeRecord): void {
    const row = this.rows.get(item);
    if (row === undefined) return;
    row.state = stateOf(node);
    row.power = powerOf(node);
    this.schedule();
  }

  finish(item: string, status: ItemStatus, detail: string): void {
    const row = this.rows.get(item);
    if (row === undefined) return;
    row.status = status === 'ok' ? 'done' : `${status}${detail === '' ? '' : `: ${detail}`}`;
    this.schedule();
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.draw();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.draw();
    }, REDRAW_MS);
  }

  /** A batch taller than the terminal shows the unfinished and failed items first: the done ones need no eyes. */
  private visibleItems(): string[] {
    const room = this.screen.room(2);
    if (this.items.length <= room) return [...this.items];
    const pending = this.items.filter((i) => this.rows.get(i)!.status !== 'done');
    return [...pending, ...this.items.filter((i) => this.rows.get(i)!.status === 'done')].slice(0, room);
  }

  private draw(): void {
    const nameWidth = Math.min(24, Math.max(4, ...this.items.map((i) => i.length)));
    const done = [...this.rows.values()].filter((r) => r.status !== 'working').length;
    const seconds = Math.round((Date.now() - this.started) / 1000);
    const lines = [`${progressBar(done, this.items.length)} ${done}/${this.items.length} finished, ${seconds} s`];
    for (const item of this.visibleItems()) {
      const row = this.rows.get(item)!;
      const line = `${item.padEnd(nameWidth)}  ${row.state.padEnd(28)}  ${row.power.padEnd(12)}  ${row.status}`;
      lines.push(this.screen.fit(line));
    }
    this.screen.draw(lines);
  }
}

function progressBar(done: number, total: number): string {
  const slots = 20;
  const filled = total === 0 ? slots : Math.round((done / total) * slots);
  return `[${'#'.repeat(filled)}${'-'.repeat(slots - filled)}]`;
}
