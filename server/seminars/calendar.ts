import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { Seminar } from './model';
import { inZone } from './time';

export interface CalendarOptions {
  name: string;
  publicBaseUrl: string;
}

/**
 * An iCalendar feed of seminars, each at its own zone's wall-clock time with a
 * VTIMEZONE. UIDs are stable and SEQUENCE follows the seminar, so a moved or
 * cancelled seminar updates the entry that a calendar already holds.
 */
export function seminarsCalendar(seminars: Seminar[], opts: CalendarOptions): string {
  const cal = ical({
    name: opts.name,
    method: ICalCalendarMethod.PUBLISH,
    prodId: { company: 'Lectern', product: 'seminars', language: 'RU' },
  });
  cal.timezone({ name: null, generator: getVtimezoneComponent });
  for (const s of seminars) {
    cal.createEvent({
      id: `seminar-${s.id}@lectern`,
      sequence: s.sequence,
      // Luxon values carry their zone; ical-generator writes a native Date's UTC fields under the TZID.
      start: inZone(s.startsAt, s.timeZone),
      end: inZone(s.startsAt, s.timeZone).plus({ minutes: s.durationMinutes }),
      timezone: s.timeZone,
      summary: s.title,
      description: s.description,
      url: `${opts.publicBaseUrl}/seminars/${s.id}`,
      categories: [{ name: s.track }],
      status: s.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      stamp: new Date(),
    });
  }
  return cal.toString();
}
