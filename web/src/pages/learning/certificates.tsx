import { useEffect, useState } from 'preact/hooks';
import type { CertificateView } from '../../../../server/protocol/certificates';
import { ApiError, api } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { t, locale } from '../../kit/i18n';
import { toast } from '../../kit/toast';
import { accessToken } from '../../session';
import '../../styles/certificates.css';

// "My learning"'s certificates: each with its status, date, hours and code, the PDF to
// download (through the API: it needs the token) and the public verification page.

/** The course's zone: the centre's (what the PDF prints). */
const CENTRE_ZONE = 'Europe/Moscow';

export function issueDate(iso: string): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeZone: CENTRE_ZONE }).format(new Date(iso));
}

async function downloadPdf(c: CertificateView): Promise<void> {
  const token = await accessToken();
  const res = await fetch(`/api/v1/certificates/${c.id}/pdf`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    throw new ApiError(res.status, body?.error?.code ?? `http_${res.status}`, body?.error?.message ?? res.statusText);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `certificate-${c.code}.pdf`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  toast(t('learning:certificates.downloadStarted'));
}

export function MyCertificates() {
  const [list, setList] = useState<CertificateView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let current = true;
    api<CertificateView[]>('GET', '/me/certificates').then(
      (l) => current && setList(l),
      (err: unknown) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, []);
  return (
    <section class="certificates" aria-labelledby="certificates-heading" data-testid="my-certificates">
      <h2 id="certificates-heading">{t('learning:certificates.title')}</h2>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {list === null && error === null && <p role="status">{t('learning:certificates.loading')}</p>}
      {list?.length === 0 && <p>{t('learning:certificates.empty')}</p>}
      {list && list.length > 0 && (
        <ul class="course-cards">
          {list.map((c) => (
            <li key={c.id} class="course-card" data-testid="certificate" data-status={c.status} data-course={c.courseId}>
              <h3>
                {t('learning:certificates.course', { title: c.courseTitle })}{' '}
                <span class={`badge ${c.status}`}>{t(`learning:certificates.${c.status}`)}</span>
              </h3>
              <p>
                {t('learning:certificates.issued', { date: issueDate(c.issuedAt) })} ·{' '}
                {t('learning:certificates.hours', { hours: c.hours.toLocaleString(locale()) })}
              </p>
              <p class="muted">{t('learning:certificates.code', { code: c.code })}</p>
              {c.revokedReason && c.status === 'revoked' && <p>{t('learning:certificates.revokedBecause', { reason: c.revokedReason })}</p>}
              <p class="ws-actions">
                {c.status === 'valid' && (
                  <ActionButton data-testid="download-certificate" run={() => downloadPdf(c)}>
                    {t('learning:certificates.download')}
                  </ActionButton>
                )}{' '}
                <a href={`/verify/${c.code}`}>{t('learning:certificates.verifyLink')}</a>
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
