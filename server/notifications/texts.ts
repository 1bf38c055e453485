import type { Locale } from '../accounts/model';
import type { Seminar } from '../seminars/model';
import { inZone } from '../seminars/time';
import type { NotificationKind } from './model';

/** The message for a user, in their language, with times in the seminar's zone. */
export function messageFor(kind: NotificationKind, seminar: Seminar, locale: Locale, link: string): { title: string; body: string } {
  const when = inZone(seminar.startsAt, seminar.timeZone)
    .setLocale(locale)
    .toLocaleString({ day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
  const t = seminar.title;
  const ru: Record<NotificationKind, [string, string]> = {
    reminder_24h: [`Завтра: «${t}»`, `Семинар «${t}» начнётся ${when}. Ссылка: ${link}`],
    reminder_1h: [`Через час: «${t}»`, `Семинар «${t}» начнётся ${when}. Ссылка: ${link}`],
    live_now: [`В эфире: «${t}»`, `Семинар «${t}» уже идёт. Подключайтесь: ${link}`],
    cancelled: [`Отменён: «${t}»`, `Семинар «${t}», назначенный на ${when}, отменён.`],
    rescheduled: [`Перенесён: «${t}»`, `Семинар «${t}» перенесён на ${when}. Ссылка: ${link}`],
    promoted: [`Место освободилось: «${t}»`, `Вы записаны на семинар «${t}» (${when}) из листа ожидания. Ссылка: ${link}`],
  };
  const en: Record<NotificationKind, [string, string]> = {
    reminder_24h: [`Tomorrow: “${t}”`, `The seminar “${t}” starts ${when}. Link: ${link}`],
    reminder_1h: [`In one hour: “${t}”`, `The seminar “${t}” starts ${when}. Link: ${link}`],
    live_now: [`Live now: “${t}”`, `The seminar “${t}” is live. Join: ${link}`],
    cancelled: [`Cancelled: “${t}”`, `The seminar “${t}” planned for ${when} is cancelled.`],
    rescheduled: [`Moved: “${t}”`, `The seminar “${t}” has moved to ${when}. Link: ${link}`],
    promoted: [`You got a seat: “${t}”`, `A seat freed up: you are registered for “${t}” (${when}). Link: ${link}`],
  };
  const [title, body] = (locale === 'ru' ? ru : en)[kind];
  return { title, body };
}
