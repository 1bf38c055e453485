import type { ArticleRepository, Article } from '../articles/model';
import { excerpt, markdownText } from '../articles/plain-text';
import type { Course, CourseRepository } from '../courses/model';
import type { Seminar, SeminarRepository, Page } from '../seminars/model';
import type { Audience, SearchDocument } from './search-index';
import type { SearchSource } from './source';

// The sources Lectern has now: seminars, courses with their lessons, and articles. Each
// says who may find its documents (the same rule as its pages): drafts and unpublished
// courses only their lecturers, owners and admins; draft articles the staff.

const PAGE = 500;

async function* pages<T>(next: (cursor?: string) => Promise<Page<T>>): AsyncIterable<T[]> {
  let cursor: string | undefined;
  do {
    const page = await next(cursor);
    yield page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

async function* mapPages<T>(
  source: AsyncIterable<T[]>,
  docs: (item: T) => SearchDocument[],
  id: (item: T) => string,
): AsyncIterable<Array<{ entityId: string; docs: SearchDocument[] }>> {
  for await (const items of source) yield items.map((item) => ({ entityId: id(item), docs: docs(item) }));
}

export function seminarDocs(s: Seminar): SearchDocument[] {
  // A registration-only (not public) seminar is in the catalogue and its page is open to all:
  // only watching it needs a registration. So it is found by all, like its page.
  const audience: Audience = s.status === 'draft' ? { grant: 'seminars:manage', userIds: s.lecturerIds } : 'everyone';
  return [
    {
      kind: 'seminar',
      id: s.id,
      title: s.title,
      text: s.description,
      tags: [],
      track: s.track,
      snippet: excerpt(s.description),
      url: `/seminars/${s.id}`,
      context: null,
      at: s.startsAt.toISOString(),
      timeZone: s.timeZone,
      audience,
    },
  ];
}

export function seminarSource(repo: SeminarRepository): SearchSource {
  return {
    name: 'seminars',
    kinds: ['seminar'],
    loadAll: () =>
      mapPages(
        pages((cursor) => repo.list({ statuses: ['draft', 'scheduled', 'live', 'ended', 'cancelled'], draftsOf: 'all' }, PAGE, cursor)),
        seminarDocs,
        (s) => s.id,
      ),
    load: async (id) => {
      const s = await repo.get(id);
      return s ? seminarDocs(s) : [];
    },
    changedSince: async (since, limit) =>
      (await repo.changedSince(since, limit)).map((c) => ({
        entityId: c.seminar.id,
        docs: seminarDocs(c.seminar),
        updatedAt: c.updatedAt,
      })),
  };
}

export function courseDocs(c: Course): SearchDocument[] {
  // Lesson titles show on the course's page, so they are found with it; a text lesson's
  // body is matched but never shown: reading it needs an enrolment.
  const audience: Audience = c.published ? 'everyone' : { grant: 'courses:manage', userIds: c.ownerIds };
  const course: SearchDocument = {
    kind: 'course',
    id: c.id,
    title: c.title,
    text: [c.description, ...c.modules.map((m) => m.title)].join('\n'),
    tags: [],
    track: c.track,
    snippet: excerpt(c.description),
    url: `/courses/${c.id}`,
    context: null,
    at: null,
    timeZone: null,
    audience,
  };
  const lessons = c.modules.flatMap((m) =>
    m.lessons.map((l): SearchDocument => ({
      kind: 'lesson',
      id: l.id,
      title: l.title,
      text: l.kind === 'text' && l.body ? markdownText(l.body) : '',
      tags: [],
      track: c.track,
      snippet: m.title,
      url: `/courses/${c.id}/lessons/${l.id}`,
      context: c.title,
      at: null,
      timeZone: null,
      audience,
    })),
  );
  return [course, ...lessons];
}

export function courseSource(repo: CourseRepository): SearchSource {
  return {
    name: 'courses',
    kinds: ['course', 'lesson'],
    loadAll: () =>
      mapPages(
        pages((cursor) => repo.list({ publishedOrOwnedBy: 'all' }, 100, cursor)),
        courseDocs,
        (c) => c.id,
      ),
    load: async (id) => {
      const c = await repo.get(id);
      return c ? courseDocs(c) : [];
    },
    changedSince: async (since, limit) =>
      (await repo.changedSince(since, limit)).map((c) => ({ entityId: c.course.id, docs: courseDocs(c.course), updatedAt: c.updatedAt })),
  };
}

export function articleDocs(a: Article): SearchDocument[] {
  const text = markdownText(a.body);
  return [
    {
      kind: 'article',
      id: a.id,
      title: a.title,
      text: `${a.summary}\n${text}`,
      tags: a.tags,
      track: a.track,
      snippet: a.summary || excerpt(text),
      url: `/knowledge/${a.id}`,
      context: null,
      at: a.publishedAt?.toISOString() ?? null,
      timeZone: null,
      audience: a.status === 'published' ? 'everyone' : { grant: 'articles:write' },
    },
  ];
}

export function articleSource(repo: ArticleRepository): SearchSource {
  return {
    name: 'articles',
    kinds: ['article'],
    loadAll: () =>
      mapPages(
        pages((cursor) => repo.list({ drafts: true }, PAGE, cursor)),
        articleDocs,
        (a) => a.id,
      ),
    load: async (id) => {
      const a = await repo.get(id);
      return a ? articleDocs(a) : [];
    },
    changedSince: async (since, limit) =>
      (await repo.changedSince(since, limit)).map((c) => ({
        entityId: c.id,
        docs: c.article ? articleDocs(c.article) : [],
        updatedAt: c.updatedAt,
      })),
  };
}
