// The demo portal: a lecturer, two learners, an upcoming seminar and a published course
// whose recorded lesson is a real recording, made the way a live seminar is recorded (a
// room, producers, the recorder, HLS), with ffmpeg test sources standing in for the
// lecturer's camera and microphone. Idempotent: each piece is looked up by its e-mail or
// title first, so running it twice adds nothing.
import { DateTime } from 'luxon';
import { grantsFor, type Actor } from '../accounts/grants';
import type { Role } from '../accounts/model';
import { hashPassword } from '../accounts/passwords';
import type { Lectern } from '../main';
import { syntheticSource } from '../../media';
import { courseStructureBody, createSeminarBody } from '../protocol';
import type { SeminarStatus } from '../seminars/model';

export const DEMO_ACCOUNTS = [
  { key: 'lecturer', email: 'lecturer@demo.lectern', password: 'demo-lecturer-2026', displayName: 'Анна Лекторова', roles: ['lecturer'] },
  {
    key: 'learner',
    email: 'maria@demo.lectern',
    password: 'demo-learner-2026',
    displayName: 'Мария Предпринимателева',
    roles: ['learner'],
  },
  { key: 'newcomer', email: 'ivan@demo.lectern', password: 'demo-learner-2026', displayName: 'Иван Новиков', roles: ['learner'] },
] as const satisfies ReadonlyArray<{ key: string; email: string; password: string; displayName: string; roles: Role[] }>;

export const DEMO_TITLES = {
  upcoming: 'Демо: Как получить грант для малого бизнеса',
  recorded: 'Демо: Бизнес-план за один вечер',
  course: 'Демо: Старт своего дела',
} as const;

const TRACK = 'Старт бизнеса';

export interface DemoReport {
  accounts: Array<{ email: string; password: string; displayName: string; roles: readonly Role[]; created: boolean }>;
  upcomingSeminarId: string;
  recordedSeminarId: string;
  courseId: string;
  /** What this run added (empty on a second run). */
  created: string[];
}

export async function seedDemo(app: Lectern, opts: { recordingSeconds: number; log?: (line: string) => void }): Promise<DemoReport> {
  const log = opts.log ?? (() => {});
  const created: string[] = [];
  const actors: Record<string, Extract<Actor, { kind: 'user' }>> = {};
  const accounts: DemoReport['accounts'] = [];
  for (const a of DEMO_ACCOUNTS) {
    let user = await app.repos.users.findByEmail(a.email);
    const isNew = !user;
    if (!user) {
      user = {
        ...(await app.repos.users.create({
          ...a,
          locale: 'ru',
          roles: [...a.roles],
          passwordHash: await hashPassword(a.password),
          // Demo accounts are ready to use: the address counts as confirmed, the policy as agreed to.
          emailConfirmedAt: new Date(),
          consent: { policyVersion: app.config.privacyPolicy.version, at: new Date() },
        })),
        passwordHash: '',
      };
      created.push(`account ${a.email}`);
    }
    actors[a.key] = { kind: 'user', userId: user.id, roles: user.roles, grants: grantsFor(user.roles) };
    accounts.push({ email: a.email, password: a.password, displayName: a.displayName, roles: a.roles, created: isNew });
  }
  const lecturer = actors.lecturer!;

  const findSeminar = async (title: string, statuses: SeminarStatus[]) => {
    const page = await app.repos.seminars.list({ statuses, draftsOf: 'all' }, 100);
    return page.items.find((s) => s.title === title && s.lecturerIds.includes(lecturer.userId)) ?? null;
  };
  const nextWeek = DateTime.now().setZone('Europe/Moscow').plus({ days: 7 }).set({ hour: 18, minute: 30 });

  let upcoming = await findSeminar(DEMO_TITLES.upcoming, ['scheduled', 'live']);
  if (!upcoming) {
    const s = await app.domain.seminars.create(
      lecturer,
      createSeminarBody.parse({
        title: DEMO_TITLES.upcoming,
        description: 'Какие гранты и субсидии доступны предпринимателям Санкт-Петербурга, как собрать заявку и не потерять сроки.',
        track: TRACK,
        startsAt: nextWeek.toFormat("yyyy-MM-dd'T'HH:mm"),
        timeZone: 'Europe/Moscow',
        durationMinutes: 90,
        capacity: 50,
        isPublic: true,
      }),
    );
    await app.domain.seminars.transition(lecturer, s.id, 'scheduled');
    upcoming = (await app.repos.seminars.get(s.id))!;
    created.push(`seminar ${s.id}`);
  }

  // A recorded seminar counts once its recording is ready; one left half-made by an
  // interrupted run is passed over and a new one made.
  let recorded = null;
  for (const s of (await app.repos.seminars.list({ statuses: ['ended'], draftsOf: 'all' }, 100)).items) {
    if (s.title === DEMO_TITLES.recorded && s.lecturerIds.includes(lecturer.userId) && (await app.repos.recordings.latestReady(s.id))) {
      recorded = s;
      break;
    }
  }
  if (!recorded) {
    log(`recording the demo lesson (${opts.recordingSeconds} s of ffmpeg test pattern and tone)…`);
    recorded = await recordDemoSeminar(app, lecturer, opts.recordingSeconds, nextWeek.minus({ days: 14 }));
    created.push(`recorded seminar ${recorded.id}`);
  }

  const courses = await app.repos.courses.list({ publishedOrOwnedBy: 'all' }, 100);
  let course = courses.items.find((c) => c.title === DEMO_TITLES.course && c.ownerIds.includes(lecturer.userId)) ?? null;
  if (!course) {
    const c = await app.domain.courses.create(lecturer, {
      title: DEMO_TITLES.course,
      description: 'Короткий курс для тех, кто открывает своё дело: план, деньги и первые шаги. Записи семинаров и текстовые уроки.',
      track: TRACK,
      completionThreshold: 0.9,
    });
    await app.domain.courses.setStructure(
      lecturer,
      c.id,
      courseStructureBody.parse({
        modules: [
          {
            title: 'Идея и план',
            lessons: [
              { kind: 'text', title: 'С чего начать', body: START_LESSON, durationSeconds: 180 },
              { kind: 'recording', title: 'Бизнес-план за один вечер', seminarId: recorded.id },
            ],
          },
          { title: 'Деньги', lessons: [{ kind: 'text', title: 'Налоговые режимы для ИП', body: TAX_LESSON, durationSeconds: 240 }] },
        ],
      }),
    );
    await app.domain.courses.setPublished(lecturer, c.id, true);
    course = (await app.repos.courses.get(c.id))!;
    created.push(`course ${c.id}`);
  }
  // The first learner is enrolled (enrolment is idempotent); the second finds the course themselves.
  await app.domain.courses.enrol(actors.learner!, course.id);

  return { accounts, upcomingSeminarId: upcoming.id, recordedSeminarId: recorded.id, courseId: course.id, created };
}

