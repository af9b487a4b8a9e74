import { createHash } from 'node:crypto';
import { RedfishFault } from './errors.js';

/**
 * A strong ETag over the representation, so it changes exactly when what a
 * client read would change. Hex only: sushy's weak-ETag workaround expects
 * `"\w*"` inside the quotes.
 */
export function etagOf(body: unknown): string {
  return `"${createHash('sha1').update(JSON.stringify(body)).digest('hex').slice(0, 16)}"`;
}

/** RFC 9110 §13.1.1: If-Match uses strong comparison, `*` matches anything. */
export function checkIfMatch(ifMatch: string | undefined, current: string): void {
  if (ifMatch === undefined) return;
  const candidates = ifMatch.split(',').map((s) => s.trim());
  if (candidates.includes('*') || candidates.includes(current)) return;
  throw new RedfishFault(
    412,
    'PreconditionFailed',
    'The ETag supplied did not match the ETag required to change this resource.',
  );
}
