import { execFile, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The version ffmpeg reports, e.g. "5.1.8-0+deb12u1"; throws if it cannot run. */
export async function ffmpegVersion(bin = 'ffmpeg'): Promise<string> {
  const { stdout } = await run(bin, ['-hide_banner', '-version'], { timeout: 5000 });
  const match = /^ffmpeg version (\S+)/.exec(stdout);
  if (!match?.[1]) throw new Error(`unexpected "${bin} -version" output: ${stdout.slice(0, 80)}`);
  return match[1];
}

let setprivWorks: boolean | undefined;

/**
 * Whether children can be tied to this process's life: util-linux's setpriv (Debian's
 * essential util-linux package) with --pdeathsig. Checked once.
 */
export function canTieToParent(): boolean {
  setprivWorks ??= spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  return setprivWorks;
}

/**
 * Spawns a program that the kernel kills when this process dies, however it dies (SIGKILL,
 * the OOM killer): otherwise a recorder's ffmpeg outlives a killed Lectern, holding its ports
 * and writing segments nobody lists. Node cannot set PR_SET_PDEATHSIG itself, so setpriv sets
 * it and then execs the program, which keeps setpriv's pid (kill() and stdin reach it as
 * before). The signal fires when the thread that spawned it ends: Node spawns from its main
 * thread, which lives as long as the process. Without setpriv, a plain spawn.
 */
export function spawnTiedToParent(bin: string, args: string[], options: SpawnOptions): ChildProcess {
  if (!canTieToParent()) return spawn(bin, args, options);
  return spawn('setpriv', ['--pdeathsig', 'KILL', '--', bin, ...args], options);
}
