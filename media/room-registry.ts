import { MediaError } from './media-error';
import { Room, type RoomOptions } from './room';

/**
 * One Room per seminar. Get-or-create keeps the pending promise, so viewers
 * arriving together share one room; the entry goes when the room closes, or
 * when creating it failed.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Promise<Room>>();
  private closed = false;

  constructor(private readonly opts: RoomOptions) {}

  get(seminarId: string): Promise<Room> {
    if (this.closed) return Promise.reject(new MediaError('shutting_down', 'The media server is shutting down'));
    let pending = this.rooms.get(seminarId);
    if (!pending) {
      const created: Promise<Room> = Room.create(seminarId, this.opts).then(
        (room) => {
          const forget = () => {
            if (this.rooms.get(seminarId) === created) this.rooms.delete(seminarId);
          };
          room.once('close', forget);
          // Closed by closeAll() while it was being created.
          if (this.closed) room.close();
          return room;
        },
        (err: unknown) => {
          if (this.rooms.get(seminarId) === created) this.rooms.delete(seminarId);
          throw err;
        },
      );
      pending = created;
      this.rooms.set(seminarId, pending);
    }
    return pending;
  }

  /** The room if it exists now; never creates one. */
  async peek(seminarId: string): Promise<Room | undefined> {
    return this.rooms.get(seminarId)?.catch(() => undefined);
  }

  /** Closes every room, and refuses new ones. Safe to call twice. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const rooms = await Promise.allSettled([...this.rooms.values()]);
    for (const r of rooms) if (r.status === 'fulfilled') r.value.close();
    this.rooms.clear();
  }

  /** What the open rooms hold, summed: for metrics. Rooms still being created are not counted yet. */
  async totals(): Promise<{ rooms: number; routers: number; peers: number; transports: number; producers: number; consumers: number }> {
    const t = { rooms: 0, routers: 0, peers: 0, transports: 0, producers: 0, consumers: 0 };
    for (const settled of await Promise.allSettled([...this.rooms.values()])) {
      if (settled.status !== 'fulfilled' || settled.value.isClosed) continue;
      const room = settled.value;
      t.rooms++;
      t.routers += room.counts().routers;
      for (const id of room.peerIds()) {
        const c = room.peer(id)?.counts();
        if (!c) continue;
        t.peers++;
        t.transports += c.transports;
        t.producers += c.producers;
        t.consumers += c.consumers;
      }
    }
    return t;
  }

  /** Rooms open or being created: for tests and diagnostics. */
  get size(): number {
    return this.rooms.size;
  }
}
