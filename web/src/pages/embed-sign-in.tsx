import { useLocation } from 'preact-iso';
import { isEmbedPath } from '../kit/embed';
import { Field, FormError, SubmitButton, text, useForm } from '../kit/form';
import { t } from '../kit/i18n';
import { useTitle } from '../kit/shell';
import { signIn } from '../session';
import { safeNext } from './account/sign-in';
import '../styles/account.css';

// Signing in inside the portal's frame. Lectern's session is a bearer token the page
// keeps (no cookie), so a browser that blocks third-party cookies still lets this form
// sign in; the token stays in the frame's own storage, or in memory where even that is
// refused. Sign-up, password reset and the centre's portal sign-in are pages (or an
// identity provider) that refuse framing: they open in a new tab.

/** Back to the embed page that asked for the sign-in; only an embed page stays inside the frame. */
function backTo(next: string | undefined): string | null {
  const path = safeNext(next);
  return isEmbedPath(path) ? path : null;
}

export default function EmbedSignIn() {
  const { query, route } = useLocation();
  const back = backTo(query.next);
  useTitle(t('account:signIn.title'));
  const form = useForm(async (data) => {
    await signIn(text(data, 'email'), text(data, 'password'));
    if (back) route(back);
  });
  return (
    <div class="page narrow account-page embed-sign-in">
      <h1>{t('account:signIn.title')}</h1>
      <p class="muted">{t('embed.signInWhy')}</p>
      <form id="sign-in" class="card" onSubmit={form.onSubmit} aria-label={t('account:signIn.title')} noValidate>
        <Field form={form} name="email" label={t('auth.email')} type="email" autocomplete="username" required />
        <Field form={form} name="password" label={t('auth.password')} type="password" autocomplete="current-password" required />
        <FormError form={form} />
        <SubmitButton form={form}>{t('auth.submit')}</SubmitButton>
        <p class="form-links">
          <a href="/forgot-password" target="_blank" rel="noopener">
            {t('account:signIn.forgot')}
            <span class="visually-hidden"> {t('embed.newTab')}</span>
          </a>
        </p>
      </form>
      <p>
        {t('account:signIn.noAccount')}{' '}
        <a href="/sign-up" target="_blank" rel="noopener">
          {t('account:signIn.signUp')}
          <span class="visually-hidden"> {t('embed.newTab')}</span>
        </a>
      </p>
      {back && (
        <p>
          <a href={back}>{t('embed.back')}</a>
        </p>
      )}
    </div>
  );
}
