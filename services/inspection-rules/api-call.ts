import { RuleFailure } from './errors.js';
import { isRecord, pythonRepr, pythonStr, pythonTruthy, typeName } from './python-values.js';

/** The statuses a GET is retried on, as Ironic's urllib3 Retry is told. */
const RETRY_STATUSES = [429, 500, 502, 503, 504];
/** urllib3's ceiling on one backoff. */
const MAX_BACKOFF_SECONDS = 120;

export interface ApiCallArgs {
  url: unknown;
  headers: unknown;
  proxies: unknown;
  timeout: unknown;
  retries: unknown;
  backoff_factor: unknown;
}

/** Python's float(): numbers, and strings that spell one. */
export function pythonFloat(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) return Number(value);
  if (typeof value === 'string') throw new Error(`could not convert string to float: ${pythonRepr(value)}`);
  throw new Error(`float() argument must be a string or a real number, not '${typeName(value)}'`);
}

/** Python's int(): numbers truncated, strings of digits. */
export function pythonInt(value: unknown): number {
  if (typeof value === 'number') return Math.trunc(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value);
  if (typeof value === 'string') throw new Error(`invalid literal for int() with base 10: ${pythonRepr(value)}`);
  throw new Error(`int() argument must be a string, a bytes-like object or a real number, not '${typeName(value)}'`);
}

/** Why the call's parameters cannot be used, or null (Ironic's "Invalid parameter"). */
export function apiCallParameterProblem(args: Pick<ApiCallArgs, 'timeout' | 'retries' | 'backoff_factor'>) {
  try {
    if (pythonFloat(args.timeout) <= 0) return 'timeout must be greater than zero';
    pythonInt(args.retries);
    pythonFloat(args.backoff_factor);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The URL as failures show it: without credentials, which a rule's URL may carry. */
function shown(url: URL): string {
  const copy = new URL(url);
  copy.username = '';
  copy.password = '';
  return copy.toString();
}

/**
 * Ironic's `api-call` action: an HTTP GET of `url`, retried with backoff on
 * a lost connection or a 429/5xx answer; anything but a success in the end
 * fails the action. Proxies are not offered (rules asking for one are
 * refused when written).
 */
export async function callApi(args: ApiCallArgs): Promise<void> {
  const problem = apiCallParameterProblem(args);
  if (problem !== null) throw RuleFailure.action(`Invalid parameter: ${problem}`);
  if (pythonTruthy(args.proxies)) {
    throw RuleFailure.action('Invalid parameter: proxies are not supported');
  }
  const timeoutMs = pythonFloat(args.timeout) * 1000;
  const retries = Math.max(0, pythonInt(args.retries));
  const backoff = pythonFloat(args.backoff_factor);
  const text = pythonStr(args.url);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw RuleFailure.action(`Request to ${text} failed: Invalid URL ${pythonRepr(text)}: No scheme supplied`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw RuleFailure.action(`Request to ${shown(url)} failed: No connection adapters were found for '${shown(url)}'`);
  }
  const headers: Record<string, string> = {};
  // Credentials in the URL are sent as basic authentication, as requests sends them.
  if (url.username !== '' || url.password !== '') {
    const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.Authorization = `Basic ${Buffer.from(user).toString('base64')}`;
  }
  if (isRecord(args.headers)) for (const [k, v] of Object.entries(args.headers)) headers[k] = pythonStr(v);
  const target = shown(url);

  for (let attempt = 0; ; attempt++) {
    // urllib3's backoff: none before the first retry, then factor × 2^(n-1) seconds.
    if (attempt > 1) await sleep(Math.min(MAX_BACKOFF_SECONDS, backoff * 2 ** (attempt - 1)) * 1000);
    let status: number;
    let statusText: string;
    try {
      const res = await fetch(target, { headers, signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      status = res.status;
      statusText = res.statusText;
    } catch (err) {
      if (attempt < retries) continue;
      throw RuleFailure.action(`Request to ${target} failed: ${describeFetchError(err)}`);
    }
    if (RETRY_STATUSES.includes(status) && attempt < retries) continue;
    if (status < 400) return;
    const side = status < 500 ? 'Client' : 'Server';
    throw RuleFailure.action(`Request to ${target} failed: ${status} ${side} Error: ${statusText} for url: ${target}`);
  }
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'Read timed out';
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
