import { expect } from 'vitest';
import type { Lectern } from '../../server/main';
import type { ProgressRecord } from '../../server/progress/model';
import { registerUser, type Api, type TestUser } from './api';

// Known attendance and progress for the analytics tests (API and browser), and the figures
// they should give, worked out here by brute force: every second of the session and every
// bucket of a video sampled one by one, without the server's merging or sweeping.

const S = 1000;
const MIN = 60 * S;
/** Moscow has kept UTC+3 all year since 2014: the seminar's zone, without a time-zone library. */
const moscow = (ms: number) => new Date(ms + 3 * 3600 * S).toISOString().slice(0, 19).replace('T', ' ');

export const QUESTIONS = [
  { id: 'q1', label: 'Компания', kind: 'text', required: true },
  { id: 'q2', label: 'Стадия бизнеса', kind: 'choice', required: false, options: ['Идея', 'Первые продажи', 'Рост'] },
];

export interface SeededSeminar {
  id: string;
  title: string;
  /** The figures the API and the page must show. */
  expected: {
    registered: number;
    waitlisted: number;
    attendees: number;
    registeredAttendees: number;
    peakViewers: number;
    averageViewers: number;
    averageMinutesLive: number;
    chatMessages: number;
    questions: number;
    replayViewers: number;
    seconds: number;
    stepSeconds: number;
    timeline: number[];
    reactions: number;
    presenceChecks: number;
    engagement: number[];
  };
  /** The attendance CSV, header and rows, cell by cell. */
  csv: string[][];
}

/**
 * A seminar of 25 minutes that went live at t0 and ended: three registered (the third
 * waitlisted), a stranger who joined without registering, the lecturer in the room throughout.
 */
