import { describe, expect, it } from 'vitest';
import { SearchIndex, type Audience, type SearchDocument, type Viewer } from '../../server/search/search-index';
import { termOf } from '../../server/search/terms';

// The index on its own: Russian and English word forms, ё as е, and who finds what.

const doc = (kind: SearchDocument['kind'], id: string, title: string, text: string, audience: Audience = 'everyone'): SearchDocument => ({
  kind,
  id,
  title,
  text,
  tags: [],
  track: null,
  snippet: text.slice(0, 50),
  url: `/${kind}/${id}`,
  context: null,
  at: null,
  timeZone: null,
  audience,
});

const anonymous: Viewer = { userId: null, grants: [], admin: false };
const learner: Viewer = { userId: 'learner1', grants: ['profile', 'courses:enrol'], admin: false };
const lecturer = (id: string): Viewer => ({
  userId: id,
  grants: ['profile', 'seminars:manage', 'courses:manage', 'articles:write'],
  admin: false,
});
const admin: Viewer = { userId: 'admin1', grants: [], admin: true };

function indexOf(docs: SearchDocument[]): SearchIndex {
  const index = new SearchIndex();
  for (const d of docs) index.replace(`${d.kind}s:${d.id}`, [d]);
  return index;
}
const ids = (index: SearchIndex, q: string, viewer: Viewer = anonymous) => index.search(q, viewer, { limit: 50 }).results.map((r) => r.id);

describe('search index', () => {
  const index = indexOf([
    doc('article', 'a1', 'Налоговый календарь', 'Сроки уплаты налогов для предпринимателей на упрощённой системе'),
    doc('seminar', 's1', 'Встреча предпринимателей Петербурга', 'Нетворкинг и разговор о налоговой отчётности'),
    doc('course', 'c1', 'Маркетинг для малого бизнеса', 'Как привлечь первых клиентов'),
    doc('article', 'a2', 'Ёлочные базары: сезонная торговля', 'Разрешения на торговлю в декабре'),
    doc('article', 'a3', 'Pricing for small businesses', 'How entrepreneurs set their prices and pay taxes'),
  ]);

  it('finds inflected Russian forms: предприниматель → предпринимателей, налоги → налогов', () => {
    expect(ids(index, 'предприниматель').sort()).toEqual(['a1', 's1']);
    expect(ids(index, 'налоги')).toContain('a1');
    expect(ids(index, 'уплата предпринимателями')).toEqual(['a1']);
    // The last word is also taken as the start of a longer one: "налоги" reaches "налоговой".
    expect(ids(index, 'предприниматели налоги').sort()).toEqual(['a1', 's1']);
    expect(ids(index, 'маркетингу')).toEqual(['c1']);
  });

  it('takes ё and е as one letter, either way round', () => {
    expect(ids(index, 'елочный')).toEqual(['a2']);
    expect(ids(index, 'упрощенной')).toEqual(['a1']);
    expect(ids(index, 'ОТЧЁТНОСТЬ')).toEqual(['s1']);
  });

  it('stems English too, and drops function words', () => {
    expect(ids(index, 'entrepreneur tax')).toEqual(['a3']);
    expect(ids(index, 'the pricing of businesses')).toEqual(['a3']);
    expect(termOf('для')).toBeNull();
  });

  it('requires every word, and finds nothing for words nobody wrote', () => {
    expect(ids(index, 'маркетинг налоги')).toEqual([]);
    expect(ids(index, 'квантовая хромодинамика')).toEqual([]);
  });

  it('ranks a title match first and narrows by kind', () => {
    expect(ids(index, 'налоговый')[0]).toBe('a1');
    expect(index.search('предприниматели', anonymous, { kind: 'seminar', limit: 10 }).results.map((r) => r.id)).toEqual(['s1']);
  });

  it('shows drafts and unpublished things only to those who may see them', () => {
    const hidden = indexOf([
      doc('seminar', 'draft', 'Черновик семинара о налогах', '', { grant: 'seminars:manage', userIds: ['lect1'] }),
      doc('course', 'unpub', 'Неопубликованный курс о налогах', '', { grant: 'courses:manage', userIds: ['lect2'] }),
      doc('article', 'draftArticle', 'Черновик статьи о налогах', '', { grant: 'articles:write' }),
      doc('article', 'public', 'Статья о налогах', ''),
    ]);
    expect(ids(hidden, 'налоги', anonymous)).toEqual(['public']);
    expect(ids(hidden, 'налоги', learner)).toEqual(['public']);
    expect(ids(hidden, 'налоги', lecturer('lect1')).sort()).toEqual(['draft', 'draftArticle', 'public']);
    expect(ids(hidden, 'налоги', lecturer('lect2')).sort()).toEqual(['draftArticle', 'public', 'unpub']);
    expect(ids(hidden, 'налоги', admin).sort()).toEqual(['draft', 'draftArticle', 'public', 'unpub']);
    // total counts what the viewer may see, not what the index holds.
    expect(hidden.search('налоги', anonymous, { limit: 10 }).total).toBe(1);
  });

  it('replaces an entity’s documents whole, and forgets a removed one', () => {
    const index = new SearchIndex();
    index.replace('courses:c', [doc('course', 'c', 'Курс о налогах', ''), doc('lesson', 'l1', 'Урок о налогах', '')]);
    expect(ids(index, 'налог').sort()).toEqual(['c', 'l1']);
    index.replace('courses:c', [doc('course', 'c', 'Курс о маркетинге', '')]);
    expect(ids(index, 'налог')).toEqual([]);
    expect(ids(index, 'маркетинг')).toEqual(['c']);
    index.replace('courses:c', []);
    expect(ids(index, 'маркетинг')).toEqual([]);
    expect(index.size).toBe(0);
  });
});
