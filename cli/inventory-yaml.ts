import type { Node as YamlNode } from 'yaml';
import type { RawInventory, RawNode } from './inventory-source.js';
import { yamlModule } from './yaml-module.js';

const TOP_KEYS = new Set(['nodes', 'hosts', 'defaults']);

/**
 * An inventory in YAML, or JSON (which YAML reads too, so an `anvil-sim`
 * manifest is located the same way): `nodes:` (or the manifest's `hosts:`),
 * optional `defaults:`. Line numbers come from the document's source ranges.
 */
export function readYamlInventory(text: string): RawInventory {
  const { isMap, isSeq, LineCounter, parseDocument } = yamlModule();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lines.linePos(offset).line;
  if (doc.errors.length > 0) {
    return {
      nodes: [],
      defaults: null,
      problems: doc.errors.map((e) => `line ${lineAt(e.pos[0])}: ${firstLine(e.message)}`),
    };
  }
  const root = doc.contents;
  if (!isMap(root))
    return { nodes: [], defaults: null, problems: ['line 1: expected a mapping with a "nodes" (or "hosts") list'] };
  const problems: string[] = [];
  for (const pair of root.items) {
    // A scalar key prints as its value; a collection key (`? [a, b]`) as YAML.
    const key = String(pair.key);
    if (!TOP_KEYS.has(key))
      problems.push(`line ${lineAt(rangeOf(pair.key))}: unknown key "${key}" (expected nodes, hosts, defaults)`);
  }
  const list = root.get('nodes', true) ?? root.get('hosts', true);
  if (list === undefined) {
    problems.push('line 1: no "nodes" (or "hosts") list');
    return { nodes: [], defaults: null, problems };
  }
  if (!isSeq(list)) {
    problems.push(`line ${lineAt(rangeOf(list))}: "nodes" must be a list`);
    return { nodes: [], defaults: null, problems };
  }
  const located = (node: YamlNode): RawNode => ({
    fields: (node as { toJSON(): unknown }).toJSON(),
    lineOf(path) {
      let at: unknown = node;
      let last: YamlNode = node;
      for (const key of path) {
        if (!isMap(at) && !isSeq(at)) break;
        at = (at as { get(k: unknown, keep: true): unknown }).get(key, true);
        if (at === undefined || at === null) break;
        last = at as YamlNode;
      }
      return lineAt(rangeOf(last));
    },
  });
  const defaultsNode = root.get('defaults', true) as YamlNode | undefined;
  return {
    nodes: list.items.map((item) => located(item as YamlNode)),
    defaults: defaultsNode === undefined ? null : located(defaultsNode),
    problems,
  };
}

function rangeOf(node: YamlNode | null | undefined): number {
  return node?.range?.[0] ?? 0;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
