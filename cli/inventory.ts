import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LABEL_KEY, LABEL_KEY_RULE } from '../contract/index.js';
import { BadBmcAddress, enrollmentFromBmc } from './bmc-address.js';
import { InvalidInput, UsageError } from './errors.js';
import { readCsvInventory } from './inventory-csv.js';
import type { RawInventory, RawNode } from './inventory-source.js';
import { readYamlInventory } from './inventory-yaml.js';

/** A node of the inventory, checked: what to POST, and its ports' MACs. */
export interface InventoryNode {
  line: number;
  name: string;
  /** The `POST /v1/nodes` body. */
  body: Record<string, unknown>;
  /** Lower-case, colon-separated. */
  macs: string[];
}

/** Which BMC of an `anvil-sim` manifest host (it lists both) becomes the node's. */
export type ManifestBmc = 'redfish' | 'ipmi';

const NODE_KEYS = new Set([
  'name',
  'bmc',
  'macs',
  'extra',
  'labels',
  'properties',
  'driver_info',
  'instance_info',
  'resource_class',
  'automated_clean',
]);
/** An `anvil-sim` manifest host also has these (DESIGN.md §5). */
const MANIFEST_KEYS = new Set(['uuid', 'redfish', 'ipmi']);
const BMC_KEYS = new Set(['address', 'username', 'password']);
const MAPS = ['extra', 'properties', 'driver_info', 'instance_info'] as const;
// Ironic's logical names (RFC 3986 unreserved characters): what the API accepts.
const NODE_NAME = /^[A-Za-z0-9\-._~]{1,255}$/;
const MAC = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

/**
 * Reads and validates a whole inventory (YAML, CSV, or an `anvil-sim` JSON
 * manifest) before anything is sent: every problem is reported, each as
 * `file:line: message`, and none of the file is enrolled if any is found.
 */
export function readInventory(file: string, bmc: ManifestBmc): InventoryNode[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read inventory ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const raw: RawInventory =
    path.extname(file).toLowerCase() === '.csv' ? readCsvInventory(text) : readYamlInventory(text);
  return checkInventory(raw, bmc, (line) => `${file}:${line}`);
}

/** Validates nodes however they were read; `where` names a line for the messages (a file's, or the command line's). */
export function checkInventory(raw: RawInventory, bmc: ManifestBmc, where: (line: number) => string): InventoryNode[] {
  const problems = [...raw.problems];
  const nodes: InventoryNode[] = [];
  const names = new Map<string, number>();
  const macs = new Map<string, number>();
  const defaults = checkDefaults(raw.defaults, problems);
  for (const rawNode of raw.nodes) {
    const node = checkNode(rawNode, defaults, bmc, problems);
    if (node === null) continue;
    const sameName = names.get(node.name);
    if (sameName !== undefined)
      problems.push(`line ${node.line}: node name "${node.name}" is already used on line ${sameName}`);
    names.set(node.name, node.line);
    for (const mac of node.macs) {
      const sameMac = macs.get(mac);
      if (sameMac !== undefined) problems.push(`line ${node.line}: MAC ${mac} is already listed on line ${sameMac}`);
      macs.set(mac, node.line);
    }
    nodes.push(node);
  }
  if (problems.length === 0 && nodes.length === 0) problems.push('line 1: the inventory lists no nodes');
  if (problems.length > 0) {
    // In file order, whichever stage found them: reading, checking a node, or comparing nodes.
    const located = problems.map((p) => ({
      line: Number(/^line (\d+): /.exec(p)?.[1] ?? 0),
      text: p.replace(/^line \d+: /, ''),
    }));
    located.sort((a, b) => a.line - b.line);
    throw new InvalidInput(located.map((p) => `${where(p.line)}: ${p.text}`));
  }
  return nodes;
}

type Defaults = Record<string, unknown>;

function checkDefaults(raw: RawNode | null, problems: string[]): Defaults {
  if (raw === null) return {};
  if (!isObject(raw.fields)) {
    problems.push(`line ${raw.lineOf([])}: "defaults" must be a mapping`);
    return {};
  }
  for (const key of Object.keys(raw.fields)) {
    if (!NODE_KEYS.has(key) || key === 'name' || key === 'macs')
      problems.push(`line ${raw.lineOf([key])}: "${key}" cannot be a default`);
  }
  return raw.fields;
}

