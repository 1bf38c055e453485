import { mongo } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp, testDatabaseUri } from '../support/app';
import { waitFor } from '../support/media';

// The knowledge base and search over REST (issue 16): an article is found the moment it is
// written, changed or deleted, in another word form than it was written in; drafts,
// unpublished courses and draft seminars only by those who may see them; and a second node
// on the same database sees the first one's writes within its catch-up period.

let app: Lectern;
let other: Lectern;
let api: Api;
let otherApi: Api;
let people: Awaited<ReturnType<typeof cast>>;

const CATCH_UP = { SEARCH_CATCH_UP_SECONDS: '0.2' };

beforeAll(async () => {
  const uri = testDatabaseUri('search');
  app = await startTestApp('search', { MONGODB_URI: uri, ...CATCH_UP });
  // The other node is polled until it catches up: its search limit is out of the way.
  other = await startTestApp('search-other', { MONGODB_URI: uri, ...CATCH_UP, SEARCH_PER_MINUTE: '100000' });
  api = Api.of(app);
  otherApi = Api.of(other);
  people = await cast(api);
}, 120_000);

afterAll(async () => {
  await other?.stop();
  await app?.stop();
});

const search = async (q: string, who?: TestUser, via = api) => {
  const res = await via.call('GET', `/search?q=${encodeURIComponent(q)}`, { token: who?.token });
  expect(res.status).toBe(200);
  return res.body as { total: number; results: Array<{ kind: string; id: string; title: string; url: string; context: string | null }> };
};
const found = async (q: string, who?: TestUser, via = api) => (await search(q, who, via)).results.map((r) => `${r.kind}:${r.id}`);

const article = {
  title: 'Налоговые вычеты для предпринимателей',
  summary: 'Что можно вернуть из уплаченных налогов',
  body: '# Вычеты\n\nПредприниматель на упрощённой системе платит налог раз в квартал. <script>alert(1)</script>',
  track: 'finance',
  tags: ['налоги', 'УСН'],
};

