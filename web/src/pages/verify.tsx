import type { CertificateVerificationView } from '../../../server/protocol/certificates';
import { api } from '../kit/api';
import { errorCode, errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { Loading } from '../kit/load-states';
import { useTitle } from '../kit/shell';
import { issueDate } from './learning/certificates';
import { useLoad } from './workspace/load';
import '../styles/learning.css';
import '../styles/certificates.css';

// The public verification page a certificate's QR code opens: valid or revoked, the course
// and the date. No sign-in, and nothing about the learner (the API sends nothing of theirs).

export default function Verify({ id }: { id: string }) {
  const { data, error } = useLoad(() => api<CertificateVerificationView>('GET', `/certificates/by-code/${encodeURIComponent(id)}`), [id]);
  useTitle(t('learning:certificates.verifyTitle'));
  return (
    <div class="page narrow verify-page" data-testid="verify-page" data-status={data?.status ?? ''}>
      <h1>{t('learning:certificates.verifyTitle')}</h1>
      {error !== null && (
        <p role="alert" data-testid="verify-error">
          {errorCode(error) === 'certificate_not_found' || errorCode(error) === 'invalid_request'
            ? t('learning:certificates.verifyNotFound')
            : errorText(error)}
        </p>
      )}
      {!data && error === null && <Loading text={t('learning:certificates.loading')} />}
      {data && (
        <div class={`verify-result ${data.status}`} role="status">
          <p class="verify-verdict" data-testid="verify-verdict">
            {data.status === 'valid' ? `✓ ${t('learning:certificates.verifyValid')}` : `✗ ${t('learning:certificates.verifyRevoked')}`}
          </p>
          <p>{t('learning:certificates.verifyCourse', { title: data.courseTitle })}</p>
          <p>{t('learning:certificates.verifyIssued', { date: issueDate(data.issuedAt) })}</p>
          {data.revokedAt && <p>{t('learning:certificates.verifyRevokedAt', { date: issueDate(data.revokedAt) })}</p>}
        </div>
      )}
    </div>
  );
}
