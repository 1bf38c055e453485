import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Server } from 'socket.io';
import type { Logger } from '../logger';

/**
 * Lets several Lectern nodes share Socket.IO broadcasts (chat, questions,
 * viewer counts) through Redis pub/sub. Media stays on the node that hosts a
 * seminar's room, so a load balancer routes a seminar's sockets there.
 */
export async function attachRedisAdapter(io: Server, url: string, logger: Logger): Promise<() => Promise<void>> {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) client.on('error', (err: unknown) => logger.error({ err }, 'redis error'));
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub));
  logger.info({ url: url.replace(/\/\/[^@/]*@/, '//***@') }, 'socket.io redis adapter attached');
  return async () => {
    await Promise.allSettled([pub.quit(), sub.quit()]);
  };
}
