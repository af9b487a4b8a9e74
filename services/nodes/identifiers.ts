const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
// RFC 3986 unreserved characters, the rule for logical names since API 1.10.
const LOGICAL_NAME = /^[A-Za-z0-9\-._~]{1,255}$/;
const MAC = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;

export function isUuidLike(value: string): boolean {
  return UUID.test(value);
}

/** The canonical lower-case, dashed form of a uuid-like string. */
export function normalizeUuid(value: string): string {
  const hex = value.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A node name: unreserved characters only, and never a uuid (names and uuids share one URL slot). */
export function isValidNodeName(value: string): boolean {
  return LOGICAL_NAME.test(value) && !isUuidLike(value);
}

export function isValidLogicalName(value: string): boolean {
  return LOGICAL_NAME.test(value);
}

/** `aa:bb:cc:dd:ee:ff` from either separator and any case, or null when `value` is no MAC. */
export function normalizeMac(value: string): string | null {
  const m = MAC.exec(value);
  return m ? m.slice(1).join(':').toLowerCase() : null;
}