export async function seedSeminar(app: Lectern, api: Api, lecturer: TestUser, title = 'Маркетинг для ИП: итоги'): Promise<SeededSeminar> {
  const created = await api.call('POST', '/seminars', {
    token: lecturer.token,
    body: { title, track: 'marketing', startsAt: '2031-05-20T18:30', durationMinutes: 30, capacity: 2, questions: QUESTIONS },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await api.call('POST', `/seminars/${id}/transitions`, { token: lecturer.token, body: { to: 'scheduled' } })).status).toBe(200);

  const anna = await registerUser(api, { displayName: 'Анна "Кофейня", ИП' });
  const boris = await registerUser(api, { displayName: 'Борис Петров' });
  const vera = await registerUser(api, { displayName: 'Вера =SUM(1)' });
  const stranger = await registerUser(api, { displayName: 'Глеб Без Записи' });
  const answers: Record<string, Record<string, string>> = {
    [anna.id]: { q1: 'Кофейня «Утро»', q2: 'Рост' },
    [boris.id]: { q1: 'ИП Петров' },
    [vera.id]: { q1: '=HYPERLINK("x")', q2: 'Идея' },
  };
  for (const u of [anna, boris, vera]) {
    const res = await api.call('PUT', `/seminars/${id}/registration`, { token: u.token, body: { answers: answers[u.id] } });
    expect(res.status).toBe(200);
  }

  // The session: live at t0 (whole seconds, so that the CSV's times are exact), 25 minutes.
  const t0 = Math.floor(Date.now() / S) * S - 3 * 3600 * S;
  const end = t0 + 25 * MIN;
  expect(await app.repos.seminars.transition(id, ['scheduled'], 'live', new Date(t0))).not.toBeNull();
  const spans: Array<{ user: TestUser; from: number; to: number }> = [
    // Two overlapping spans (two nodes), then a rejoin: 0-15 min and 20-25 min.
    { user: anna, from: t0, to: t0 + 10 * MIN },
    { user: anna, from: t0 + 5 * MIN, to: t0 + 15 * MIN },
    { user: anna, from: t0 + 20 * MIN, to: end },
    { user: boris, from: t0 + 100.4 * S, to: t0 + 700 * S },
    { user: stranger, from: t0 + 50 * S, to: t0 + 1000 * S },
    { user: lecturer, from: t0, to: end },
  ];
  for (const s of spans) {
    const record = await app.repos.live.openAttendance(id, s.user.id, new Date(s.from));
    await app.repos.live.closeAttendance(record.id, new Date(s.to));
  }
  expect(await app.repos.seminars.transition(id, ['live'], 'ended', new Date(end))).not.toBeNull();

  for (const [i, text] of ['Здравствуйте!', 'Слышно?', 'спам'].entries()) {
    await app.repos.live.addChat({ seminarId: id, userId: anna.id, displayName: 'Анна', text, at: new Date(t0 + i * S), offsetMs: i * S });
  }
  const spam = (await app.repos.live.recentChat(id, 10)).find((m) => m.text === 'спам')!;
  expect(await app.repos.live.deleteChat(id, spam.id)).toBe(true);
  for (const text of ['Как считать налог?', 'Где запись?']) {
    await app.repos.live.addQuestion({ seminarId: id, userId: boris.id, displayName: 'Борис', text, at: new Date(t0), offsetMs: 0 });
  }
  // Presence checks at 2, 12 and 22 minutes: Anna (in for all three) confirms the first and the
  // last; Boris (in for the first) none; the stranger (in for two) the second.
  const checks = [];
  for (const minute of [2, 12, 22]) {
    const askedAt = new Date(t0 + minute * MIN);
    checks.push(
      await app.repos.audience.addCheck({
        seminarId: id,
        askedAt,
        offsetMs: minute * MIN,
        closesAt: new Date(askedAt.getTime() + MIN),
        viewersAsked: 3,
      }),
    );
  }
  for (const [user, check] of [
    [anna, 0],
    [anna, 2],
    [stranger, 1],
  ] as const) {
    expect(await app.repos.audience.addAnswer({ checkId: checks[check]!.id, seminarId: id, userId: user.id, at: new Date(t0 + MIN) })).toBe(
      true,
    );
  }
  // Reactions: two windows in the fifth second of the timeline's steps, one at ten minutes.
  const reactionsAt = [
    { at: 30 * S, total: 5 },
    { at: 30.4 * S, total: 3 },
    { at: 600 * S, total: 7 },
  ];
  await app.repos.audience.addReactionWindows(
    reactionsAt.map((r) => ({ seminarId: id, at: new Date(t0 + r.at), offsetMs: r.at, counts: { like: r.total }, total: r.total })),
  );

  // The replay since: two learners watched some of it, a third only opened it.
  await saveProgress(app, [record(anna.id, id, [[0, 120]]), record(stranger.id, id, [[30, 40]]), record(boris.id, id, [])]);

  // Every second of the session, the viewers counted one by one from the raw spans.
  const viewers = spans.filter((s) => s.user !== lecturer);
  const seconds = 25 * 60;
  const perSecond: number[] = [];
  for (let t = 0; t < seconds; t++) {
    const at = t0 + t * S;
    perSecond.push(new Set(viewers.filter((s) => s.from <= at && at < s.to).map((s) => s.user.id)).size);
  }
  const stepSeconds = Math.ceil(seconds / 240);
  const timeline: number[] = [];
  for (let i = 0; i < seconds; i += stepSeconds) timeline.push(Math.max(...perSecond.slice(i, i + stepSeconds)));
  const engagement = timeline.map(() => 0);
  for (const r of reactionsAt) engagement[Math.floor(r.at / S / stepSeconds)]! += r.total;
  // Time in the room per user, each millisecond counted once however many spans hold it.
  const msIn = (user: TestUser) => {
    let ms = 0;
    for (let at = t0; at < end; at += 100) if (viewers.some((s) => s.user === user && s.from <= at && at < s.to)) ms += 100;
    return ms;
  };
  const annaMs = msIn(anna);
  const borisMs = msIn(boris);
  const strangerMs = msIn(stranger);
  const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;

  const row = (
    u: TestUser,
    name: string,
    status: string,
    joins: number,
    first: string,
    last: string,
    ms: number,
    presence: [number, number],
    a: Record<string, string>,
  ) => [
    name,
    u.email,
    status,
    String(joins),
    first,
    last,
    String(Math.round(ms / S)),
    ...presence.map(String),
    // csv-stringify defuses a formula with a leading apostrophe.
    ...QUESTIONS.map((q) => (a[q.id] ?? '').replace(/^([=+\-@])/, "'$1")),
  ];
  return {
    id,
    title,
    expected: {
      registered: 2,
      waitlisted: 1,
      attendees: 3,
      registeredAttendees: 2,
      peakViewers: Math.max(...perSecond),
      averageViewers: round(perSecond.reduce((a, b) => a + b, 0) / seconds, 2),
      averageMinutesLive: round((annaMs + borisMs + strangerMs) / 3 / MIN, 1),
      chatMessages: 2,
      questions: 2,
      replayViewers: 2,
      seconds,
      stepSeconds,
      timeline,
      reactions: 15,
      presenceChecks: 3,
      engagement,
    },
    csv: [
      [
        'Имя',
        'E-mail',
        'Запись',
        'Входов',
        'Первый вход (Europe/Moscow)',
        'Последний выход (Europe/Moscow)',
        'Секунд в эфире',
        'Проверок присутствия пройдено',
        'Проверок присутствия задано',
        'Компания',
        'Стадия бизнеса',
      ],
      row(anna, 'Анна "Кофейня", ИП', 'registered', 3, moscow(t0), moscow(end), annaMs, [2, 3], answers[anna.id]!),
      row(boris, 'Борис Петров', 'registered', 1, moscow(t0 + 100.4 * S), moscow(t0 + 700 * S), borisMs, [0, 1], answers[boris.id]!),
      row(vera, 'Вера =SUM(1)', 'waitlisted', 0, '', '', 0, [0, 0], answers[vera.id]!),
      row(stranger, 'Глеб Без Записи', 'not_registered', 1, moscow(t0 + 50 * S), moscow(t0 + 1000 * S), strangerMs, [1, 2], {}),
    ],
  };
}

