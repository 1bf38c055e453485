import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { mallocHeap, parseMallocInfo, trimMalloc, type MallocHeap } from '../../bench/soak/probes';

// A process that freed most of what it allocated, with one block left on top of its heap so
// that glibc cannot give the pages back by itself: the memory glibc keeps, as the soak's
// worker kept it after everyone left.
const PROGRAM = `
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(void) {
  enum { N = 200000 };
  static char *blocks[N];
  for (int i = 0; i < N; i++) { blocks[i] = malloc(200); for (int j = 0; j < 200; j += 64) blocks[i][j] = 1; }
  for (int i = 0; i < N - 1; i++) free(blocks[i]);
  puts("freed");
  fflush(stdout);
  sleep(60);
  return 0;
}
`;

let dir: string | undefined;
let child: ChildProcess | undefined;
afterAll(async () => {
  child?.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

const anonKiB = async (pid: number) => Number(/^RssAnon:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]);

describe("the soak's trim of the worker's allocator", () => {
  it('has gdb call malloc_trim in the process: the pages it freed are handed back, and /proc and glibc both say so', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lectern-trim-'));
    await writeFile(path.join(dir, 'freed.c'), PROGRAM);
    await promisify(execFile)('cc', ['-O0', '-o', path.join(dir, 'freed'), path.join(dir, 'freed.c')]);
    const proc = spawn(path.join(dir, 'freed'), [], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      proc.stdout.once('data', () => resolve());
      proc.once('exit', (code, signal) => reject(new Error(`the program ended before it freed: ${code ?? signal}`)));
    });
    const held = await anonKiB(proc.pid!);

    const trim = await trimMalloc(proc.pid!);

    if ('error' in trim) throw new Error(trim.error);
    // 200,000 blocks of 200 bytes (208 with glibc's header) were allocated, about 40 MiB, and
    // all but the last freed: glibc kept them; the trim hands back most of it.
    expect(held).toBeGreaterThan(35 * 1024);
    expect(trim.before.anonMiB).toBeCloseTo(held / 1024, 0);
    expect(trim.after.anonMiB!).toBeLessThan(trim.before.anonMiB! - 30);
    expect(await anonKiB(proc.pid!)).toBeLessThan(10 * 1024);
    // glibc's own account (malloc_info): one block and stdio's buffer in use; the freed 40 MiB
    // still counted free in its arena (the trim gave back their pages, not the arena's range).
    expect(trim.heap!.inUseMiB).toBeLessThan(0.5);
    expect(trim.heap!.freeMiB).toBeGreaterThan(35);
    // Asked again without a trim: the same.
    const again = await mallocHeap(proc.pid!);
    if ('error' in again) throw new Error(again.error);
    expect(again.inUseMiB).toBeLessThan(0.5);
    expect(again.freeMiB).toBeGreaterThan(35);
  }, 60_000);
});

describe("the soak's reading of malloc_info", () => {
  // The shape glibc 2.36 writes: each arena's totals inside its <heap>, the process's after the last.
  const xml = (tail: string) => `<malloc version="1">
<heap nr="0">
<sizes>
</sizes>
<total type="fast" count="3" size="1000000"/>
<total type="rest" count="9" size="9000000"/>
<system type="current" size="99000000"/>
<system type="max" size="99000000"/>
<aspace type="total" size="99000000"/>
<aspace type="mprotect" size="99000000"/>
</heap>
<heap nr="1">
<sizes>
</sizes>
<total type="fast" count="0" size="0"/>
<total type="rest" count="1" size="48"/>
<system type="current" size="135168"/>
<system type="max" size="135168"/>
<aspace type="total" size="135168"/>
<aspace type="mprotect" size="135168"/>
</heap>
${tail}</malloc>
`;
  const totals = `<total type="fast" count="2" size="1048576"/>
<total type="rest" count="10" size="2097152"/>
<total type="mmap" count="1" size="4194304"/>
<system type="current" size="12582912"/>
<system type="max" size="12582912"/>
<aspace type="total" size="12582912"/>
<aspace type="mprotect" size="12582912"/>
`;

  it("takes the process's totals, not an arena's: in use = from the system - free + mmapped", () => {
    expect(parseMallocInfo(xml(totals))).toEqual<MallocHeap>({ inUseMiB: 12 - 1 - 2 + 4, freeMiB: 3 });
  });

  it('gives nothing for output cut short or not malloc_info at all', () => {
    expect(parseMallocInfo(xml(totals.split('\n').slice(0, 2).join('\n')))).toBeNull();
    expect(parseMallocInfo(totals)).toBeNull();
    expect(parseMallocInfo('')).toBeNull();
  });
});
