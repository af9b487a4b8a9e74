/**
 * Ctrl-C while a command waits: the signal aborts, so the command stops
 * polling and says what goes on server-side, instead of dying mid-line.
 * A second Ctrl-C exits at once.
 */
export function interruptOnSigint(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}
