import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../server/protocol';

/** A Socket.IO client of the /live namespace that awaits typed acks. */
export class LiveClient {
  readonly events: Array<{ event: string; payload: any }> = [];

  private constructor(readonly socket: Socket) {
    socket.onAny((event, payload) => this.events.push({ event, payload }));
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
      const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
      const listener = (payload: any) => {
        if (!predicate(payload)) return;
        clearTimeout(timer);
        this.socket.off(event, listener);
        resolve(payload);
      };
      this.socket.on(event, listener);
    });
  }

  close(): void {
    this.socket.disconnect();
  }
}
