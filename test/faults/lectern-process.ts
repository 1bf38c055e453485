// Lectern as a process of its own, for the tests that SIGKILL it: server/main's start() on
// the environment's configuration, plus one test hook on stdin. `record <seminarId>` gives
// the live seminar's room a camera and microphone (a real ffmpeg test pattern and tone) and
// hands them to the recorder, as the lecturer's page would through the gateway.
import { createInterface } from 'node:readline';
import { loadConfig } from '../../server/config';
import { createLogger } from '../../server/logger';
import { start } from '../../server/main';
import { avProducers } from '../support/av-producers';

const app = await start(loadConfig(process.env), createLogger('silent'));
process.stdout.write(`LISTENING ${app.port}\n`);
// As the real command (server/cli.ts) does: a SIGTERM stops Lectern cleanly, so what it
// buffered is written before it exits.
process.once('SIGTERM', () => {
  app.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
});

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, seminarId] = line.trim().split(' ');
  if (command !== 'record' || !seminarId) return;
  void (async () => {
    const room = (await app.rooms.peek(seminarId))!;
    const { video, audio, ffmpeg } = await avProducers(room.origin);
    process.stdout.write(`SOURCE ${ffmpeg.pid}\n`);
    const seminar = (await app.repos.seminars.get(seminarId))!;
    app.recorder.producerAdded(room, seminar, { producer: video, source: 'camera', role: 'lecturer' });
    app.recorder.producerAdded(room, seminar, { producer: audio, source: 'mic', role: 'lecturer' });
    process.stdout.write(`RECORDING ${seminarId}\n`);
  })();
});