describe('articles in search', () => {
  it('finds an article as soon as it is published, in another word form, and follows its changes and deletion', async () => {
    const created = await api.call('POST', '/articles', { token: people.lecturer.token, body: article });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.status).toBe('draft');
    expect(created.body.tags).toEqual(['налоги', 'усн']);
    expect(created.body.html).not.toContain('<script');
    expect(created.body.html).toContain('&lt;script&gt;');

    // A draft: the staff find it, nobody else does, and its page is not there for them.
    expect(await found('предприниматель', people.lecturer)).toContain(`article:${id}`);
    expect(await found('предприниматель', people.learner)).not.toContain(`article:${id}`);
    expect(await found('предприниматель')).not.toContain(`article:${id}`);
    expect((await api.call('GET', `/articles/${id}`)).status).toBe(404);

    const published = await api.call('PATCH', `/articles/${id}`, { token: people.otherLecturer.token, body: { status: 'published' } });
    expect(published.status).toBe(200);
    expect(published.body.publishedAt).not.toBeNull();
    // Written "предпринимателей" and "налогов"/"налоги"; searched as other forms, without signing in.
    expect(await found('предприниматель')).toContain(`article:${id}`);
    expect(await found('налогами')).toContain(`article:${id}`);
    expect(await found('упрощенная')).toContain(`article:${id}`);
    const hit = (await search('вычетов')).results.find((r) => r.id === id);
    expect(hit).toMatchObject({ kind: 'article', title: article.title, url: `/knowledge/${id}` });
    const page = await api.call('GET', `/articles/${id}`);
    expect(page.status).toBe(200);
    expect(page.body.html).toContain('<h2>Вычеты</h2>');

    const changed = await api.call('PATCH', `/articles/${id}`, {
      token: people.lecturer.token,
      body: { title: 'Страховые взносы индивидуального предпринимателя', summary: '', body: 'Взносы платят за себя.' },
    });
    expect(changed.status).toBe(200);
    expect(await found('вычет')).not.toContain(`article:${id}`);
    expect(await found('взносов')).toContain(`article:${id}`);

    expect((await api.call('DELETE', `/articles/${id}`, { token: people.lecturer.token })).status).toBe(204);
    expect(await found('взносов', people.admin)).not.toContain(`article:${id}`);
    expect((await api.call('GET', `/articles/${id}`, { token: people.admin.token })).status).toBe(404);
    expect((await api.call('DELETE', `/articles/${id}`, { token: people.lecturer.token })).body.error.code).toBe('article_not_found');
    // What is left is a tombstone for other nodes' indexes, with nothing of the article in it.
    const stored = await app.db.connection.collection('articles').findOne({ _id: new mongo.ObjectId(id) });
    expect(stored).toMatchObject({ title: '', body: '', summary: '', tags: [] });
    expect(stored?.deletedAt).toBeInstanceOf(Date);
  });

  it('links articles to seminars and courses the writer can see, and lists them by link, track and tag', async () => {
    const seminar = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: {
        title: 'Семинар о патентной системе',
        track: 'finance',
        startsAt: '2031-05-10T18:30',
        durationMinutes: 60,
        capacity: 20,
      },
    });
    expect(seminar.status).toBe(201);
    // Another lecturer's draft is not there for this one to link to.
    const refused = await api.call('POST', '/articles', {
      token: people.otherLecturer.token,
      body: { ...article, seminarIds: [seminar.body.id] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('linked_seminar_not_found');

    const linked = await api.call('POST', '/articles', {
      token: people.lecturer.token,
      body: { ...article, title: 'Патент для мастерской', status: 'published', tags: ['патент'], seminarIds: [seminar.body.id] },
    });
    expect(linked.status).toBe(201);
    expect(linked.body.seminars).toEqual([{ id: seminar.body.id, title: 'Семинар о патентной системе' }]);
    // A reader is not told the draft seminar's title.
    expect((await api.call('GET', `/articles/${linked.body.id}`)).body.seminars).toEqual([]);
    const bySeminar = await api.call('GET', `/articles?seminarId=${seminar.body.id}`);
    expect(bySeminar.body.items.map((a: { id: string }) => a.id)).toEqual([linked.body.id]);
    const byTag = await api.call('GET', `/articles?tag=${encodeURIComponent('Патент')}`);
    expect(byTag.body.items.map((a: { id: string }) => a.id)).toEqual([linked.body.id]);
    expect((await api.call('GET', '/articles?track=marketing')).body.items).toEqual([]);
    const all = await api.call('GET', '/workspace/articles', { token: people.otherLecturer.token });
    expect(all.body.items.map((a: { id: string }) => a.id)).toContain(linked.body.id);
  });
});

describe('seminars, courses and lessons in search', () => {
  it('finds a draft seminar only for its lecturers and admins, and everyone once it is scheduled', async () => {
    const created = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: {
        title: 'Клуб начинающих предпринимателей',
        description: 'Разбираем ошибки первого года',
        track: 'startup',
        startsAt: '2031-06-01T19:00',
        durationMinutes: 90,
        capacity: 50,
      },
    });
    const id = created.body.id as string;
    expect(await found('предприниматель', people.lecturer)).toContain(`seminar:${id}`);
    expect(await found('предприниматель', people.otherLecturer)).not.toContain(`seminar:${id}`);
    expect(await found('предприниматель', people.learner)).not.toContain(`seminar:${id}`);
    expect(await found('ошибка', people.admin)).toContain(`seminar:${id}`);
    await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
    expect(await found('начинающим предпринимателям')).toContain(`seminar:${id}`);
  });

  it('finds a course and its lessons once the course is published', async () => {
    const course = await api.call('POST', '/courses', {
      token: people.lecturer.token,
      body: { title: 'Бухгалтерия без страха', description: 'Учёт для самозанятых', track: 'finance' },
    });
    const id = course.body.id as string;
    const structure = await api.call('PUT', `/courses/${id}/structure`, {
      token: people.lecturer.token,
      body: {
        modules: [
          {
            title: 'Первые шаги',
            lessons: [{ kind: 'text', title: 'Кассовые чеки', body: 'Когда самозанятому нужна онлайн-касса' }],
          },
        ],
      },
    });
    expect(structure.status).toBe(200);
    const lessonId = structure.body.modules[0].lessons[0].id as string;
    expect(await found('самозанятых')).toEqual([]);
    expect(await found('самозанятых', people.lecturer)).toEqual(expect.arrayContaining([`course:${id}`, `lesson:${lessonId}`]));
    await api.call('PUT', `/courses/${id}/publication`, { token: people.lecturer.token, body: { published: true } });
    const lesson = (await search('кассы')).results.find((r) => r.id === lessonId);
    expect(lesson).toMatchObject({ kind: 'lesson', context: 'Бухгалтерия без страха', url: `/courses/${id}/lessons/${lessonId}` });
  });
});

