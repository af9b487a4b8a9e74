// How a failed Redfish attempt reads to the call guard: what kind of failure
// it is, and whether the same request could succeed in a moment.
import type { BmcFailure } from '../errors.js';
import {
  RedfishAuthError,
  RedfishConnectionError,
  RedfishError,
  RedfishHttpError,
  RedfishTaskError,
  RedfishTimeoutError,
  RedfishUnsupportedError,
} from './errors.js';

/** TLS verification failures: the certificate will not verify better on a second try. */
const TLS_FAILURE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|^ERR_TLS|^ERR_SSL/;

export function redfishFailure(error: unknown): BmcFailure | null {
  if (!(error instanceof RedfishError)) return null;
  const message = error.message;
  if (error instanceof RedfishTimeoutError) return { kind: 'timeout', transient: true, message };
  if (error instanceof RedfishConnectionError)
    return { kind: 'unreachable', transient: !TLS_FAILURE.test(error.code ?? ''), message };
  if (error instanceof RedfishAuthError) return { kind: 'auth', transient: false, message };
  if (error instanceof RedfishHttpError) {
    if (error.status === 401 || error.status === 403) return { kind: 'auth', transient: false, message };
    if (error.status >= 500) return { kind: 'unavailable', transient: true, message };
    return { kind: 'refused', transient: false, message };
  }
  if (error instanceof RedfishTaskError || error instanceof RedfishUnsupportedError)
    return { kind: 'refused', transient: false, message };
  return { kind: 'protocol', transient: false, message };
}
