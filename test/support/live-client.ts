import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../server/protocol';

/** A Socket.IO client of the /live namespace that awaits typed acks. */
export class LiveClient {
  /** Every event received, a batch's entries (room:batch) each as the event it carries, as the pages see them. */
  readonly events: Array<{ event: string; payload: any }> = [];
  /** How many room:batch pushes came, each one frame however many events it carried. */
  batches = 0;
  private readonly waiters = new Set<(event: string, payload: any) => void>();

  private constructor(readonly socket: Socket) {
    socket.onAny((event: string, payload: any) => {
      if (event !== 'room:batch') return this.received(event, payload);
      this.batches++;
      for (const e of payload.events as Array<{ type: string; data: unknown }>) this.received(e.type, e.data);
    });
  }

  private received(event: string, payload: any): void {
    this.events.push({ event, payload });
    for (const waiter of [...this.waiters]) waiter(event, payload);
  }

  static async connect(baseUrl: string, token?: string): Promise<LiveClient> {
    const socket = io(`${baseUrl}/live`, { transports: ['websocket'], auth: token ? { token } : {}, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    return new LiveClient(socket);
  }

  /** A client over a socket that is already connected. */
  static wrap(socket: Socket): LiveClient {
    return new LiveClient(socket);
  }

  async request<T = any>(event: string, payload?: unknown): Promise<Ack<T>> {
    return (await this.socket.timeout(10_000).emitWithAck(event, payload)) as Ack<T>;
  }

  /** The data of a successful ack; throws with the error code otherwise. */
  async ok<T = any>(event: string, payload?: unknown): Promise<T> {
    const ack = await this.request<T>(event, payload);
    if (!ack.ok) throw new Error(`${event} failed: ${ack.error.code} ${ack.error.message}`);
    return ack.data;
  }

  async next(event: string, predicate: (payload: any) => boolean = () => true, timeoutMs = 10_000): Promise<any> {
    const seen = this.events.find((e) => e.event === event && predicate(e.payload));
    if (seen) return seen.payload;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (name: string, payload: any) => {
        if (name !== event || !predicate(payload)) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(payload);
      };
      this.waiters.add(waiter);
    });
  }

  close(): void {
    this.socket.disconnect();
  }
}
