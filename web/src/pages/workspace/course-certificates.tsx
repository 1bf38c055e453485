import type { CourseCertificateView } from '../../../../server/protocol/certificates';
import type { CourseView } from '../../../../server/protocol/courses';
import { api } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { Field, FormError, SubmitButton, text, useForm } from '../../kit/form';
import { t } from '../../kit/i18n';
import { PageLoadFailed, PageLoading } from '../../kit/load-states';
import { useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { issueDate } from '../learning/certificates';
import { useLoad } from './load';
import '../../styles/workspace.css';
import '../../styles/certificates.css';

// A course's certificates for its lecturers and admins: who holds which, valid or revoked;
// revoke one (with a reason: its verification page says revoked at once) or re-issue it
// (a new code; the old one shows revoked).

function RevokeForm({ c, done }: { c: CourseCertificateView; done: () => void }) {
  const form = useForm(async (data) => {
    await api('POST', `/certificates/${c.id}/revocation`, { reason: text(data, 'reason') });
    toast(t('learning:certificates.revokedToast'));
    done();
  });
  return (
    <form class="revoke-form" onSubmit={form.onSubmit} noValidate data-testid="revoke-form">
      <Field form={form} name="reason" label={t('learning:certificates.reason')} required maxLength={500} />
      <SubmitButton form={form} class="danger">
        {t('learning:certificates.revoke')}
      </SubmitButton>
      <FormError form={form} />
    </form>
  );
}

export default function CourseCertificates({ id }: { id: string }) {
  const { data, error, reload } = useLoad(async () => {
    const [course, list] = await Promise.all([
      api<CourseView>('GET', `/courses/${encodeURIComponent(id)}`),
      api<CourseCertificateView[]>('GET', `/courses/${encodeURIComponent(id)}/certificates`),
    ]);
    return { course, list };
  }, [id]);
  const title = data ? `${t('learning:certificates.staffTitle')}: ${data.course.title}` : t('learning:certificates.staffTitle');
  useTitle(title);
  if (error !== null) return <PageLoadFailed error={error} />;
  if (!data) return <PageLoading text={t('learning:certificates.loading')} />;
  // Only a learner's newest certificate may be re-issued (a revoked one too: revoked by mistake).
  const newest = new Map<string, number>();
  for (const c of data.list) newest.set(c.userId, Math.max(newest.get(c.userId) ?? 0, c.generation));
  return (
    <div class="page ws-page" data-testid="course-certificates">
      <h1>{title}</h1>
      <p>
        <a href="/workspace/courses">{t('learning:certificates.back')}</a>
      </p>
      {data.list.length === 0 && <p>{t('learning:certificates.staffEmpty')}</p>}
      <ul class="ws-list">
        {data.list.map((c) => (
          <li key={c.id} class="ws-item" data-testid="staff-certificate" data-code={c.code} data-status={c.status}>
            <div>
              <strong>{c.learnerName}</strong> <span class={`badge ${c.status}`}>{t(`learning:certificates.${c.status}`)}</span>
            </div>
            <div class="muted certificate-code">
              {t('learning:certificates.issued', { date: issueDate(c.issuedAt) })} · {t('learning:certificates.code', { code: c.code })}
            </div>
            {c.status === 'revoked' && c.revokedReason && <p>{t('learning:certificates.revokedBecause', { reason: c.revokedReason })}</p>}
            {c.status === 'valid' && <RevokeForm c={c} done={reload} />}
            {newest.get(c.userId) === c.generation && (
              <ActionButton
                data-testid="reissue"
                run={async () => {
                  await api('POST', `/certificates/${c.id}/reissue`);
                  toast(t('learning:certificates.reissuedToast'));
                  reload();
                }}
              >
                {t('learning:certificates.reissue')}
              </ActionButton>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
