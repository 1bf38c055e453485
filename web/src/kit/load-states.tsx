import { errorText } from './errors';
import { t } from './i18n';

// What a page that loads one thing (a seminar, a course, a lesson) shows before it has it:
// the wait, or why it could not, with the way back.

export function LoadFailed({ error, back }: { error: unknown; back: { href: string; label: string } }) {
  return (
    <div class="page narrow">
      <h1>{t('notFound.title')}</h1>
      <p role="alert">{errorText(error)}</p>
      <p>
        <a href={back.href}>{back.label}</a>
      </p>
    </div>
  );
}

export function Loading({ text }: { text: string }) {
  return (
    <div class="page narrow">
      <p role="status">{text}</p>
    </div>
  );
}

/** The same two for a wide page (a table, a chart), with no way back of its own: the workspace bar is above it. */
export function PageLoadFailed({ error }: { error: unknown }) {
  return (
    <div class="page">
      <p role="alert">{errorText(error)}</p>
    </div>
  );
}

export function PageLoading({ text }: { text: string }) {
  return (
    <div class="page">
      <p role="status">{text}</p>
    </div>
  );
}