function record(
  userId: string,
  contentId: string,
  intervals: Array<[number, number]>,
  durationSeconds: number | null = null,
): ProgressRecord {
  const covered = intervals.reduce((s, [a, b]) => s + (b - a), 0);
  return {
    userId,
    contentId,
    intervals,
    coveredSeconds: covered,
    resumePosition: 0,
    resumeSentAt: 0,
    durationSeconds,
    live: {},
    version: 1,
  };
}

async function saveProgress(app: Lectern, records: ProgressRecord[]): Promise<void> {
  expect(await app.repos.progress.saveMany(records)).toEqual(records.map(() => 'saved'));
}

export interface SeededCourse {
  id: string;
  title: string;
  expected: {
    enrolled: number;
    started: number;
    completed: number;
    lessons: Array<{ title: string; started: number; completed: number; bucketSeconds: number | null; heatmap: number[] | null }>;
  };
  csv: (locale: 'ru' | 'en') => string[][];
}

const WATCHED: Record<string, Array<Array<[number, number]>>> = {
  // Per learner, the intervals of lesson 1 (100 s) and lesson 2 (200 s).
  complete: [[[0, 100]], [[0, 190]]],
  // 60 s of lesson 1, a sliver that covers 0.6 of bucket 85 and one that covers 0.4 of bucket 90.
  partial: [
    [
      [0, 50],
      [70, 80],
      [85.3, 85.9],
      [90.2, 90.6],
    ],
    [],
  ],
  none: [[], []],
  all: [[[0, 100]], [[0, 200]]],
};

/**
 * A published course of two video lessons (100 s and 200 s) and a threshold of 0.9, four
 * learners enrolled (two complete it, one starts, one never does) and one who watched
 * without enrolling, who must count nowhere.
 */
