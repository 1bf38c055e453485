import { hasText, t, tKey } from './i18n';

// Error codes to texts: every code the server or the pages can produce has a text
// in common.errors, in each language (test/web/error-texts.test.ts checks the
// server's codes against them). Pages never show a server's English message: a
// code without a text reads as the generic one, with the code for support.

/** The machine-readable code of an error from the API, the live socket or the page. */
export function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return 'client_error';
}

/** The reader's text for an error. */
export function errorText(err: unknown): string {
  const code = errorCode(err);
  return hasText(`errors.${code}`) ? tKey(`errors.${code}`) : t('errors.generic', { code });
}
