import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import '../../styles/account.css';

/** The link from the sign-up e-mail: confirms the address on opening. */
export default function ConfirmEmailPage() {
  const { query } = useLocation();
  const token = query.token;
  const [state, setState] = useState<'working' | 'done' | { error: string }>(token ? 'working' : { error: t('account:confirm.noToken') });
  useTitle(t('account:confirm.title'));
  useEffect(() => {
    if (!token) return;
    api('POST', '/auth/confirm-email', { token })
      .then(() => setState('done'))
      .catch((err: unknown) => setState({ error: errorText(err) }));
  }, [token]);
  return (
    <div class="page narrow account-page">
      <h1>{t('account:confirm.title')}</h1>
      {state === 'working' && <p role="status">{t('account:confirm.working')}</p>}
      {state === 'done' && (
        <p role="status" class="card" data-testid="confirmed">
          {t('account:confirm.done')}
        </p>
      )}
      {typeof state === 'object' && (
        <p class="form-error" role="alert" data-testid="confirm-error">
          {state.error}
        </p>
      )}
      <p>
        <a href="/">{t('account:confirm.toSeminars')}</a>
      </p>
    </div>
  );
}
