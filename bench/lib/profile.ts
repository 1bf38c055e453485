// A CPU profile of this process (the server side) over one run, summarised by where the time went.
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Self time grouped by package or area, biggest first. */
  byArea: Array<{ area: string; ms: number; percent: number }>;
  /** Self time of the hottest functions. */
  topFunctions: Array<{ fn: string; ms: number; percent: number }>;
}

export async function startProfile(): Promise<() => Promise<ProfileSummary>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    session.disconnect();
    const file = `/tmp/lectern-bench-progress-${Date.now()}.cpuprofile`;
    await writeFile(file, JSON.stringify(profile));
    return summarise(profile, file);
  };
}

function area(url: string, fn: string): string {
  if (!url) {
    if (fn === '(garbage collector)' || fn === '(idle)' || fn === '(program)' || fn === '(root)') return fn;
    return '(native)';
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:'))
    return url
      .replace(/^node:(internal\/)?/, 'node:')
      .split('/')
      .slice(0, 2)
      .join('/');
  const src = /\/(server|bench|media)\/(.*)$/.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  return url;
}

function summarise(profile: Profile, file: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0) / 1000;
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + us / 1000);
    const key = `${functionName || '(anonymous)'} ${a}:${lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us / 1000);
  }
  const pct = (ms: number) => Math.round((ms / total) * 1000) / 10;
  const sorted = (m: Map<string, number>) => [...m].sort((x, y) => y[1] - x[1]);
  return {
    file,
    totalMs: Math.round(total),
    byArea: sorted(areas)
      .slice(0, 25)
      .map(([a, ms]) => ({ area: a, ms: Math.round(ms), percent: pct(ms) })),
    topFunctions: sorted(fns)
      .slice(0, 25)
      .map(([fn, ms]) => ({ fn, ms: Math.round(ms), percent: pct(ms) })),
  };
}
