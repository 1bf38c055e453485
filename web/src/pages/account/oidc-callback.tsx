import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { sessionView } from '../../../../server/protocol/accounts';
import { apiParsed } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { adopt } from '../../session';
import { FLOW_KEY, NEXT_KEY } from './portal';
import { safeNext } from './sign-in';
import '../../styles/account.css';

/** Where the portal sends the browser back: hands its answer and this tab's flow to the server. */
export default function OidcCallbackPage() {
  const { route } = useLocation();
  const [error, setError] = useState<string | null>(null);
  useTitle(t('account:signIn.portalTitle'));
  useEffect(() => {
    const flow = sessionStorage.getItem(FLOW_KEY) ?? '';
    const next = safeNext(sessionStorage.getItem(NEXT_KEY) ?? undefined);
    // Once: a reload must not replay the answer.
    sessionStorage.removeItem(FLOW_KEY);
    const callbackQuery = location.search.replace(/^\?/, '');
    apiParsed(sessionView, 'POST', '/auth/oidc/callback', { flow: flow || 'none', callbackQuery: callbackQuery || 'none' })
      .then((session) => {
        adopt(session);
        route(next, true);
      })
      .catch((err: unknown) => setError(errorText(err)));
  }, []);
  return (
    <div class="page narrow account-page">
      <h1>{t('account:signIn.portalTitle')}</h1>
      {error ? (
        <>
          <p class="form-error" role="alert" data-testid="oidc-error">
            {error}
          </p>
          <p>
            <a href="/sign-in">{t('account:signIn.again')}</a>
          </p>
        </>
      ) : (
        <p role="status">{t('account:signIn.portalWorking')}</p>
      )}
    </div>
  );
}
