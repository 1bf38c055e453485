import type { Actor } from '../accounts/grants';
import type { User, UserDirectory } from '../accounts/model';
import type { PageQuery, RegistrantView } from '../protocol';
import type { Table } from '../tables';
import type { Page, Registration, RegistrationRepository } from './model';
import type { SeminarService } from './service';
import { instantToZoned } from './time';

export interface RegistrantDeps {
  seminars: SeminarService;
  registrations: RegistrationRepository;
  users: Pick<UserDirectory, 'findByIds'>;
}

/** How many registrations the CSV reads at a time: a seminar of 100,000 is never in memory at once. */
const CSV_BATCH = 500;

/**
 * Who registered for a seminar, with their answers to its questions: a page for the
 * organiser's list, or the whole of it as CSV. Only the seminar's lecturers and admins.
 */
export class RegistrantService {
  constructor(private readonly deps: RegistrantDeps) {}

  async list(actor: Actor, seminarId: string, page: PageQuery): Promise<Page<RegistrantView>> {
    await this.deps.seminars.managed(actor, seminarId);
    const regs = await this.deps.registrations.listForSeminar(seminarId, page.limit, page.cursor);
    return { items: await this.views(regs.items), nextCursor: regs.nextCursor };
  }

  /**
   * The registrations as a table for CSV, read batch by batch as the download goes (the HTTP
   * layer streams it, UTF-8 with a byte-order mark for Excel). One column per question, in the
   * seminar's order; times in the seminar's zone.
   */
  async csv(actor: Actor, seminarId: string): Promise<Table> {
    const seminar = await this.deps.seminars.managed(actor, seminarId);
    const ru = seminar.language === 'ru';
    const header = [
      ru ? 'Имя' : 'Name',
      'E-mail',
      ru ? 'Статус' : 'Status',
      ru ? `Дата записи (${seminar.timeZone})` : `Registered at (${seminar.timeZone})`,
      ...seminar.questions.map((q) => q.label),
    ];
    const rows = async function* (this: RegistrantService): AsyncGenerator<string[]> {
      let cursor: string | undefined;
      do {
        const batch = await this.deps.registrations.listForSeminar(seminarId, CSV_BATCH, cursor);
        for (const r of await this.views(batch.items)) {
          yield [
            r.displayName,
            r.email,
            r.status,
            instantToZoned(new Date(r.createdAt), seminar.timeZone).replace('T', ' '),
            ...seminar.questions.map((q) => (Object.hasOwn(r.answers, q.id) ? (r.answers[q.id] ?? '') : '')),
          ];
        }
        cursor = batch.nextCursor ?? undefined;
      } while (cursor);
    };
    return { header, rows: rows.call(this) };
  }

  private async views(regs: Registration[]): Promise<RegistrantView[]> {
    const users = new Map<string, User>((await this.deps.users.findByIds(regs.map((r) => r.userId))).map((u) => [u.id, u]));
    return regs
      .filter((r) => r.status !== 'pending')
      .map((r) => ({
        userId: r.userId,
        displayName: users.get(r.userId)?.displayName ?? '',
        email: users.get(r.userId)?.email ?? '',
        status: r.status === 'registered' ? 'registered' : 'waitlisted',
        createdAt: r.createdAt.toISOString(),
        answers: r.answers,
      }));
  }
}
