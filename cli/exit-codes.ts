/** Exit codes scripts can rely on (README, "The anvil CLI"). */
export const EXIT = {
  ok: 0,
  failure: 1,
  /** The command line or an input file was wrong; nothing was changed. */
  usage: 2,
  /** A batch where some items failed and others succeeded. */
  partial: 3,
  /** Ctrl-C while waiting; the operations go on server-side. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
