import type { SearchKind } from '../protocol/search';
import type { SearchDocument } from './search-index';

/**
 * One kind of thing that search finds, as the index sees it. An entity (a seminar, a
 * course, an article, a portfolio) brings zero or more documents (a course: itself and
 * its lessons); the index always replaces an entity's documents whole.
 *
 * How a source reports changes: on this node, whatever writes the entity calls the
 * reporter that register() returned, with the entity's id, after the write, and awaits it
 * (the index load()s the entity); for other nodes' writes, changedSince() is asked every catch-up period.
 */
export interface SearchSource {
  /** Names the source in the index's bookkeeping and logs: 'seminars', 'portfolios'. */
  readonly name: string;
  /** The kinds of documents it brings. */
  readonly kinds: readonly SearchKind[];
  /** Every entity with its documents, in pages: the rebuild at start. */
  loadAll(): AsyncIterable<Array<{ entityId: string; docs: SearchDocument[] }>>;
  /** One entity's documents as they are now; [] when it is gone or has nothing anyone may find. */
  load(entityId: string): Promise<SearchDocument[]>;
  /**
   * Entities written (or deleted: docs []) at or after `since`, oldest first, at most
   * `limit`: the catch-up on other nodes' writes. Each with the time of its write.
   */
  changedSince(since: Date, limit: number): Promise<Array<{ entityId: string; docs: SearchDocument[]; updatedAt: Date }>>;
}

/**
 * Tells the index that an entity of one source was written on this node; resolves once the
 * index holds what was written (it never rejects: a failure is logged, and the catch-up reads it again).
 */
export type ChangeReporter = (entityId: string) => Promise<void>;

/**
 * The repository, with `report(id)` called after each of `methods` succeeds: the id is the
 * first argument when it is a string (update(id, …)), else the id of what it resolved to
 * (create(…)). Every service writing through it reports, whichever door the write came in by.
 */
export function reportingWrites<R extends object>(repo: R, methods: ReadonlyArray<keyof R & string>, report: ChangeReporter): R {
  return new Proxy(repo, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || !methods.includes(prop as keyof R & string)) return value;
      return async (...args: unknown[]) => {
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        const id = typeof args[0] === 'string' ? args[0] : (result as { id?: unknown } | null)?.id;
        // Awaited: the answer to the write goes out once search finds what was written.
        if (typeof id === 'string') await report(id);
        return result;
      };
    },
  });
}