/** A seminar taken live, fed by the synthetic source for `seconds`, and ended: its recording finalized. */
async function recordDemoSeminar(app: Lectern, lecturer: Extract<Actor, { kind: 'user' }>, seconds: number, when: DateTime) {
  const s = await app.domain.seminars.create(
    lecturer,
    createSeminarBody.parse({
      title: DEMO_TITLES.recorded,
      description: 'Запись семинара: из чего состоит бизнес-план и как написать первую версию за вечер.',
      track: TRACK,
      startsAt: when.toFormat("yyyy-MM-dd'T'HH:mm"),
      timeZone: 'Europe/Moscow',
      durationMinutes: 60,
      capacity: 100,
      isPublic: true,
    }),
  );
  await app.domain.seminars.transition(lecturer, s.id, 'scheduled');
  await app.domain.seminars.transition(lecturer, s.id, 'live');
  const room = await app.rooms.get(s.id);
  const source = await syntheticSource(room.origin, { ffmpegBin: app.config.ffmpegBin, seconds: seconds + 30 });
  try {
    const seminar = (await app.repos.seminars.get(s.id))!;
    app.recorder.producerAdded(room, seminar, { producer: source.video, source: 'camera', role: 'lecturer' });
    app.recorder.producerAdded(room, seminar, { producer: source.audio, source: 'mic', role: 'lecturer' });
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    await app.domain.seminars.transition(lecturer, s.id, 'ended');
  } finally {
    source.close();
  }
  const recording = await app.repos.recordings.latestReady(s.id);
  if (!recording) throw new Error(`the demo seminar ${s.id} ended without a ready recording`);
  return (await app.repos.seminars.get(s.id))!;
}

const START_LESSON = `# С чего начать своё дело

Хорошая идея — ещё не бизнес. Прежде чем регистрировать ИП, ответьте на три вопроса:

1. **Кто ваш клиент** и какую его задачу вы решаете?
2. **Сколько он готов платить** и как часто?
3. **Во что обойдётся** привлечь одного клиента?

> Запишите ответы: к ним мы вернёмся в записи семинара «Бизнес-план за один вечер».

Полезные ссылки:

- [Центр поддержки предпринимательства](https://example.org/centre)
- [Реестр мер поддержки МСП](https://example.org/support)
`;

const TAX_LESSON = `# Налоговые режимы для ИП

| Режим | Кому подходит | Ставка |
| --- | --- | --- |
| НПД (самозанятость) | доход до 2,4 млн ₽ в год, без сотрудников | 4 % / 6 % |
| УСН «доходы» | мало расходов | 6 % |
| УСН «доходы минус расходы» | расходы больше 60 % выручки | 15 % |
| Патент | отдельные виды деятельности | фиксированная сумма |

Режим можно сменить, но обычно — только с нового года. Посчитайте оба варианта УСН на своих цифрах.
`;
