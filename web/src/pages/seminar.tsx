import { useEffect, useState } from 'preact/hooks';
import type { SeminarView } from '../../../server/protocol/seminars';
import { api } from '../kit/api';
import { errorText } from '../kit/errors';
import { dateTime, readerTimeZone, sameOffset, zoneName } from '../kit/format';
import { t } from '../kit/i18n';
import { useTitle } from '../kit/shell';
import { who } from '../session';
import { RegistrationForm } from './registration-questions';
import { SeminarLinks } from './seminar-links';
import '../styles/portal.css';

// A seminar's own page: what, when (in the seminar's zone, and the reader's when it
// differs), its status and where to go from here. The portal (issue #12) grows it:
// description, lecturers, registration, calendar.

export default function Seminar({ id }: { id: string }) {
  const [seminar, setSeminar] = useState<SeminarView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let current = true;
    setSeminar(null);
    setError(null);
    api<SeminarView>('GET', `/seminars/${encodeURIComponent(id)}`).then(
      (s) => current && setSeminar(s),
      (err: unknown) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [id, who.value?.userId]);
  useTitle(seminar?.title);

  if (error) {
    return (
      <div class="page narrow">
        <h1>{t('notFound.title')}</h1>
        <p role="alert">{errorText(error)}</p>
        <p>
          <a href="/">{t('notFound.home')}</a>
        </p>
      </div>
    );
  }
  if (!seminar) {
    return (
      <div class="page narrow">
        <p role="status">{t('portal:seminar.loading')}</p>
      </div>
    );
  }
  const s = seminar;
  const local = !sameOffset(s.startsAt, s.timeZone);
  return (
    <article class="page narrow seminar-page" data-testid="seminar-page">
      <h1>
        {s.title} <span class={`badge ${s.status}`}>{t(`status.${s.status}`)}</span>
      </h1>
      <p>{t('portal:seminar.when', { time: dateTime(s.startsAt, s.timeZone), zone: zoneName(s.startsAt, s.timeZone) })}</p>
      {local && (
        <p class="muted">
          {t('portal:seminar.yourTime', { time: `${dateTime(s.startsAt, readerTimeZone())} (${zoneName(s.startsAt, readerTimeZone())})` })}
        </p>
      )}
      <p class="muted">
        {t('portal:seminar.duration', { count: s.durationMinutes })} · {t('portal:seminar.track', { track: s.track })} ·{' '}
        {t('portal:seminar.registered', { count: s.registeredCount, capacity: s.capacity })}
      </p>
      {s.description && <p class="description">{s.description}</p>}
      <SeminarLinks s={s} me={who.value} />
      <RegistrationForm s={s} me={who.value} />
    </article>
  );
}
