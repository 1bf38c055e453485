import type { UserRepository } from '../accounts/model';
import { hashOpaqueToken, newOpaqueToken } from '../accounts/tokens';
import type { Actor } from '../accounts/grants';
import { NotFoundError, UnauthorizedError } from '../errors';
import { seminarsCalendar } from './calendar';
import type { RegistrationRepository, SeminarRepository } from './model';
import type { SeminarService } from './service';

/**
 * ICS for one seminar, and each user's personal feed of the seminars they
 * registered for. The feed sits behind an unguessable token of its own, since
 * calendar apps cannot send a bearer token; rotating it revokes the old URL.
 */
export class CalendarService {
  constructor(
    private readonly deps: {
      seminars: SeminarRepository;
      registrations: RegistrationRepository;
      users: UserRepository;
      seminarService: SeminarService;
      publicBaseUrl: string;
    },
  ) {}

  async seminarIcs(actor: Actor, id: string): Promise<string> {
    const seminar = await this.deps.seminarService.visible(actor, id);
    return seminarsCalendar([seminar], { name: seminar.title, publicBaseUrl: this.deps.publicBaseUrl });
  }

  /** Issues a new feed URL; the previous one stops working. */
  async rotateFeed(actor: Actor): Promise<{ url: string }> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const { token, hash } = newOpaqueToken();
    await this.deps.users.setCalendarTokenHash(actor.userId, hash);
    return { url: `${this.deps.publicBaseUrl}/api/v1/calendar/${token}.ics` };
  }

  async feed(token: string): Promise<string> {
    const user = await this.deps.users.findByCalendarTokenHash(hashOpaqueToken(token));
    if (!user) throw new NotFoundError('calendar_not_found', 'No such calendar feed');
    const ids = await this.deps.registrations.seminarIdsForUser(user.id);
    const seminars = (await this.deps.seminars.listByIds(ids)).filter((s) => s.status !== 'draft');
    const name = user.locale === 'ru' ? 'Лектерн: мои семинары' : 'Lectern: my seminars';
    return seminarsCalendar(seminars, { name, publicBaseUrl: this.deps.publicBaseUrl });
  }
}
