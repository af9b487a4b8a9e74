/**
 * Lines redrawn in place on a terminal, as live tables are: each draw goes
 * back up to the first line drawn last time, clears to the end of the
 * screen and writes anew. Lines are cut to the terminal's width, since a
 * line that wrapped would take two rows and put the way back up off by one.
 */

/**
 * A terminal's stream. Node leaves `rows` and `columns` unset when the
 * terminal does not tell its size, whatever @types/node says.
 */
export type Terminal = NodeJS.WritableStream & { readonly rows?: number; readonly columns?: number };

export class RedrawnLines {
  private drawnLines = 0;

  constructor(private readonly stream: Terminal) {}

  /** How many lines fit below `others` lines of the same draw (at least one). */
  room(others: number): number {
    return Math.max(1, (this.stream.rows ?? 50) - others);
  }

  /** `line`, cut with an ellipsis when wider than the terminal. */
  fit(line: string): string {
    const width = Math.max(40, this.stream.columns ?? 100);
    return line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
  }

  draw(lines: readonly string[]): void {
    const rewind = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\r\x1b[J` : '';
    this.stream.write(`${rewind}${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  /** Leaves what was drawn on the screen: the next draw starts below it. */
  leave(): void {
    this.drawnLines = 0;
  }
}
