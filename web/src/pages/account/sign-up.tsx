import { useEffect, useState } from 'preact/hooks';
import { privacyPolicyView, sessionView, type PrivacyPolicyView } from '../../../../server/protocol/accounts';
import { apiParsed } from '../../kit/api';
import { Field, FormError, SubmitButton, text, useForm } from '../../kit/form';
import { lang, t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { adopt } from '../../session';
import { CheckField, SelectField } from './fields';
import '../../styles/account.css';

export default function SignUpPage() {
  const [policy, setPolicy] = useState<PrivacyPolicyView | null>(null);
  const [done, setDone] = useState<string | null>(null);
  useTitle(t('account:signUp.title'));
  useEffect(() => {
    apiParsed(privacyPolicyView, 'GET', '/privacy-policy')
      .then(setPolicy)
      .catch(() => setPolicy(null));
  }, []);
  const form = useForm(
    async (data) => {
      const session = await apiParsed(sessionView, 'POST', '/auth/register', {
        displayName: text(data, 'displayName'),
        email: text(data, 'email'),
        password: text(data, 'password'),
        locale: text(data, 'locale'),
        // An unticked box is sent as such: the server's refusal goes beside it, in the reader's language.
        consent: { policyVersion: policy?.version ?? 'unknown', accepted: data.get('consent') === 'yes' },
      });
      adopt(session);
      setDone(session.user.email);
    },
    {
      password: t('account:signUp.passwordHint'),
      'consent.accepted': t('account:signUp.consentNeeded'),
      consent: t('account:signUp.consentNeeded'),
    },
  );
  if (done) {
    return (
      <div class="page narrow account-page">
        <h1>{t('account:signUp.title')}</h1>
        <p role="status" class="card" data-testid="signed-up">
          {t('account:signUp.done', { email: done })}
        </p>
        <p>
          <a href="/profile">{t('nav.profile')}</a> · <a href="/">{t('nav.seminars')}</a>
        </p>
      </div>
    );
  }
  return (
    <div class="page narrow account-page">
      <h1>{t('account:signUp.title')}</h1>
      <form id="sign-up" class="card" onSubmit={form.onSubmit} aria-label={t('account:signUp.title')} noValidate>
        <Field form={form} name="displayName" label={t('account:signUp.name')} autocomplete="name" required />
        <Field form={form} name="email" label={t('account:signUp.email')} type="email" autocomplete="email" required />
        <Field form={form} name="password" label={t('account:signUp.password')} type="password" autocomplete="new-password" required />
        <SelectField form={form} name="locale" label={t('account:signUp.language')} value={lang.value}>
          <option value="ru">{t('account:languages.ru')}</option>
          <option value="en">{t('account:languages.en')}</option>
        </SelectField>
        <CheckField form={form} name="consent" errorPaths={['consent.accepted', 'consent', 'consent.policyVersion']}>
          {t('account:signUp.consent')}:{' '}
          <a href="/privacy" target="_blank" rel="noopener">
            {t('account:signUp.policyLink', { version: policy?.version ?? '…' })}
          </a>
        </CheckField>
        <FormError form={form} />
        <SubmitButton form={form}>{t('account:signUp.submit')}</SubmitButton>
      </form>
      <p>
        {t('account:signUp.haveAccount')} <a href="/sign-in">{t('auth.signIn')}</a>
      </p>
    </div>
  );
}
