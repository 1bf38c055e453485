import { locale } from './i18n';

// Dates, times and durations, with Intl in the reader's locale.

/** "18:42" in the reader's own zone. */
export function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
}

/** A moment in a given zone (a seminar's), in the reader's language: "3 дек. 2026 г., 18:30". */
export function dateTime(iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(
    new Date(iso),
  );
}

/** The reader's own time zone. */
export function readerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Whether a zone shows the same wall-clock time as the reader's at this moment. */
export function sameOffset(iso: string, timeZone: string): boolean {
  const at = (zone: string) =>
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', day: '2-digit' }).format(new Date(iso));
  return at(timeZone) === at(readerTimeZone());
}

/** A zone's name as people say it in the reader's language: "Москва, стандартное время" / "Moscow Standard Time". */
export function zoneName(iso: string, timeZone: string): string {
  const part = new Intl.DateTimeFormat(locale(), { timeZone, timeZoneName: 'long' })
    .formatToParts(new Date(iso))
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

/** Media time as a player shows it: 4:05, or 1:02:03 past an hour. */
export function mediaTime(seconds: number): string {
  const s = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}
