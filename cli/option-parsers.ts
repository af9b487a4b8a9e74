import { InvalidArgumentError } from 'commander';

/** A parser of an integer flag from `min` to `max`. */
function integerFrom(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    return n;
  };
}

/** `--concurrency N`: how many nodes a batch works on at once. */
export const parseConcurrency = integerFrom(1, 1000);

/** `--hosts N`: a count of at least one. */
export const parsePositiveInt = integerFrom(1, 100_000);

/** A TCP or UDP port to listen on: not 0, since the demo's children must know each other's ports. */
export const parsePort = integerFrom(1, 65535);

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
