import { DateTime } from 'luxon';

// Wall-clock time in an IANA zone <-> instants.

/** "2026-12-03T18:30" in Europe/Moscow -> the instant. A wall time inside a DST gap moves forward. */
export function zonedToInstant(local: string, timeZone: string): Date {
  const dt = DateTime.fromISO(local, { zone: timeZone });
  if (!dt.isValid) throw new Error(`not a local date-time in ${timeZone}: ${local}`);
  return dt.toJSDate();
}

/** The instant as wall-clock "YYYY-MM-DDTHH:mm" in the zone. */
export function instantToZoned(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toFormat("yyyy-MM-dd'T'HH:mm");
}

export function inZone(instant: Date, timeZone: string): DateTime {
  return DateTime.fromJSDate(instant, { zone: timeZone });
}
