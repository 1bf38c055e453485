import { useEffect, useState } from 'preact/hooks';
import { oidcConfigView, oidcStartView, privacyPolicyView } from '../../../../server/protocol/accounts';
import { apiParsed } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { t } from '../../kit/i18n';

/** Kept in this tab only: the answer from the portal must come back to the tab that asked. */
export const FLOW_KEY = 'lectern.oidc-flow';
export const NEXT_KEY = 'lectern.oidc-next';

/** "Sign in with the centre's portal": shown only when the server has a provider configured. */
export function PortalSignIn({ next }: { next: string | undefined }) {
  const [enabled, setEnabled] = useState(false);
  const [consent, setConsent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    apiParsed(oidcConfigView, 'GET', '/auth/oidc')
      .then((c) => setEnabled(c.enabled))
      .catch(() => setEnabled(false));
  }, []);
  if (!enabled) return null;
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const policyVersion = consent ? (await apiParsed(privacyPolicyView, 'GET', '/privacy-policy')).version : undefined;
      const started = await apiParsed(oidcStartView, 'POST', '/auth/oidc/start', policyVersion ? { policyVersion } : {});
      sessionStorage.setItem(FLOW_KEY, started.flow);
      sessionStorage.setItem(NEXT_KEY, next ?? '/');
      location.assign(started.authorizationUrl);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <section class="card portal-sign-in" aria-labelledby="portal-title">
      <h2 id="portal-title" class="visually-hidden">
        {t('account:signIn.portalTitle')}
      </h2>
      <div class="check">
        <input id="portal-consent" type="checkbox" checked={consent} onChange={(e) => setConsent(e.currentTarget.checked)} />
        <label for="portal-consent">
          {t('account:signIn.portalConsent')} (<a href="/privacy">{t('account:privacy.title')}</a>)
        </label>
      </div>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="button" data-testid="portal-sign-in" disabled={busy} onClick={() => void start()}>
        {t('account:signIn.portal')}
      </button>
    </section>
  );
}
