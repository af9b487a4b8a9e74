import { pythonFormat } from './python-format.js';
import { isRecord, PythonError } from './python-values.js';

/**
 * Keys whose values a rule reads as `***` in the inventory and plugin data
 * (Ironic's SENSITIVE_FIELDS under its default `mask_secrets = always`).
 */
const MASKED_KEYS = ['password', 'auth_token', 'bmc_password'];

/** What `{...}` fields name: `node`, `inventory`, `plugin_data`, and `item` inside a loop. */
export type InterpolationContext = Readonly<Record<string, unknown>>;

export interface InterpolationOptions {
  /** Inside a loop, strings are formatted twice, so an item may hold fields of its own. */
  inLoop: boolean;
  /** The operator: for `is-empty`, a missing key formats to None. */
  op: string;
  /** Told of a field that could not be formatted; the text is then kept as written. */
  onFailure(text: string, err: PythonError): void;
}

/**
 * Ironic's interpolate_variables: every string in `value` (keys too, at any
 * depth) is formatted against `context`; a field that fails leaves its
 * string as it was, except a missing key under `is-empty`, which is None.
 */
export function interpolate(value: unknown, context: InterpolationContext, options: InterpolationOptions): unknown {
  const format = (v: unknown): unknown => {
    if (typeof v !== 'string') return v;
    try {
      return pythonFormat(v, context);
    } catch (err) {
      if (!(err instanceof PythonError)) throw err;
      if (err.kind === 'KeyError' && options.op === 'is-empty') return null;
      options.onFailure(v, err);
      return v;
    }
  };
  const walk = (v: unknown): unknown => {
    const once = options.inLoop ? format(v) : v;
    if (typeof once === 'string') return format(once);
    // As Ironic: a list's strings are formatted once, even in a loop.
    if (Array.isArray(once)) return once.map((item) => (typeof item === 'string' ? format(item) : walk(item)));
    if (isRecord(once)) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(once)) out[String(format(k))] = walk(item);
      return out;
    }
    return once;
  };
  return walk(value);
}

/** A deep copy of inspection data with the masked keys' values replaced by `***`, as a rule reads it. */
export function maskedForRules(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskedForRules);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = MASKED_KEYS.includes(k) ? '***' : maskedForRules(v);
    return out;
  }
  return value;
}
