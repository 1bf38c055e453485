import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../../kit/api';
import { Field, FormError, SubmitButton, text, useForm } from '../../kit/form';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import '../../styles/account.css';

/** The link from the reset e-mail: a new password, once. */
export default function ResetPasswordPage() {
  const { query } = useLocation();
  const [done, setDone] = useState(false);
  useTitle(t('account:reset.title'));
  const form = useForm(
    async (data) => {
      await api('POST', '/auth/password-reset', { token: query.token ?? '', password: text(data, 'password') });
      setDone(true);
    },
    { password: t('account:signUp.passwordHint'), token: t('account:reset.noToken') },
  );
  return (
    <div class="page narrow account-page">
      <h1>{t('account:reset.title')}</h1>
      {done ? (
        <p role="status" class="card" data-testid="reset-done">
          {t('account:reset.done')} <a href="/sign-in">{t('auth.signIn')}</a>
        </p>
      ) : !query.token ? (
        <p class="form-error" role="alert">
          {t('account:reset.noToken')} <a href="/forgot-password">{t('account:reset.again')}</a>
        </p>
      ) : (
        <form id="reset" class="card" onSubmit={form.onSubmit} aria-label={t('account:reset.title')} noValidate>
          <Field form={form} name="password" label={t('account:reset.password')} type="password" autocomplete="new-password" required />
          {form.errors.token && <p class="field-error">{form.errors.token}</p>}
          <FormError form={form} />
          <SubmitButton form={form}>{t('account:reset.submit')}</SubmitButton>
          <p class="form-links">
            <a href="/forgot-password">{t('account:reset.again')}</a>
          </p>
        </form>
      )}
    </div>
  );
}