describe('another node', () => {
  it('sees this node’s writes, deletions included, within its catch-up period', async () => {
    const created = await api.call('POST', '/articles', {
      token: people.lecturer.token,
      body: { ...article, title: 'Грант для молодёжного предпринимательства', status: 'published' },
    });
    const id = created.body.id as string;
    await waitFor(
      async () => (await found('молодежный', undefined, otherApi)).includes(`article:${id}`),
      10_000,
      'the other node to find the article',
    );
    await api.call('DELETE', `/articles/${id}`, { token: people.lecturer.token });
    await waitFor(
      async () => !(await found('молодежный', undefined, otherApi)).includes(`article:${id}`),
      10_000,
      'the other node to forget it',
    );
    const seminar = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: { title: 'Экспорт ремесленных товаров', track: 'export', startsAt: '2031-07-01T12:00', durationMinutes: 60, capacity: 10 },
    });
    await api.call('POST', `/seminars/${seminar.body.id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
    await waitFor(
      async () => (await found('ремесленного экспорта', undefined, otherApi)).includes(`seminar:${seminar.body.id}`),
      10_000,
      'the other node to find the seminar',
    );
  });
});

describe('portfolios in search', () => {
  it('finds a profile by its headline and bio in other word forms, on both nodes, and forgets it when hidden', async () => {
    const owner = people.lecturer;
    const changed = await api.call('PATCH', `/profiles/${owner.id}`, {
      token: owner.token,
      body: { headline: 'Дизайнер трикотажных коллекций', bio: 'Шью из переработанной шерсти' },
    });
    expect(changed.status).toBe(200);
    const key = `portfolio:${owner.id}`;
    // On this node at once (the write reports it), in other forms of the words.
    expect(await found('трикотажная коллекция')).toContain(key);
    expect(await found('переработанная шерсть')).toContain(key);
    const hit = (await search('трикотаж')).results.find((r) => `${r.kind}:${r.id}` === key)!;
    expect(hit.title).toBe((await app.repos.users.findById(owner.id))!.displayName);
    expect(hit.url).toBe(`/people/${owner.id}`);
    // The other node through its catch-up.
    await waitFor(
      async () => (await found('трикотажных', undefined, otherApi)).includes(key),
      10_000,
      'the other node to find the profile',
    );

    await api.call('PATCH', `/profiles/${owner.id}`, { token: owner.token, body: { hidden: true } });
    expect(await found('трикотажная коллекция')).not.toContain(key);
    await waitFor(async () => !(await found('трикотажных', undefined, otherApi)).includes(key), 10_000, 'the other node to forget it');
  });
});

describe('rate limit', () => {
  it('answers a caller’s 61st search in a minute with 429 rate_limited, and others still search', async () => {
    const reader = await registerUser(api);
    for (let i = 0; i < 60; i++) {
      const res = await api.call('GET', `/search?q=${encodeURIComponent(`налог ${i}`)}`, { token: reader.token });
      expect(res.status).toBe(200);
    }
    const refused = await api.call('GET', '/search?q=налог', { token: reader.token });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect((await api.call('GET', '/search?q=налог', { token: people.learner.token })).status).toBe(200);
  });
});

describe('bad input', () => {
  it('refuses an empty or overlong query and an unknown kind with 400 invalid_request', async () => {
    for (const path of [
      '/search?q=',
      '/search?q=%20%20',
      `/search?q=${'я'.repeat(201)}`,
      '/search?q=x&kind=user',
      '/search?q=x&limit=51',
    ]) {
      const res = await api.call('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });
});
