import { z } from 'zod';

/**
 * A default is a value as a user would give it: it goes through the schema
 * like one, so it must be both an input the schema takes and of the type it gives.
 */
type Default<S extends z.ZodType> = z.input<S> & z.output<S>;

/** Reads another setting's final value, for a default derived from it. */
export type Lookup = <S extends z.ZodType>(setting: Setting<S>) => z.output<S>;

/** A default the README gives in words, as it depends on something else. */
export class InWords<V> {
  constructor(
    readonly text: string,
    readonly value: (get: Lookup) => V,
  ) {}
}

interface SettingSpec<S extends z.ZodType> {
  /** Its environment variable, which error messages name too. */
  env: `ANVIL_${string}`;
  /** Its dotted path in the YAML file. */
  yaml: string;
  schema: S;
  default: Default<S> | InWords<Default<S>>;
  /** One line for the README. */
  help: string;
}

/** One configuration setting, in the spirit of Ironic's `cfg.IntOpt(name, default=..., help=...)`. */
export class Setting<S extends z.ZodType = z.ZodType> {
  constructor(readonly spec: SettingSpec<S>) {}
}

/** Settings, grouped as the configuration object is. */
export interface SettingsTable {
  readonly [key: string]: Setting | SettingsTable;
}

/**
 * The configuration object a table describes: each setting replaced by the type its schema gives.
 * (Written as a conditional at the top so editors show the resolved nested shape, not `ConfigOf<...>`.)
 */
export type ConfigOf<T> = T extends Setting<infer S> ? z.output<S> : { [K in keyof T]: ConfigOf<T[K]> };

/** Every setting of a table, in the table's order. */
export function listSettings(table: SettingsTable): Setting[] {
  return Object.values(table).flatMap((entry) => (entry instanceof Setting ? [entry] : listSettings(entry)));
}
