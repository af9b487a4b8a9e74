import type { OperationArgs } from './model.js';

/** The arguments an operator or action takes, as Ironic reads them from its Python signature. */
export interface Signature {
  required: readonly string[];
  /** Optional arguments with the value each takes when not given. */
  optional: Readonly<Record<string, unknown>>;
  /** The arguments formatted against the inspection data outside a loop (inside one, all are). */
  formatted: readonly string[];
}

/** Arguments by name; positional ones (Ironic's deprecated list form) named in signature order. */
export function namedArgs(signature: Signature, args: OperationArgs): Record<string, unknown> {
  if (!Array.isArray(args)) return { ...args };
  const names = [...signature.required, ...Object.keys(signature.optional)];
  const named: Record<string, unknown> = {};
  args.slice(0, names.length).forEach((value, i) => (named[names[i]!] = value));
  return named;
}

/** Ironic's check of the arguments given against the signature: what is missing, what is not known. */
export function argumentsProblem(signature: Signature, args: OperationArgs): string | null {
  const named = namedArgs(signature, args);
  const known = [...signature.required, ...Object.keys(signature.optional)];
  const missing = signature.required.filter((name) => !Object.hasOwn(named, name));
  const unexpected = Object.keys(named).filter((name) => !known.includes(name));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing required argument(s): ${missing.join(', ')}`);
  if (unexpected.length > 0) problems.push(`unexpected argument(s): ${unexpected.join(', ')}`);
  return problems.length === 0 ? null : problems.join('; ');
}

/** Whether a string somewhere in `value` could be formatted, so its value is known only at inspection. */
export function hasReplacementField(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{');
  if (Array.isArray(value)) return value.some(hasReplacementField);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).some(([k, v]) => k.includes('{') || hasReplacementField(v));
  return false;
}

/**
 * What create-time checks may rely on: an argument as written, unless it is
 * formatted (always inside a loop) and holds a replacement field.
 */
export function literalArgs(
  signature: Signature,
  args: OperationArgs,
  inLoop: boolean,
): (name: string) => { known: boolean; value: unknown } {
  const named = namedArgs(signature, args);
  return (name) => {
    const value = Object.hasOwn(named, name) ? named[name] : signature.optional[name];
    const formatted = inLoop || signature.formatted.includes(name);
    return { known: !(formatted && hasReplacementField(value)), value };
  };
}

export type LiteralArg = ReturnType<ReturnType<typeof literalArgs>>;
