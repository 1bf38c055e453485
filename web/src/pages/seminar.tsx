import { useCallback, useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { RegistrationView, SeminarPageView } from '../../../server/protocol/seminars';
import { api, ApiError } from '../kit/api';
import { dateTime, readerTimeZone, sameOffset, zoneName } from '../kit/format';
import { t } from '../kit/i18n';
import { LoadFailed, Loading } from '../kit/load-states';
import { signInHref, useTitle } from '../kit/shell';
import { who } from '../session';
import { EmbedSnippet } from './embed-snippet';
import { SeminarCalendar } from './seminar-calendar';
import { RegistrationPanel } from './seminar-registration';
import { seatsLeft, timeIn } from './seminar-card';
import { runsSeminar } from './seminar-links';
import { useRecordingReady } from './use-recording';
import { RelatedArticles } from './related-articles';
import { EncoreForm } from './encore-form';
import '../styles/portal.css';

// A seminar's own page: what, when (in the seminar's zone, and the reader's when it
// differs), who teaches it, seats or the reader's waitlist place, registration, the
// calendar, and where to watch: the room while it is on, the recording once it is ready.

/** How often a waitlisted reader's place is asked again: a freed seat shows without a reload. */
const WAITLIST_REFRESH_MS = 15_000;

/** The reader's registration: null when not registered, undefined when it does not apply (signed out, staff). */
function useRegistration(id: string) {
  const [registration, setRegistration] = useState<RegistrationView | null | undefined>(undefined);
  const userId = who.value?.userId ?? null;
  const load = useCallback(async () => {
    if (!userId) return setRegistration(undefined);
    try {
      setRegistration(await api<RegistrationView>('GET', `/seminars/${encodeURIComponent(id)}/registration`));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'not_registered') setRegistration(null);
      // Without the grant to register (staff), or the seminar gone: no registration to show.
      else setRegistration(undefined);
    }
  }, [id, userId]);
  useEffect(() => void load(), [load]);
  useEffect(() => {
    if (registration?.status !== 'waitlisted') return;
    const timer = setInterval(() => void load(), WAITLIST_REFRESH_MS);
    return () => clearInterval(timer);
  }, [registration?.status, load]);
  return { registration, setRegistration, reload: load };
}

function WatchLinks({ s }: { s: SeminarPageView }) {
  const recording = useRecordingReady(s.id, s.status === 'ended');
  const me = who.value;
  return (
    <div class="links watch-links">
      {s.status === 'live' && (
        <a class="button primary" href={`/watch/${s.id}`} data-testid="watch-live">
          {t('portal:seminar.watchLive')}
        </a>
      )}
      {s.status === 'scheduled' && (
        <a href={`/watch/${s.id}`} data-testid="open-room">
          {t('portal:seminar.openRoom')}
        </a>
      )}
      {recording === 'ready' && (
        <a class="button primary" href={`/replay/${s.id}`} data-testid="watch-recording">
          {t('portal:seminar.watchRecording')}
        </a>
      )}
      {recording === 'pending' && (
        <span class="muted" role="status">
          {t('portal:seminar.recordingPending')}
        </span>
      )}
      {runsSeminar(s, me) && s.status !== 'ended' && s.status !== 'cancelled' && (
        <a href={`/studio/${s.id}`}>{t('portal:seminars.studio')}</a>
      )}
    </div>
  );
}

export default function Seminar({ id }: { id: string }) {
  const [seminar, setSeminar] = useState<SeminarPageView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { url } = useLocation();
  const userId = who.value?.userId;
  const load = useCallback(
    () => api<SeminarPageView>('GET', `/seminars/${encodeURIComponent(id)}`).then(setSeminar, setError),
    [id, userId],
  );
  useEffect(() => {
    setSeminar(null);
    setError(null);
    void load();
  }, [load]);
  const reg = useRegistration(id);
  useTitle(seminar?.title);

  if (error) return <LoadFailed error={error} back={{ href: '/seminars', label: t('notFound.home') }} />;
  if (!seminar) return <Loading text={t('portal:seminar.loading')} />;
  const s = seminar;
  const left = seatsLeft(s);
  const names = s.lecturers.map((l) => l.displayName);
  return (
    <article class="page narrow seminar-page" data-testid="seminar-page">
      <h1>
        {s.title} <span class={`badge ${s.status}`}>{t(`status.${s.status}`)}</span>
        {s.encoreOf && (
          <span class="badge encore" data-testid="encore-badge">
            {t('repeat')}
          </span>
        )}
      </h1>
      {s.encoreOf && (
        <p data-testid="encore-of">
          <a href={`/seminars/${s.encoreOf}`}>{t('portal:encore.of')}</a>
        </p>
      )}
      <p data-testid="starts">
        {t('portal:seminar.when', { time: dateTime(s.startsAt, s.timeZone), zone: zoneName(s.startsAt, s.timeZone) })}
      </p>
      {!sameOffset(s.startsAt, s.timeZone) && (
        <p class="muted" data-testid="your-time">
          {t('portal:seminar.yourTime', { time: timeIn(s.startsAt, readerTimeZone()) })}
        </p>
      )}
      <p class="muted">
        {t('portal:seminar.duration', { count: s.durationMinutes })} · {t('portal:seminar.track', { track: s.track })}
      </p>
      {names.length > 0 && <LecturerLinks lecturers={s.lecturers} />}
      {s.description && <p class="description">{s.description}</p>}
      <WatchLinks s={s} />
      {runsSeminar(s, who.value) && <EmbedSnippet s={s} />}
      {runsSeminar(s, who.value) && s.status === 'ended' && <EncoreForm s={s} />}
      <section class="seminar-section" aria-labelledby="registration-title">
        <h2 id="registration-title">{t('portal:seminar.registration')}</h2>
        {left !== null && (
          <p data-testid="seats">
            {left > 0 ? t('portal:seminar.seatsLeft', { count: left, capacity: s.capacity }) : t('portal:seminar.full')}
          </p>
        )}
        {left === null && <p>{t('portal:seminar.registrationClosed')}</p>}
        {!who.value && left !== null && (
          <p>
            <a href={signInHref(url)}>{t('portal:seminar.signInToRegister')}</a>
          </p>
        )}
        {reg.registration !== undefined && (
          <RegistrationPanel
            s={s}
            registration={reg.registration}
            changed={(next) => {
              reg.setRegistration(next);
              void load();
            }}
          />
        )}
      </section>
      {s.status !== 'draft' && s.status !== 'cancelled' && <SeminarCalendar id={s.id} />}
      <RelatedArticles seminarId={s.id} />
    </article>
  );
}

/** "Lecturers: A, B", each name a link to the lecturer's profile (/people/<id>), in the sentence the locale builds. */
function LecturerLinks({ lecturers }: { lecturers: Array<{ id: string; displayName: string }> }) {
  const mark = '\u0000';
  const [before = '', after = ''] = t('portal:seminar.lecturers', { count: lecturers.length, names: mark }).split(mark);
  return (
    <p data-testid="lecturers">
      {before}
      {lecturers.map((l, i) => (
        <span key={l.id}>
          {i > 0 && ', '}
          <a href={`/people/${l.id}`} data-testid="lecturer-link">
            {l.displayName}
          </a>
        </span>
      ))}
      {after}
    </p>
  );
}
