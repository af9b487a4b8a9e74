import { href } from '../router.js';

/** A page whose own object is not read yet: why not, with the way back to its list, or that it is being read. */
export function NotLoaded({ error, what, list }: { error: string | null; what: string; list: string }) {
  if (error === null) return <p class="loading">Reading the {what}…</p>;
  return (
    <p class="error" role="alert">
      {error} <a href={href(list)}>Back to the {list}</a>.
    </p>
  );
}
