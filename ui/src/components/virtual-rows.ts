import { useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface VirtualRows {
  /** The scrolling element: give it a fixed height. */
  scrollRef: { current: HTMLDivElement | null };
  /** The indexes of the rows to draw: those in view and a few either side. */
  first: number;
  last: number;
  /** Blank space above and below the rows drawn, so the scroll bar spans every row. */
  before: number;
  after: number;
}

/** Rows drawn beyond each edge of the view, so a quick scroll shows no gap. */
const OVERSCAN = 12;

/**
 * Only the rows in view (and a few around them) are drawn, whatever the
 * count: a table of 10,000 hosts costs what one of 50 does. Rows have one
 * fixed height, so which rows are in view is arithmetic on the scroll
 * position; a windowing library (TanStack Virtual: 35 KB, more than the rest
 * of the dashboard's libraries together) pays for measuring rows of varying
 * height, which this table does not have.
 */
export function useVirtualRows(count: number, rowHeight: number, headerHeight: number): VirtualRows {
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const [view, setView] = useState({ top: 0, height: 800 });
  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (element === null) return undefined;
    const measure = () => setView({ top: element.scrollTop, height: element.clientHeight });
    measure();
    element.addEventListener('scroll', measure, { passive: true });
    const resized = new ResizeObserver(measure);
    resized.observe(element);
    return () => {
      element.removeEventListener('scroll', measure);
      resized.disconnect();
    };
  }, [count > 0]);
  // The list may have shrunk under a scrolled view (a search) before the browser says where it scrolled to.
  const top = Math.min(Math.max(0, view.top - headerHeight), Math.max(0, count * rowHeight - view.height));
  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(count, Math.ceil((top + view.height) / rowHeight) + OVERSCAN);
  return { scrollRef, first, last, before: first * rowHeight, after: (count - last) * rowHeight };
}
