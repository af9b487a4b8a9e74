import { UsageError } from './errors.js';
import type { NodeRecord } from './node-record.js';

/**
 * `--selector rack=r12,state=available`: `state` (or `provision_state`)
 * matches the provision state; every other key matches the node's `extra`.
 */
export interface Selector {
  provisionState: string | null;
  extra: ReadonlyMap<string, string>;
}

const STATE_KEYS = new Set(['state', 'provision_state']);

export function parseSelector(text: string): Selector {
  let provisionState: string | null = null;
  const extra = new Map<string, string>();
  for (const term of text.split(',')) {
    const eq = term.indexOf('=');
    const key = term.slice(0, eq).trim();
    if (eq <= 0 || key === '')
      throw new UsageError(`selector term "${term}" is not key=value (e.g. --selector rack=r12,state=available)`);
    const value = term.slice(eq + 1).trim();
    if (STATE_KEYS.has(key)) {
      if (provisionState !== null) throw new UsageError(`selector names the state twice`);
      provisionState = value;
    } else {
      if (extra.has(key)) throw new UsageError(`selector names "${key}" twice`);
      extra.set(key, value);
    }
  }
  return { provisionState, extra };
}

export function matches(selector: Selector, node: NodeRecord): boolean {
  if (selector.provisionState !== null && node.provision_state !== selector.provisionState) return false;
  for (const [key, value] of selector.extra) {
    if (scalarText(node.extra[key]) !== value) return false;
  }
  return true;
}

/** An extra field as a selector compares it: a string, number or boolean by its text; anything else never matches. */
function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/** The listing to ask for: the state filter is the server's to apply; extra keys are matched here. */
export function selectorQuery(selector: Selector): string {
  return selector.provisionState === null ? '' : `?provision_state=${encodeURIComponent(selector.provisionState)}`;
}
