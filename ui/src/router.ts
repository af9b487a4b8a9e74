import { signal } from '@preact/signals';

export interface Route {
  /** `#/hosts/<uuid>` → ['hosts', uuid]. */
  path: string[];
  /** `#/hosts?provision=active` → {provision: 'active'}: a page's filters, so a link or a reload keeps them. */
  query: Record<string, string>;
}

/** Where the dashboard is: the part of the URL after `#`. */
export const route = signal<Route>(parse(window.location.hash));

window.addEventListener('hashchange', () => {
  route.value = parse(window.location.hash);
});

function parse(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  return {
    path: path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s)),
    query: Object.fromEntries(new URLSearchParams(query)),
  };
}

export function href(...segments: string[]): string {
  return `#/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/** Writes a page's filters into the URL without a new history entry or a hashchange. */
export function replaceQuery(query: Record<string, string>): void {
  const kept = Object.entries(query).filter(([, v]) => v !== '');
  const search = new URLSearchParams(kept).toString();
  const path = window.location.hash.replace(/^#\/?/, '').split('?', 1)[0] ?? '';
  history.replaceState(null, '', `#/${path}${search ? `?${search}` : ''}`);
}
