import { useEffect, useRef } from 'preact/hooks';
import Sortable from 'sortablejs';

// SortableJS under Preact (no React compat): SortableJS moves DOM nodes itself, so each drop
// is put back at once and replayed by the caller as a state change; Preact stays the only
// owner of the elements.

/** Puts an element SortableJS moved back where it was, so that the state change moves it. */
export function undoDomMove(evt: Sortable.SortableEvent): void {
  const { item, from, oldIndex } = evt;
  item.remove();
  from.insertBefore(item, from.children[oldIndex ?? 0] ?? null);
}

export function useSortable(ref: { current: HTMLElement | null }, options: () => Sortable.Options): void {
  const latest = useRef(options);
  latest.current = options;
  useEffect(() => {
    if (!ref.current) return;
    const sortable = Sortable.create(ref.current, {
      ...latest.current(),
      onEnd: (evt) => latest.current().onEnd?.(evt),
    });
    return () => sortable.destroy();
  }, []);
}

export const SORTABLE_BASE: Sortable.Options = {
  animation: 150,
  // Drags start from a handle only (a pointer affordance; the buttons serve the keyboard).
  ghostClass: 'cb-ghost',
  chosenClass: 'cb-chosen',
  emptyInsertThreshold: 24,
  // The mouse-events fallback behaves the same with a mouse, a pen and a finger.
  forceFallback: true,
  fallbackOnBody: true,
};
