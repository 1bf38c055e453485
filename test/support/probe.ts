import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function ffprobeJson(file: string, extra: string[] = []): Promise<any> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...extra, file], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

/** Decodes a file completely; returns the number of video frames decoded. Throws if ffmpeg finds errors. */
export async function decodeFrames(file: string): Promise<number> {
  const { stdout, stderr } = await run('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'csv=p=0',
    file,
  ]);
  if (stderr.trim()) throw new Error(`decoding ${file}: ${stderr.trim().slice(0, 300)}`);
  // csv prints the stream section, then an empty program section; the first number is the count.
  return Number(stdout.split(/[\s,]+/).find((v) => /^\d+$/.test(v)));
}

/** Packet timestamps (dts, seconds) of one stream, in file order. */
export async function packetTimes(file: string, stream: 'v:0' | 'a:0'): Promise<number[]> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=dts_time', '-of', 'csv=p=0', file],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout
    .split('\n')
    .map((line) => line.split(',')[0]!.trim())
    .filter((v) => v !== '' && v !== 'N/A')
    .map(Number);
}
