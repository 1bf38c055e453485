import { signal } from '@preact/signals';
import { t } from './i18n';

// Announcements: a toast that everyone sees (and screen readers hear, through the
// polite live region it sits in), and announce() for what only a screen reader
// needs to hear. Both live regions are in the page from the start, as they must
// be for assistive technology to notice changes.

const current = signal<{ id: number; text: string } | null>(null);
const spoken = signal('');
let nextId = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

/** A short message at the bottom of the page, for six seconds. */
export function toast(text: string): void {
  console.warn(`[toast] ${text}`);
  current.value = { id: ++nextId, text };
  clearTimeout(timer);
  timer = setTimeout(() => (current.value = null), 6000);
}

/** Says something to screen readers only. */
export function announce(text: string): void {
  // The same text twice in a row is still announced: clear first.
  spoken.value = '';
  queueMicrotask(() => (spoken.value = text));
}

export function Announcements() {
  const message = current.value;
  return (
    <>
      <div id="toast" class="toast-region" role="status" aria-live="polite">
        {message && (
          <p class="toast" key={message.id} data-testid="toast">
            <span>{message.text}</span>
            <button type="button" class="link toast-close" aria-label={t('toast.close')} onClick={() => (current.value = null)}>
              ×
            </button>
          </p>
        )}
      </div>
      <div class="visually-hidden" aria-live="polite">
        {spoken.value}
      </div>
    </>
  );
}
