import { useEffect, useState } from 'preact/hooks';
import { privacyPolicyView, type PrivacyPolicyView } from '../../../../server/protocol/accounts';
import { apiParsed } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { lang, t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import '../../styles/account.css';

/** The personal-data policy that sign-up accepts, in the reader's language (the centre's text, from the server's config). */
export default function PrivacyPage() {
  const [policy, setPolicy] = useState<PrivacyPolicyView | null>(null);
  useTitle(t('account:privacy.title'));
  useEffect(() => {
    apiParsed(privacyPolicyView, 'GET', '/privacy-policy')
      .then(setPolicy)
      .catch((err: unknown) => toast(errorText(err)));
  }, []);
  return (
    <div class="page narrow account-page">
      <h1>{t('account:privacy.title')}</h1>
      {policy && (
        <article class="card policy" data-testid="policy" data-version={policy.version}>
          <p class="muted">{t('account:privacy.version', { version: policy.version })}</p>
          {policy.text[lang.value].split(/\n\s*\n/).map((para, i) => (
            <p key={i}>{para}</p>
          ))}
        </article>
      )}
    </div>
  );
}
