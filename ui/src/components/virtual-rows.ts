import { useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';
import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
  type VirtualItem,
} from '@tanstack/virtual-core';

export interface VirtualRows {
  /** The scrolling element: give it a fixed height. */
  scrollRef: { current: HTMLDivElement | null };
  items: VirtualItem[];
  /** Blank space above and below the rows drawn, so the scroll bar spans every row. */
  before: number;
  after: number;
  scrollToIndex(index: number): void;
}

/**
 * Only the rows in view (and a few around them) are drawn, whatever the
 * count: a table of 10,000 hosts costs what one of 50 does. Rows have a
 * fixed height, which keeps the arithmetic exact.
 */
export function useVirtualRows(count: number, rowHeight: number): VirtualRows {
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const [virtualizer] = useState(
    () =>
      new Virtualizer<HTMLDivElement, HTMLElement>({
        count,
        getScrollElement: () => scrollRef.current,
        estimateSize: () => rowHeight,
        overscan: 12,
        observeElementRect,
        observeElementOffset,
        scrollToFn: elementScroll,
        onChange: () => redraw(0),
      }),
  );
  useLayoutEffect(() => virtualizer._didMount(), [virtualizer]);
  useLayoutEffect(() => {
    virtualizer.setOptions({ ...virtualizer.options, count });
    virtualizer._willUpdate();
  });
  const items = virtualizer.getVirtualItems();
  const total = virtualizer.getTotalSize();
  const before = items[0]?.start ?? 0;
  const after = items.length === 0 ? 0 : total - items[items.length - 1]!.end;
  return { scrollRef, items, before, after, scrollToIndex: (i) => virtualizer.scrollToIndex(i) };
}
