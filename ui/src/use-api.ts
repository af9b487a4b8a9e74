import { useEffect, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

/**
 * Data a page reads from the API, read again whenever one of `deps` changes
 * (a feed version counter, an id). The last good answer stays on screen
 * while a new read is under way, and a failed read says why.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: null, error: null, loading: true });
  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(abort.signal).then(
      (data) => {
        if (!abort.signal.aborted) setState({ data, error: null, loading: false });
      },
      (err: unknown) => {
        if (!abort.signal.aborted)
          setState((s) => ({ data: s.data, error: err instanceof Error ? err.message : String(err), loading: false }));
      },
    );
    return () => abort.abort();
  }, deps);
  return state;
}
