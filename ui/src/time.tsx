import { signal } from '@preact/signals';

/** Ticks every 15 s, so "3 minutes ago" moves on without anything else changing. */
const now = signal(Date.now());
setInterval(() => {
  now.value = Date.now();
}, 15_000);

export function relative(iso: string, at: number): string {
  const seconds = Math.round((at - Date.parse(iso)) / 1000);
  // A few seconds either way is the two clocks (the server's and the browser's) disagreeing, not the future.
  const ago = seconds >= -45;
  const s = Math.abs(seconds);
  const text =
    s < 45
      ? 'seconds'
      : s < 90
        ? 'a minute'
        : s < 2700
          ? `${Math.round(s / 60)} minutes`
          : s < 5400
            ? 'an hour'
            : s < 79200
              ? `${Math.round(s / 3600)} hours`
              : `${Math.round(s / 86400)} days`;
  return ago ? `${text} ago` : `in ${text}`;
}

/**
 * A time shown relative ("5 minutes ago") with the absolute time (UTC): on
 * hover and for screen readers, or written out beside it where there is room (`full`).
 */
export function Time({ iso, full = false }: { iso: string | null | undefined; full?: boolean }) {
  if (!iso) return <span class="muted">never</span>;
  const absolute = new Date(iso)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  return (
    <time dateTime={iso} title={absolute}>
      {relative(iso, Math.max(now.value, Date.now()))}
      <span class={full ? 'muted' : 'absolute'}> ({absolute})</span>
    </time>
  );
}
