/**
 * Which keys hold secrets: a key is sensitive when its lower-cased name
 * contains one of these (oslo strutils' _SANITIZE_KEYS, which Ironic uses), so
 * `redfish_password`, `ipmi_password` and `agent_secret_token` all are.
 */
const SENSITIVE_SUBSTRINGS = [
  'password',
  'admin_pass',
  'adminpass',
  'new_pass',
  'secret',
  'token',
  'sys_pswd',
  'configdrive',
  'encrypted_key',
  'private_key',
  'fernetkey',
  'sslkey',
  'passphrase',
  'cephxkey',
  'encryption_key',
];
// Named outright by Ironic's node_sanitize.
const SENSITIVE_EXACT = new Set(['snmp_auth_key', 'snmp_priv_key']);

export function isSensitiveKey(key: string): boolean {
  const k = key.toLowerCase();
  return SENSITIVE_EXACT.has(k) || SENSITIVE_SUBSTRINGS.some((s) => k.includes(s));
}

export const MASK = '******';

/** A deep copy with every sensitive value replaced by `******`. */
export function maskSecrets<T>(value: T, extraKeys: readonly string[] = []): T {
  return mapSensitive(value, () => MASK, extraKeys) as T;
}

/**
 * Deep copy of `value` with `replace` applied to the value of every sensitive
 * key (whatever that value's type), recursing through objects and arrays.
 */
export function mapSensitive(
  value: unknown,
  replace: (secret: unknown) => unknown,
  extraKeys: readonly string[] = [],
): unknown {
  if (Array.isArray(value)) return value.map((v) => mapSensitive(v, replace, extraKeys));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSensitiveKey(k) || extraKeys.includes(k) ? replace(v) : mapSensitive(v, replace, extraKeys);
  }
  return out;
}

/** Whether `value` holds a sensitive key anywhere inside it, through objects and arrays. */
export function hasSensitive(value: unknown, extraKeys: readonly string[] = []): boolean {
  if (Array.isArray(value)) return value.some((v) => hasSensitive(v, extraKeys));
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(
    ([k, v]) => isSensitiveKey(k) || extraKeys.includes(k) || hasSensitive(v, extraKeys),
  );
}
