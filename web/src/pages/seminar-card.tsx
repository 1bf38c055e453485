import type { SeminarView } from '../../../server/protocol/seminars';
import { dateTime, readerTimeZone, sameOffset, zoneName } from '../kit/format';
import { t } from '../kit/i18n';

/** "3 дек. 2026 г., 18:30 (Москва, стандартное время)": a moment in a zone, with the zone's name. */
export function timeIn(iso: string, timeZone: string): string {
  return `${dateTime(iso, timeZone)} (${zoneName(iso, timeZone)})`;
}

/** Seats left while registration is open; null when it is not. */
export function seatsLeft(s: SeminarView): number | null {
  return s.status === 'scheduled' || s.status === 'live' ? Math.max(0, s.capacity - s.registeredCount) : null;
}

/**
 * One seminar in the catalogue: title, status, the start in the seminar's zone and, when
 * the reader's zone shows another time, in theirs; the track and the seats left.
 */
export function SeminarCard({ s }: { s: SeminarView }) {
  const left = seatsLeft(s);
  const yours = readerTimeZone();
  return (
    <li class="seminar" data-testid="seminar" data-id={s.id}>
      <h3 class="seminar-heading">
        <a class="seminar-title" href={`/seminars/${s.id}`}>
          {s.title}
        </a>{' '}
        <span class={`badge ${s.status}`}>{t(`status.${s.status}`)}</span>
        {s.encoreOf && <span class="badge encore">{t('repeat')}</span>}
      </h3>
      <div data-testid="starts">
        <time dateTime={s.startsAt}>{t('portal:catalogue.starts', { time: timeIn(s.startsAt, s.timeZone) })}</time>
      </div>
      {!sameOffset(s.startsAt, s.timeZone) && (
        <div class="muted" data-testid="your-time">
          {t('portal:catalogue.yourTime', { time: timeIn(s.startsAt, yours) })}
        </div>
      )}
      <div class="muted">
        {s.track}
        {left !== null && ` · ${left > 0 ? t('portal:catalogue.seatsLeft', { count: left }) : t('portal:catalogue.full')}`}
      </div>
    </li>
  );
}
