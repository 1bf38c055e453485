import { isAdmin, type Actor } from '../accounts/grants';
import type { Logger } from '../logger';
import type { SearchQuery, SearchView } from '../protocol/search';
import { SearchIndex, type SearchDocument, type Viewer } from './search-index';
import type { ChangeReporter, SearchSource } from './source';

export interface SearchServiceOptions {
  logger: Logger;
  /** How often other nodes' writes are looked for. */
  catchUpMs: number;
  /**
   * How far back each catch-up looks before the last write it saw: covers other nodes'
   * clocks running behind and writes that were in flight while it read. Re-reading is harmless.
   */
  overlapMs?: number;
}

const CATCH_UP_PAGE = 500;

/**
 * The one search over every registered source: an in-memory index built at start, kept in
 * step with this node's writes at once (each source's reporter) and with other nodes'
 * within a catch-up period (each source's changedSince). Every index change runs in one
 * queue, in order, so an older read never overwrites a newer one.
 */
export class SearchService {
  private readonly index = new SearchIndex();
  private readonly sources: SearchSource[] = [];
  /** Per source: the latest write time seen. */
  private readonly seen = new Map<string, number>();
  private queue: Promise<void> = Promise.resolve();
  private built: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly overlapMs: number;
  /** False until a rebuild has read every source: a failed one (database down at boot) is retried at the next tick. */
  private complete = false;

  constructor(private readonly opts: SearchServiceOptions) {
    this.overlapMs = opts.overlapMs ?? 60_000;
  }

  /** Adds a source (before start()); answers the reporter its writers call after each write on this node. */
  register(source: SearchSource): ChangeReporter {
    this.sources.push(source);
    return (entityId) =>
      this.enqueue(`${source.name} ${entityId}`, async () => this.index.replace(`${source.name}:${entityId}`, await source.load(entityId)));
  }

  /** Builds the index from every source, then looks for other nodes' writes every catch-up period. */
  start(): void {
    this.built = this.enqueue('rebuild', () => this.rebuild());
    this.timer = setInterval(() => {
      void this.enqueue('catch-up', () => (this.complete ? this.catchUp() : this.rebuild()));
    }, this.opts.catchUpMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Resolves once every change queued so far is in the index (tests, and a search right after start). */
  settled(): Promise<void> {
    return this.queue;
  }

  get size(): number {
    return this.index.size;
  }

  async search(actor: Actor, query: SearchQuery): Promise<SearchView> {
    // The first build is awaited once: until then the index would answer "nothing".
    if (this.built) await this.built;
    const viewer: Viewer =
      actor.kind === 'user'
        ? { userId: actor.userId, grants: actor.grants, admin: isAdmin(actor) }
        : { userId: null, grants: [], admin: false };
    const found = this.index.search(query.q, viewer, { kind: query.kind, limit: query.limit });
    return {
      query: query.q,
      total: found.total,
      results: found.results.map(({ score: _score, ...r }) => r),
    };
  }

  private enqueue(what: string, task: () => Promise<void>): Promise<void> {
    // A failure is logged and the queue goes on: the next catch-up reads the entity again.
    const run = this.queue.then(task).catch((err: unknown) => this.opts.logger.error({ err, what }, 'search index update failed'));
    this.queue = run;
    return run;
  }

  private async rebuild(): Promise<void> {
    const started = Date.now();
    const groups = new Map<string, SearchDocument[]>();
    for (const source of this.sources) {
      this.seen.set(source.name, started);
      for await (const page of source.loadAll()) for (const { entityId, docs } of page) groups.set(`${source.name}:${entityId}`, docs);
    }
    this.index.load(groups);
    this.complete = true;
    this.opts.logger.info({ documents: this.index.size, ms: Date.now() - started }, 'search index built');
  }

  private async catchUp(): Promise<void> {
    for (const source of this.sources) {
      let since = new Date((this.seen.get(source.name) ?? Date.now()) - this.overlapMs);
      for (;;) {
        const changes = await source.changedSince(since, CATCH_UP_PAGE);
        for (const c of changes) {
          this.index.replace(`${source.name}:${c.entityId}`, c.docs);
          this.seen.set(source.name, Math.max(this.seen.get(source.name) ?? 0, c.updatedAt.getTime()));
        }
        const last = changes[changes.length - 1];
        // A full page: more may follow; the next page starts at the last write read.
        if (changes.length < CATCH_UP_PAGE || !last || last.updatedAt.getTime() === since.getTime()) break;
        since = last.updatedAt;
      }
    }
  }
}
