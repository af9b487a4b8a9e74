/**
 * One node of an inventory file before validation: its fields in the
 * YAML/manifest shape, and where in the file each field was written.
 */
export interface RawNode {
  fields: unknown;
  /** The line of a field (path of keys/indexes from the node), or of the node itself for []. */
  lineOf(path: readonly (string | number)[]): number;
}

/** What a format parser hands the validator: nodes, defaults, and problems found while reading. */
export interface RawInventory {
  nodes: RawNode[];
  defaults: RawNode | null;
  /** "line N: message", already located. */
  problems: string[];
}
