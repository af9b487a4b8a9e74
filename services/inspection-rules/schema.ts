import { ACTIONS } from './actions.js';
import { LOOP_MULTIPLE } from './model.js';
import { OPERATORS } from './operators.js';
import { isRecord, pythonRepr } from './python-values.js';

type JsonType = 'object' | 'array' | 'string' | 'null' | 'boolean' | 'integer';

function isType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'object':
      return isRecord(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
  }
}

/** A failed check, worded as Python's jsonschema words it. */
class SchemaProblem extends Error {}

function type(value: unknown, ...types: JsonType[]): void {
  if (!types.some((t) => isType(value, t))) {
    throw new SchemaProblem(`${pythonRepr(value)} is not of type ${types.map((t) => `'${t}'`).join(', ')}`);
  }
}

function oneOf(value: unknown, allowed: readonly string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new SchemaProblem(`${pythonRepr(value)} is not one of ${pythonRepr(allowed)}`);
  }
}

function required(value: Record<string, unknown>, names: readonly string[]): void {
  const missing = names.find((n) => !Object.hasOwn(value, n));
  if (missing !== undefined) throw new SchemaProblem(`${pythonRepr(missing)} is a required property`);
}

function maxLength(value: unknown, max: number): void {
  if (typeof value === 'string' && [...value].length > max) throw new SchemaProblem(`${pythonRepr(value)} is too long`);
}

const ACTION_OPS = Object.keys(ACTIONS);
const CONDITION_OPS = [...Object.keys(OPERATORS), ...Object.keys(OPERATORS).map((op) => `!${op}`)];
const RULE_FIELDS = ['actions', 'conditions', 'description', 'phase', 'priority', 'sensitive', 'uuid'];

function operation(item: unknown, ops: readonly string[], extra: (item: Record<string, unknown>) => void): void {
  type(item, 'object');
  const op = item as Record<string, unknown>;
  required(op, ['op', 'args']);
  oneOf(op.op, ops);
  type(op.args, 'array', 'object');
  extra(op);
}

/**
 * Ironic's create_request_body schema for a rule, checked in the order its
 * validator reports (the first problem met): the attributes, then what is
 * missing, then what is unknown. Answers the problem in jsonschema's words, or null.
 */
export function ruleSchemaProblem(body: unknown): string | null {
  try {
    type(body, 'object');
    const rule = body as Record<string, unknown>;
    if (Object.hasOwn(rule, 'actions')) {
      type(rule.actions, 'array');
      const actions = rule.actions as unknown[];
      if (actions.length === 0) throw new SchemaProblem('[] should be non-empty');
      for (const action of actions) {
        operation(action, ACTION_OPS, (a) => {
          if (Object.hasOwn(a, 'loop')) type(a.loop, 'array', 'object');
        });
      }
    }
    if (Object.hasOwn(rule, 'conditions')) {
      type(rule.conditions, 'array');
      for (const condition of rule.conditions as unknown[]) {
        operation(condition, CONDITION_OPS, (c) => {
          if (Object.hasOwn(c, 'multiple')) oneOf(c.multiple, LOOP_MULTIPLE);
          if (Object.hasOwn(c, 'loop')) type(c.loop, 'array', 'object');
        });
      }
    }
    if (Object.hasOwn(rule, 'description')) {
      type(rule.description, 'string', 'null');
      maxLength(rule.description, 255);
    }
    if (Object.hasOwn(rule, 'phase')) {
      type(rule.phase, 'string', 'null');
      maxLength(rule.phase, 16);
    }
    if (Object.hasOwn(rule, 'priority')) {
      type(rule.priority, 'integer');
      if ((rule.priority as number) < 0)
        throw new SchemaProblem(`${pythonRepr(rule.priority)} is less than the minimum of 0`);
    }
    if (Object.hasOwn(rule, 'sensitive')) type(rule.sensitive, 'boolean', 'null');
    if (Object.hasOwn(rule, 'uuid')) type(rule.uuid, 'string', 'null');
    required(rule, ['actions']);
    const unknown = Object.keys(rule).filter((k) => !RULE_FIELDS.includes(k));
    if (unknown.length > 0) {
      const names = unknown.map(pythonRepr).join(', ');
      throw new SchemaProblem(
        `Additional properties are not allowed (${names} ${unknown.length === 1 ? 'was' : 'were'} unexpected)`,
      );
    }
    return null;
  } catch (err) {
    if (err instanceof SchemaProblem) return err.message;
    throw err;
  }
}