export async function seedCourse(app: Lectern, api: Api, lecturer: TestUser, title = 'Запуск своего дела'): Promise<SeededCourse> {
  const course = await api.call('POST', '/courses', {
    token: lecturer.token,
    body: { title, track: 'Entrepreneurship', completionThreshold: 0.9 },
  });
  expect(course.status).toBe(201);
  const id = course.body.id as string;
  const lessonTitles = ['Бизнес-план', 'Налоги'];
  const structured = await api.call('PUT', `/courses/${id}/structure`, {
    token: lecturer.token,
    body: {
      modules: [
        {
          title: 'Основы',
          lessons: [
            { kind: 'hls', title: lessonTitles[0], playlistPath: 'library/plan/index.m3u8', durationSeconds: 100 },
            { kind: 'hls', title: lessonTitles[1], playlistPath: 'library/tax/index.m3u8', durationSeconds: 200 },
          ],
        },
      ],
    },
  });
  expect(structured.status).toBe(200);
  const lessonIds = (structured.body.modules[0].lessons as Array<{ id: string }>).map((l) => l.id);
  expect((await api.call('PUT', `/courses/${id}/publication`, { token: lecturer.token, body: { published: true } })).status).toBe(200);

  const learners: Array<{ user: TestUser; name: string; kind: keyof typeof WATCHED }> = [];
  for (const [name, kind] of [
    ['Ирина Completa', 'complete'],
    ['Павел «Частично»', 'partial'],
    ['Семён Ноль', 'none'],
    ['Ольга Всё', 'all'],
  ] as const) {
    const user = await registerUser(api, { displayName: name });
    expect((await api.call('PUT', `/courses/${id}/enrolment`, { token: user.token })).status).toBe(204);
    learners.push({ user, name, kind });
  }
  const outsider = await registerUser(api, { displayName: 'Не записан' });
  await saveProgress(app, [
    ...learners.flatMap((l) =>
      WATCHED[l.kind]!.flatMap((intervals, i) => (intervals.length ? [record(l.user.id, lessonIds[i]!, intervals)] : [])),
    ),
    record(outsider.id, lessonIds[0]!, [[0, 100]]),
    record(outsider.id, lessonIds[1]!, [[0, 200]]),
  ]);

  const durations = [100, 200];
  const covered = (intervals: Array<[number, number]>) => intervals.reduce((s, [a, b]) => s + (b - a), 0);
  const complete = (l: (typeof learners)[number], i: number) => covered(WATCHED[l.kind]![i]!) / durations[i]! >= 0.9;
  // Each bucket sampled at 1,000 points: watched when at least half of them lie in an interval.
  const heatmap = (i: number) =>
    Array.from({ length: 100 }, (_, b) => {
      const w = durations[i]! / 100;
      return learners.filter((l) => {
        let inside = 0;
        for (let k = 0; k < 1000; k++) {
          const at = b * w + ((k + 0.5) * w) / 1000;
          if (WATCHED[l.kind]![i]!.some(([from, to]) => from <= at && at < to)) inside++;
        }
        return inside >= 500;
      }).length;
    });
  const enrolments = await app.db.connection.collection('enrolments').find({ courseId: id }).toArray();
  const enrolledAt = new Map(enrolments.map((e) => [e.userId as string, (e.createdAt as Date).getTime()]));
  return {
    id,
    title,
    expected: {
      enrolled: 4,
      started: learners.filter((l) => WATCHED[l.kind]!.some((iv) => iv.length > 0)).length,
      completed: learners.filter((l) => durations.every((_, i) => complete(l, i))).length,
      lessons: lessonTitles.map((t, i) => ({
        title: t,
        started: learners.filter((l) => WATCHED[l.kind]![i]!.length > 0).length,
        completed: learners.filter((l) => complete(l, i)).length,
        bucketSeconds: durations[i]! / 100,
        heatmap: heatmap(i),
      })),
    },
    csv: (locale) => {
      const ru = locale === 'ru';
      const header = ru
        ? ['Имя', 'E-mail', 'Дата записи (Europe/Moscow)', 'Уроков пройдено', 'Уроков всего', 'Курс пройден']
        : ['Name', 'E-mail', 'Enrolled at (Europe/Moscow)', 'Lessons completed', 'Lessons total', 'Course completed'];
      // One row per enrolment, in the order of the learners' ids.
      const rows = [...learners]
        .sort((a, b) => (a.user.id < b.user.id ? -1 : 1))
        .map((l) => {
          const done = durations.filter((_, i) => complete(l, i)).length;
          return [
            l.name,
            l.user.email,
            moscow(enrolledAt.get(l.user.id)!).replace(/\.\d+$/, ''),
            String(done),
            '2',
            done === 2 ? (ru ? 'да' : 'yes') : ru ? 'нет' : 'no',
            ...durations.map((d, i) => String(Math.round((100 * Math.min(d, covered(WATCHED[l.kind]![i]!))) / d))),
          ];
        });
      return [[...header, ...lessonTitles.map((t) => `${t} (%)`)], ...rows];
    },
  };
}
