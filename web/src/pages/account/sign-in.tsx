import { useLocation } from 'preact-iso';
import { Field, FormError, SubmitButton, text, useForm } from '../../kit/form';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { signIn } from '../../session';
import { PortalSignIn } from './portal';
import '../../styles/account.css';

/** Where to go after signing in: a path on this site only (never //host or a full URL). */
export function safeNext(next: string | undefined): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export default function SignInPage() {
  const { query, route } = useLocation();
  useTitle(t('account:signIn.title'));
  const form = useForm(async (data) => {
    await signIn(text(data, 'email'), text(data, 'password'));
    route(safeNext(query.next));
  });
  const next = query.next ? `?next=${encodeURIComponent(query.next)}` : '';
  return (
    <div class="page narrow account-page">
      <h1>{t('account:signIn.title')}</h1>
      <form id="sign-in" class="card" onSubmit={form.onSubmit} aria-label={t('account:signIn.title')} noValidate>
        <Field form={form} name="email" label={t('auth.email')} type="email" autocomplete="username" required />
        <Field form={form} name="password" label={t('auth.password')} type="password" autocomplete="current-password" required />
        <FormError form={form} />
        <SubmitButton form={form}>{t('auth.submit')}</SubmitButton>
        <p class="form-links">
          <a href="/forgot-password">{t('account:signIn.forgot')}</a>
        </p>
      </form>
      <PortalSignIn next={query.next} />
      <p>
        {t('account:signIn.noAccount')} <a href={`/sign-up${next}`}>{t('account:signIn.signUp')}</a>
      </p>
    </div>
  );
}
