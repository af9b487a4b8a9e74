/**
 * The dashboard's REST client: every call carries the signed-in user's
 * credentials and the newest microversion the dashboard was written for, and
 * every failure becomes an ApiError with Ironic's own message.
 */

/** The API version the dashboard reads (Anvil's newest). */
export const MICROVERSION = '1.110';

export type Credentials =
  { kind: 'none' } | { kind: 'basic'; user: string; password: string } | { kind: 'token'; token: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function authorizationOf(credentials: Credentials): Record<string, string> {
  switch (credentials.kind) {
    case 'none':
      return {};
    case 'basic':
      return { Authorization: `Basic ${base64(`${credentials.user}:${credentials.password}`)}` };
    case 'token':
      return { Authorization: `Bearer ${credentials.token}` };
  }
}

function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Ironic's error body: `{"error_message": "{\"faultstring\": ...}"}` (a JSON string inside JSON). */
export async function errorMessageOf(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error_message?: unknown };
    if (typeof body.error_message === 'string') {
      try {
        const inner = JSON.parse(body.error_message) as { faultstring?: unknown };
        if (typeof inner.faultstring === 'string') return inner.faultstring;
      } catch {
        return body.error_message;
      }
    }
  } catch {
    // Not JSON: the text itself says what went wrong.
  }
  return text.trim() || `${response.status} ${response.statusText}`;
}

export class ApiClient {
  /** `base`: where the API is; the page's own origin (a path alone) in the browser. */
  constructor(
    readonly credentials: Credentials,
    readonly base = '',
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'OpenStack-API-Version': `baremetal ${MICROVERSION}`,
      // A refusal then comes without a Basic challenge, which would pop up the browser's own login box.
      'X-Requested-With': 'XMLHttpRequest',
      ...authorizationOf(this.credentials),
      ...extra,
    };
  }

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ApiError(0, 'Anvil did not answer: is the service running and reachable?');
    }
    if (!response.ok) throw new ApiError(response.status, await errorMessageOf(response));
    if (response.status === 204 || response.status === 202) {
      const text = await response.text();
      return (text ? JSON.parse(text) : null) as T;
    }
    return (await response.json()) as T;
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, undefined, signal);
  }

  /** Every page of a list that answers `{<key>: [...], next?: url}`; `onPage` sees each page as it comes. */
  async all<T>(path: string, key: string, signal?: AbortSignal, onPage?: (entries: T[]) => void): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = path;
    // Bounded: a list of a million entries in pages of 1,000 is a thousand pages.
    for (let pages = 0; next !== undefined && pages < 1000; pages++) {
      const page: Record<string, unknown> = await this.get<Record<string, unknown>>(next, signal);
      const entries = (page[key] as T[] | undefined) ?? [];
      out.push(...entries);
      onPage?.(entries);
      next = typeof page.next === 'string' ? relative(page.next) : undefined;
    }
    return out;
  }
}

/** A `next` link as a path (the API may name itself by another host than the client reaches it by). */
function relative(link: string): string {
  const url = new URL(link, 'http://anvil.invalid');
  return `${url.pathname}${url.search}`;
}
