import type { DemoHost } from './fleet-driver.js';

/** What a host is doing, in a few words: its state, and the step it is on. */
export function phaseOf(host: DemoHost): string {
  if (host.outcome?.kind === 'failed') return `failed: ${host.outcome.reason}`;
  const node = host.node;
  if (node === null) return 'enrolled';
  const state =
    node.target_provision_state === null || node.target_provision_state === node.provision_state
      ? node.provision_state
      : `${node.provision_state} → ${node.target_provision_state}`;
  const step = stepName(node.clean_step) ?? stepName(node.deploy_step);
  return step === null ? state : `${state} (${step})`;
}

function stepName(step: unknown): string | null {
  if (typeof step !== 'object' || step === null) return null;
  const name = (step as { step?: unknown }).step;
  return typeof name === 'string' ? name : null;
}

/** The live view: a table redrawn in place on a terminal, a line per change anywhere else. */
export interface PhaseView {
  update(hosts: readonly DemoHost[]): void;
  close(): void;
}

export function createPhaseView(stream: NodeJS.WriteStream): PhaseView {
  return stream.isTTY === true ? new RedrawnTable(stream) : new ChangeLines(stream);
}

class ChangeLines implements PhaseView {
  private readonly last = new Map<string, string>();

  constructor(private readonly stream: NodeJS.WritableStream) {}

  update(hosts: readonly DemoHost[]): void {
    for (const host of hosts) {
      const phase = phaseOf(host);
      if (this.last.get(host.name) === phase) continue;
      this.last.set(host.name, phase);
      this.stream.write(`${host.name}: ${phase}\n`);
    }
  }

  close(): void {}
}

/** A terminal's stream; Node leaves rows and columns unset when the terminal does not tell its size. */
type Terminal = NodeJS.WritableStream & { readonly rows?: number; readonly columns?: number };

class RedrawnTable implements PhaseView {
  private drawnLines = 0;
  private readonly started = Date.now();

  constructor(private readonly stream: Terminal) {}

  update(hosts: readonly DemoHost[]): void {
    const width = Math.max(40, this.stream.columns ?? 100);
    const active = hosts.filter((h) => h.outcome?.kind === 'active').length;
    const failed = hosts.filter((h) => h.outcome?.kind === 'failed').length;
    const seconds = Math.round((Date.now() - this.started) / 1000);
    const lines = [
      `${active}/${hosts.length} active${failed > 0 ? `, ${failed} failed` : ''}, ${seconds} s`,
      `${'HOST'.padEnd(10)} ${'BMC'.padEnd(8)} ${'ADDRESS'.padEnd(14)} ${'POWER'.padEnd(9)} PHASE`,
    ];
    // A fleet taller than the terminal shows the hosts still working first.
    const room = Math.max(1, (this.stream.rows ?? 50) - lines.length - 1);
    const shown = [...hosts.filter((h) => h.outcome === null), ...hosts.filter((h) => h.outcome !== null)].slice(
      0,
      room,
    );
    for (const host of shown) {
      const line = `${host.name.padEnd(10)} ${host.bmc.padEnd(8)} ${(host.address ?? '').padEnd(14)} ${(host.node?.power_state ?? '').padEnd(9)} ${phaseOf(host)}`;
      lines.push(line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line);
    }
    // Up to the first line drawn last time, clear to the end of the screen, draw anew.
    const rewind = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\r\x1b[J` : '';
    this.stream.write(`${rewind}${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  close(): void {
    this.drawnLines = 0;
  }
}
