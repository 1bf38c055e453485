import { useState } from 'preact/hooks';
import { api } from '../../kit/api';
import { Field, FormError, SubmitButton, text, useForm } from '../../kit/form';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import '../../styles/account.css';

export default function ForgotPasswordPage() {
  const [sent, setSent] = useState<string | null>(null);
  useTitle(t('account:forgot.title'));
  const form = useForm(async (data) => {
    const email = text(data, 'email');
    await api('POST', '/auth/password-reset-request', { email });
    setSent(email);
  });
  return (
    <div class="page narrow account-page">
      <h1>{t('account:forgot.title')}</h1>
      {sent ? (
        <p role="status" class="card" data-testid="reset-sent">
          {t('account:forgot.sent', { email: sent })}
        </p>
      ) : (
        <form id="forgot" class="card" onSubmit={form.onSubmit} aria-label={t('account:forgot.title')} noValidate>
          <p>{t('account:forgot.text')}</p>
          <Field form={form} name="email" label={t('account:forgot.email')} type="email" autocomplete="email" required />
          <FormError form={form} />
          <SubmitButton form={form}>{t('account:forgot.submit')}</SubmitButton>
        </form>
      )}
      <p>
        <a href="/sign-in">{t('auth.signIn')}</a>
      </p>
    </div>
  );
}
