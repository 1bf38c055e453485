import { createSocket } from 'node:dgram';

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
