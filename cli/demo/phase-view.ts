import { RedrawnLines, type Terminal } from '../redrawn-lines.js';
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

class RedrawnTable implements PhaseView {
  private readonly screen: RedrawnLines;
  private readonly started = Date.now();

  constructor(stream: Terminal) {
    this.screen = new RedrawnLines(stream);
  }

  update(hosts: readonly DemoHost[]): void {
    const active = hosts.filter((h) => h.outcome?.kind === 'active').length;
    const failed = hosts.filter((h) => h.outcome?.kind === 'failed').length;
    const seconds = Math.round((Date.now() - this.started) / 1000);
    const lines = [
      `${active}/${hosts.length} active${failed > 0 ? `, ${failed} failed` : ''}, ${seconds} s`,
      `${'HOST'.padEnd(10)} ${'BMC'.padEnd(8)} ${'ADDRESS'.padEnd(14)} ${'POWER'.padEnd(9)} PHASE`,
    ];
    // A fleet taller than the terminal shows the hosts still working first.
    const shown = [...hosts.filter((h) => h.outcome === null), ...hosts.filter((h) => h.outcome !== null)].slice(
      0,
      this.screen.room(lines.length + 1),
    );
    for (const host of shown) {
      lines.push(
        this.screen.fit(
          `${host.name.padEnd(10)} ${host.bmc.padEnd(8)} ${(host.address ?? '').padEnd(14)} ${(host.node?.power_state ?? '').padEnd(9)} ${phaseOf(host)}`,
        ),
      );
    }
    this.screen.draw(lines);
  }

  close(): void {
    this.screen.leave();
  }
}
