import MiniSearch, { type SearchResult } from 'minisearch';
import type { SearchKind } from '../protocol/search';
import type { Grant } from '../accounts/grants';
import { termOf, tokenize } from './terms';

/**
 * Who may find a document: everyone, or those holding `grant` (and, when `userIds` is
 * given, being one of them: a draft's lecturers, a course's owners). Admins find everything.
 */
export type Audience = 'everyone' | { grant: Grant; userIds?: string[] };

/** One thing a search can find, as a source hands it to the index. */
export interface SearchDocument {
  kind: SearchKind;
  /** Unique within its kind: the seminar's, course's, lesson's or article's id. */
  id: string;
  title: string;
  /** Matched but never shown (a lesson's body may be for enrolled learners only). */
  text: string;
  tags: string[];
  track: string | null;
  /** What the result shows under its title: text its audience may read anyway. */
  snippet: string;
  /** The web page it opens. */
  url: string;
  /** Where it belongs, shown beside it: a lesson's course. */
  context: string | null;
  /** An ISO instant worth showing (a seminar's start), or null. */
  at: string | null;
  /** The zone `at` is shown in (a seminar's own). */
  timeZone: string | null;
  audience: Audience;
}

/** Who is searching, as far as the index needs to know. */
export interface Viewer {
  userId: string | null;
  grants: readonly Grant[];
  admin: boolean;
}

export interface Found {
  total: number;
  results: Array<Omit<SearchDocument, 'text' | 'tags' | 'audience'> & { score: number }>;
}

type Stored = SearchDocument & { key: string };

// Not the context: a course's title would make every one of its lessons match it.
const FIELDS = ['title', 'text', 'tags'];
// Not 'id': MiniSearch's result carries the document's key there.
const SHOWN = ['kind', 'title', 'track', 'snippet', 'url', 'context', 'at', 'timeZone', 'audience'];

function newMiniSearch(): MiniSearch<Stored> {
  return new MiniSearch<Stored>({
    idField: 'key',
    fields: FIELDS,
    storeFields: SHOWN,
    extractField: (doc, field) => {
      const value = (doc as unknown as Record<string, unknown>)[field];
      return Array.isArray(value) ? value.join(' ') : (value as string);
    },
    tokenize,
    processTerm: termOf,
    searchOptions: {
      boost: { title: 3, tags: 2 },
      // Every word must match: the more words, the narrower, as people expect of a site's search.
      combineWith: 'AND',
      // The last word may be unfinished ("предприним"); long words forgive a typo.
      prefix: (term, i, terms) => i === terms.length - 1 && term.length >= 4,
      fuzzy: (term) => (term.length >= 6 ? 0.2 : false),
      maxFuzzy: 2,
    },
  });
}

export function visibleTo(audience: Audience, viewer: Viewer): boolean {
  if (audience === 'everyone' || viewer.admin) return true;
  if (!viewer.userId || !viewer.grants.includes(audience.grant)) return false;
  return !audience.userIds || audience.userIds.includes(viewer.userId);
}

/**
 * The in-memory full-text index (MiniSearch). Documents come in groups, one group per
 * source entity (a course brings itself and its lessons), and a group is always replaced
 * whole, so a lesson removed from a course leaves the index with the course's next change.
 */
export class SearchIndex {
  private mini = newMiniSearch();
  /** `${source}:${entityId}` → the keys of its documents. */
  private groups = new Map<string, string[]>();

  get size(): number {
    return this.mini.documentCount;
  }

  /** Puts an entity's documents in place of whatever it had (none: it is gone). */
  replace(group: string, docs: SearchDocument[]): void {
    for (const key of this.groups.get(group) ?? []) if (this.mini.has(key)) this.mini.discard(key);
    this.groups.delete(group);
    if (docs.length === 0) return;
    const stored = docs.map((d) => ({ ...d, key: `${d.kind}:${d.id}` }));
    // Two entities never share a document, but a retried group may meet its own leftovers.
    for (const s of stored) if (this.mini.has(s.key)) this.mini.discard(s.key);
    this.mini.addAll(stored);
    this.groups.set(
      group,
      stored.map((s) => s.key),
    );
  }

  /** Every group at once, in place of everything (the rebuild at start). */
  load(groups: Map<string, SearchDocument[]>): void {
    const fresh = new SearchIndex();
    for (const [group, docs] of groups) fresh.replace(group, docs);
    this.mini = fresh.mini;
    this.groups = fresh.groups;
  }

  search(query: string, viewer: Viewer, opts: { kind?: SearchKind | undefined; limit: number }): Found {
    const hits = this.mini.search(query, {
      filter: (r: SearchResult) => (opts.kind === undefined || r.kind === opts.kind) && visibleTo(r.audience as Audience, viewer),
    });
    return {
      total: hits.length,
      results: hits.slice(0, opts.limit).map((r) => ({
        kind: r.kind as SearchKind,
        id: (r.id as string).slice((r.kind as string).length + 1),
        title: r.title as string,
        track: (r.track as string | null) ?? null,
        snippet: r.snippet as string,
        url: r.url as string,
        context: (r.context as string | null) ?? null,
        at: (r.at as string | null) ?? null,
        timeZone: (r.timeZone as string | null) ?? null,
        score: r.score,
      })),
    };
  }
}
