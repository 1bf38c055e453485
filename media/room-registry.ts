import { Room, type RoomOptions } from './room';

/**
 * One Room per seminar. Get-or-create keeps the pending promise, so viewers
 * arriving together share one room; the entry goes when the room closes.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Promise<Room>>();

  constructor(private readonly opts: RoomOptions) {}

  get(seminarId: string): Promise<Room> {
    let pending = this.rooms.get(seminarId);
    if (!pending) {
      pending = Room.create(seminarId, this.opts).then(
        (room) => {
          room.once('close', () => {
            if (this.rooms.get(seminarId) === pending) this.rooms.delete(seminarId);
          });
          return room;
        },
        (err: unknown) => {
          this.rooms.delete(seminarId);
          throw err;
        },
      );
      this.rooms.set(seminarId, pending);
    }
    return pending;
  }

  /** The room if it exists now; never creates one. */
  async peek(seminarId: string): Promise<Room | undefined> {
    return this.rooms.get(seminarId)?.catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    const rooms = await Promise.allSettled([...this.rooms.values()]);
    for (const r of rooms) if (r.status === 'fulfilled') r.value.close();
    this.rooms.clear();
  }

  get size(): number {
    return this.rooms.size;
  }
}
