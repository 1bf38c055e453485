import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The version ffmpeg reports, e.g. "5.1.8-0+deb12u1"; throws if it cannot run. */
export async function ffmpegVersion(bin = 'ffmpeg'): Promise<string> {
  const { stdout } = await run(bin, ['-hide_banner', '-version'], { timeout: 5000 });
  const match = /^ffmpeg version (\S+)/.exec(stdout);
  if (!match?.[1]) throw new Error(`unexpected "${bin} -version" output: ${stdout.slice(0, 80)}`);
  return match[1];
}
