// The last messages of each live seminar's chat, which every joining socket is sent. Read from
// the database on every join, they cost a scan of the whole chat collection on the embedded
// FerretDB (it pushes down none of the filter, sort or limit: 0.57 s at 2,000 messages, found
// by the soak benchmark), so a room of churning viewers spent its node on re-reading them.
// A seminar's live state lives on one node (README, Known gaps: multi-node), so that node's
// copy, kept in step with the messages it writes and deletes, is the truth; it is re-read after
// `ttlMs` so that what changes behind it (an erased account's name) shows within that time.
import { LRUCache } from 'lru-cache';
import type { ChatRecord } from './model';

interface Loading {
  done: Promise<ChatRecord[]>;
  /** What this node wrote or deleted while the read was under way, applied over its answer. */
  added: ChatRecord[];
  deleted: Set<string>;
}

export class RecentChat {
  private readonly cache: LRUCache<string, ChatRecord[]>;
  private readonly loading = new Map<string, Loading>();

  constructor(
    private readonly read: (seminarId: string, limit: number) => Promise<ChatRecord[]>,
    private readonly limit = 50,
    ttlMs = 30_000,
    seminars = 1000,
  ) {
    this.cache = new LRUCache({ max: seminars, ttl: ttlMs });
  }

  /** The seminar's last `limit` messages not deleted, oldest first. */
  async get(seminarId: string): Promise<ChatRecord[]> {
    const cached = this.cache.get(seminarId);
    if (cached) return [...cached];
    const loading = this.loading.get(seminarId) ?? this.load(seminarId);
    return [...(await loading.done)];
  }

  /** A message this node has just written. */
  added(record: ChatRecord): void {
    const cached = this.cache.get(record.seminarId, { updateAgeOnGet: false });
    if (cached) this.cache.set(record.seminarId, this.trim([...cached, record]), { noUpdateTTL: true });
    this.loading.get(record.seminarId)?.added.push(record);
  }

  /** A message this node has just deleted. */
  deleted(seminarId: string, id: string): void {
    const cached = this.cache.get(seminarId);
    if (cached)
      this.cache.set(
        seminarId,
        cached.filter((m) => m.id !== id),
        { noUpdateTTL: true },
      );
    this.loading.get(seminarId)?.deleted.add(id);
  }

  private load(seminarId: string): Loading {
    const entry: Loading = { added: [], deleted: new Set(), done: Promise.resolve([]) };
    entry.done = this.read(seminarId, this.limit)
      .then((records) => {
        const seen = new Set(records.map((r) => r.id));
        const merged = [...records, ...entry.added.filter((r) => !seen.has(r.id))]
          .filter((r) => !entry.deleted.has(r.id))
          .sort((a, b) => a.at.getTime() - b.at.getTime());
        const recent = this.trim(merged);
        this.cache.set(seminarId, recent);
        return recent;
      })
      .finally(() => this.loading.delete(seminarId));
    this.loading.set(seminarId, entry);
    return entry;
  }

  private trim(records: ChatRecord[]): ChatRecord[] {
    return records.length > this.limit ? records.slice(records.length - this.limit) : records;
  }
}