function checkNode(
  raw: RawNode,
  defaults: Defaults,
  manifestBmc: ManifestBmc,
  problems: string[],
): InventoryNode | null {
  const line = raw.lineOf([]);
  if (!isObject(raw.fields)) {
    problems.push(`line ${line}: a node must be a mapping with name, bmc and macs`);
    return null;
  }
  const own = raw.fields;
  const before = problems.length;
  const at = (key: string, message: string, sub: (string | number)[] = []) =>
    problems.push(`line ${raw.lineOf([key, ...sub])}: ${message}`);
  const isManifestHost = own.bmc === undefined && (isObject(own.redfish) || isObject(own.ipmi));
  for (const key of Object.keys(own)) {
    if (!NODE_KEYS.has(key) && !(isManifestHost && MANIFEST_KEYS.has(key)))
      at(key, `unknown key "${key}" (expected ${[...NODE_KEYS].join(', ')})`);
  }
  const name = own.name;
  if (typeof name !== 'string' || !NODE_NAME.test(name)) {
    at(
      'name',
      name === undefined
        ? 'a node needs a name'
        : `name ${JSON.stringify(name)} may hold only letters, digits and -._~`,
    );
  }
  const label = typeof name === 'string' ? `node "${name}": ` : '';

  // bmc: the node's own block, else the manifest's chosen one, over the defaults' username/password.
  const bmcKey = isManifestHost ? manifestBmc : 'bmc';
  const ownBmc = own[bmcKey];
  if (ownBmc !== undefined && !isObject(ownBmc))
    at(bmcKey, `${label}${bmcKey} must be a mapping of address, username, password`);
  if (isObject(ownBmc))
    for (const key of Object.keys(ownBmc))
      if (!BMC_KEYS.has(key)) at(bmcKey, `${label}unknown bmc key "${key}"`, [key]);
  const bmc = { ...(isObject(defaults.bmc) ? defaults.bmc : {}), ...(isObject(ownBmc) ? ownBmc : {}) };
  let enrollment = null;
  for (const key of ['address', 'username', 'password'] as const) {
    if (typeof bmc[key] !== 'string' || bmc[key] === '') at(bmcKey, `${label}${bmcKey}.${key} is required`, [key]);
  }
  if (typeof bmc.address === 'string' && bmc.address !== '') {
    try {
      enrollment = enrollmentFromBmc(bmc.address, textOf(bmc.username), textOf(bmc.password));
    } catch (err) {
      if (!(err instanceof BadBmcAddress)) throw err;
      at(bmcKey, `${label}${bmcKey}.address: ${err.message}`, ['address']);
    }
  }

  const macs: string[] = [];
  if (own.macs !== undefined) {
    if (!Array.isArray(own.macs)) at('macs', `${label}macs must be a list`);
    else {
      own.macs.forEach((mac, i) => {
        if (typeof mac === 'string' && MAC.test(mac)) macs.push(mac.toLowerCase().replaceAll('-', ':'));
        else at('macs', `${label}${JSON.stringify(mac)} is not a MAC address such as 52:54:00:12:34:56`, [i]);
      });
    }
  }
  const maps: Record<string, Record<string, unknown>> = {};
  for (const key of MAPS) {
    if (own[key] !== undefined && !isObject(own[key])) at(key, `${label}${key} must be a mapping`);
    maps[key] = { ...(isObject(defaults[key]) ? defaults[key] : {}), ...(isObject(own[key]) ? own[key] : {}) };
  }
  const labels = checkLabels(own.labels, defaults.labels, maps.extra!, label, at);
  const resourceClass = own.resource_class ?? defaults.resource_class;
  if (resourceClass !== undefined && typeof resourceClass !== 'string')
    at('resource_class', `${label}resource_class must be a string`);
  const automatedClean = own.automated_clean ?? defaults.automated_clean;
  if (automatedClean !== undefined && typeof automatedClean !== 'boolean')
    at('automated_clean', `${label}automated_clean must be true or false`);
  if (problems.length > before || enrollment === null) return null;

  const body: Record<string, unknown> = {
    name,
    driver: enrollment.driver,
    driver_info: { ...enrollment.driverInfo, ...maps.driver_info },
  };
  if (enrollment.bootInterface !== null) body.boot_interface = enrollment.bootInterface;
  maps.extra = { ...maps.extra, ...labels };
  for (const key of ['extra', 'properties', 'instance_info'] as const)
    if (Object.keys(maps[key]!).length > 0) body[key] = maps[key];
  if (resourceClass !== undefined) body.resource_class = resourceClass;
  if (automatedClean !== undefined) body.automated_clean = automatedClean;
  return { line, name: name as string, body, macs };
}

/**
 * A host's labels (`labels:` mapping, over the defaults' one): string
 * key/values that land in the node's `extra`, where a Cluster API machine's
 * host_selector and `--selector` find them. A key is one a selector can name
 * (the API's own rule), and a label may not contradict an `extra` key of
 * the same name.
 */
function checkLabels(
  own: unknown,
  fromDefaults: unknown,
  extra: Record<string, unknown>,
  label: string,
  at: (key: string, message: string, sub?: (string | number)[]) => void,
): Record<string, string> {
  if (own !== undefined && !isObject(own)) {
    at('labels', `${label}labels must be a mapping of names to strings`);
    return {};
  }
  const merged = { ...(isObject(fromDefaults) ? fromDefaults : {}), ...(isObject(own) ? own : {}) };
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(merged)) {
    if (!LABEL_KEY.test(key)) at('labels', `${label}label "${key}": ${LABEL_KEY_RULE}`, [key]);
    else if (typeof value !== 'string') at('labels', `${label}label "${key}" must be a string (quote it)`, [key]);
    else if (extra[key] !== undefined && extra[key] !== value)
      at('labels', `${label}label "${key}" contradicts extra.${key}`, [key]);
    else labels[key] = value;
  }
  return labels;
}

/** The string, or '' for anything else (which the checks above have reported already). */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
