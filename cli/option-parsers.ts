import { InvalidArgumentError } from 'commander';

/** `--concurrency N`: how many nodes a batch works on at once. */
export function parseConcurrency(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('expected an integer from 1 to 1000.');
  return n;
}

/** `--wait [seconds]`: true (no value) waits as long as it takes, as `baremetal --wait` does. */
export function parseWaitSeconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a number of seconds (0 or none: no limit).');
  return n;
}

/** The wait limit in ms from `--wait [seconds]`: undefined means no wait, null no limit. */
export function waitLimitMs(wait: boolean | number | undefined): number | null | undefined {
  if (wait === undefined || wait === false) return undefined;
  if (wait === true || wait === 0) return null;
  return wait * 1000;
}

/** Repeatable `--extra key=value`: values that read as JSON (numbers, booleans, objects) are kept typed. */
export function collectKeyValue(text: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`"${text}" is not key=value.`);
  return { ...previous, [text.slice(0, eq)]: jsonOrString(text.slice(eq + 1)) };
}

/** Repeatable plain values (`--mac A --mac B`). */
export function collectList(text: string, previous: string[] = []): string[] {
  return [...previous, text];
}

function jsonOrString(value: string): unknown {
  if (!/^(true|false|null|-?\d+(\.\d+)?|\{.*\}|\[.*\])$/s.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** A TCP or UDP port to listen on: 1 to 65535 (the demo's children must know each other's ports, so not 0). */
export function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a port from 1 to 65535.');
  return n;
}

/** `--hosts N`: a count of at least one. */
export function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new InvalidArgumentError('expected an integer from 1 to 100000.');
  return n;
}
