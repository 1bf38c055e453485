import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';

/**
 * Finds an even UDP port whose odd neighbour is free too (RTP and RTCP for
 * ffmpeg). Both are released before ffmpeg binds them, so a rare race is
 * possible; the recorder then sees ffmpeg fail and restarts it on new ports.
 */
export async function freeRtpPortPair(): Promise<{ rtpPort: number; rtcpPort: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const a = createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      a.once('error', reject);
      a.bind(0, '127.0.0.1', () => resolve(a.address().port));
    });
    const rtpPort = port % 2 === 0 ? port : port + 1;
    const ok = await Promise.all([rtpPort, rtpPort + 1].map((p) => (p === port ? Promise.resolve(true) : canBind(p))));
    a.close();
    if (ok.every(Boolean) && (rtpPort === port || (await canBind(rtpPort)))) return { rtpPort, rtcpPort: rtpPort + 1 };
  }
  throw new Error('no free UDP port pair for the recorder');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * Waits until every port is bound (by ffmpeg: we picked them free), as /proc/net/udp lists them:
 * media sent before would be refused, a key frame with it. Gives up after `timeoutMs` (false),
 * and where there is no /proc (not Linux) waits `fallbackMs` instead.
 */
export async function waitUntilBound(ports: number[], timeoutMs: number, fallbackMs = 300): Promise<boolean> {
  const wanted = ports.map((p) => `:${p.toString(16).toUpperCase().padStart(4, '0')}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const table = await readFile('/proc/net/udp', 'utf8').catch(() => undefined);
    if (table === undefined) {
      await new Promise((r) => setTimeout(r, fallbackMs));
      return true;
    }
    // "local_address" is the second column: 0100007F:B8D0 (127.0.0.1) or 00000000:B8D0 (any).
    const bound = new Set(table.split('\n').map((line) => line.trim().split(/\s+/)[1]?.slice(-5)));
    if (wanted.every((port) => bound.has(port))) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
