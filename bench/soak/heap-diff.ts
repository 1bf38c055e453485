// What the soak's churn left in Node's heap, from the three snapshots `SOAK_HEAP_SNAPSHOTS=dir`
// writes (s1 before anyone joined, s2 at the end of the churn, s3 after everyone left): the
// objects allocated between s1 and s2 and still alive in s3 (V8 keeps an object's id across
// snapshots of one process), each put down to what holds it, the nearest object older than s1
// on its shortest path from the roots. V8's own survivors (compiled code, type feedback, object
// shapes: the cost of having run the code once) are told apart from data, which is what a leak
// would be; by node type, so the few V8 internals typed as arrays count as data. memlab does this kind of diff, but it pulls in puppeteer (a browser download on
// install) and its find-leaks did not finish within 10 minutes on these snapshots here.
//
// `node --import tsx bench/soak/heap-diff.ts DIR` writes bench/results/soak-heap.json and prints
// the table; `node --import tsx bench/soak/heap-diff.ts --readme` puts the last one into README.md.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMain, reportFromResults } from '../lib/readme-block';

/** The parts of V8's .heapsnapshot format read here (see Chrome DevTools' HeapSnapshot loader). */
interface SnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

class Snapshot {
  readonly count: number;
  private readonly nodeFields: number;
  private readonly edgeFields: number;
  /** Offsets of a node's fields in `nodes`, looked up by name in the file's own meta. */
  private readonly at: { type: number; name: number; id: number; size: number };
  /** Index into `edges` of each node's first edge (node i's edges end where node i + 1's begin). */
  private readonly firstEdge: Uint32Array;

  constructor(private readonly file: SnapshotFile) {
    const meta = file.snapshot.meta;
    this.nodeFields = meta.node_fields.length;
    this.edgeFields = meta.edge_fields.length;
    this.count = file.nodes.length / this.nodeFields;
    this.firstEdge = new Uint32Array(this.count + 1);
    const field = (name: string) => {
      const i = meta.node_fields.indexOf(name);
      if (i < 0) throw new Error(`heap snapshot nodes have no ${name} field`);
      return i;
    };
    this.at = { type: field('type'), name: field('name'), id: field('id'), size: field('self_size') };
    const edgeCount = field('edge_count');
    for (let i = 0, e = 0; i < this.count; i++) {
      this.firstEdge[i] = e;
      e += file.nodes[i * this.nodeFields + edgeCount]! * this.edgeFields;
      this.firstEdge[i + 1] = e;
    }
  }

  /** Whole, as JSON: fine at the soak's 70–80 MiB (V8's longest string, about 512 MiB, is the limit). */
  static read(file: string): Snapshot {
    return new Snapshot(JSON.parse(readFileSync(file, 'utf8')) as SnapshotFile);
  }

  type = (i: number) => this.file.snapshot.meta.node_types[0][this.file.nodes[i * this.nodeFields + this.at.type]!]!;
  name = (i: number) => this.file.strings[this.file.nodes[i * this.nodeFields + this.at.name]!]!;
  id = (i: number) => this.file.nodes[i * this.nodeFields + this.at.id]!;
  size = (i: number) => this.file.nodes[i * this.nodeFields + this.at.size]!;

  /** Each edge of node i: its type, its name (or index), the node it leads to. */
  *edges(i: number): Generator<{ type: string; name: string; to: number }> {
    const { edges, strings } = this.file;
    const types = this.file.snapshot.meta.edge_types[0];
    for (let e = this.firstEdge[i]!; e < this.firstEdge[i + 1]!; e += this.edgeFields) {
      const type = types[edges[e]!]!;
      const nameOrIndex = edges[e + 1]!;
      const name = type === 'element' || type === 'hidden' ? `[${nameOrIndex}]` : strings[nameOrIndex]!;
      yield { type, name, to: edges[e + 2]! / this.nodeFields };
    }
  }

  /**
   * The shortest-path tree from the roots (node 0), over every edge but weak ones (shortcut
   * edges count, so a path can be shorter than DevTools shows): each node's parent and the
   * edge name from it. Objects reachable only through weak references have no parent.
   */
  retainerTree(): { parent: Int32Array; via: string[] } {
    const parent = new Int32Array(this.count).fill(-1);
    const via: string[] = new Array<string>(this.count);
    const queue = [0];
    parent[0] = 0;
    for (let head = 0; head < queue.length; head++) {
      const u = queue[head]!;
      for (const e of this.edges(u)) {
        if (e.type === 'weak' || parent[e.to] !== -1) continue;
        parent[e.to] = u;
        via[e.to] = e.name;
        queue.push(e.to);
      }
    }
    return { parent, via };
  }
}

/** V8's own objects: what running code once leaves (machine code, bytecode, feedback, shapes). */
const V8_TYPES = new Set(['code', 'hidden', 'object shape']);

export interface HeapDiff {
  benchmark: 'soak-heap';
  date: string;
  snapshots: { name: string; heapMiB: number; fileMiB: number }[];
  survivors: { objects: number; kib: number };
  v8: { objects: number; kib: number };
  data: { objects: number; kib: number };
  /** Data survivors by what holds them, largest first. */
  holders: { holder: string; objects: number; kib: number }[];
  /** The holders past the largest 40, added up. */
  rest: { holders: number; objects: number; kib: number };
  /** V8's own survivors by node type and kind (machine code, deoptimisation data, feedback…), the largest 15. */
  v8Kinds: { kind: string; objects: number; kib: number }[];
}

function add(groups: Map<string, { objects: number; bytes: number }>, key: string, bytes: number): void {
  const g = groups.get(key) ?? { objects: 0, bytes: 0 };
  g.objects++;
  g.bytes += bytes;
  groups.set(key, g);
}

/** "(code for walkUpdatePath)" and its like are one kind: compiled code. */
const kindName = (name: string) => (name.startsWith('(code for ') ? '(code for a function)' : name.slice(0, 40) || '(unnamed)');

function largestHolders(holders: Map<string, { objects: number; bytes: number }>, keep: number): Pick<HeapDiff, 'holders' | 'rest'> {
  const sorted = [...holders.entries()].sort((a, b) => b[1].bytes - a[1].bytes);
  const rest = { holders: Math.max(0, sorted.length - keep), objects: 0, bytes: 0 };
  for (const [, h] of sorted.slice(keep)) {
    rest.objects += h.objects;
    rest.bytes += h.bytes;
  }
  return {
    holders: sorted.slice(0, keep).map(([holder, h]) => ({ holder, objects: h.objects, kib: kib(h.bytes) })),
    rest: { holders: rest.holders, objects: rest.objects, kib: kib(rest.bytes) },
  };
}

const kib = (bytes: number) => Math.round(bytes / 102.4) / 10;

export function diff(dir: string): HeapDiff {
  const files = ['s1', 's2', 's3'].map((n) => path.join(dir, `${n}.heapsnapshot`));
  const [baseline, target, final] = files.map((f) => Snapshot.read(f)) as [Snapshot, Snapshot, Snapshot];
  const heapBytes = (s: Snapshot) => {
    let total = 0;
    for (let i = 0; i < s.count; i++) total += s.size(i);
    return total;
  };
  const idsOf = (s: Snapshot) => {
    const ids = new Set<number>();
    for (let i = 0; i < s.count; i++) ids.add(s.id(i));
    return ids;
  };
  const before = idsOf(baseline);
  const during = idsOf(target);
  /** Allocated during the churn (in s2, not s1); `old`: there before anyone joined (in s1). */
  const fresh = new Uint8Array(final.count);
  const old = new Uint8Array(final.count);
  for (let i = 0; i < final.count; i++) {
    if (before.has(final.id(i))) old[i] = 1;
    else if (during.has(final.id(i))) fresh[i] = 1;
  }

  const { parent, via } = final.retainerTree();
  const label = (i: number) => `${final.name(i).slice(0, 40) || final.type(i)}${i > 0 && via[i] ? ` .${via[i]}` : ''}`;
  const totals = { survivors: { objects: 0, bytes: 0 }, v8: { objects: 0, bytes: 0 }, data: { objects: 0, bytes: 0 } };
  const holders = new Map<string, { objects: number; bytes: number }>();
  const v8Kinds = new Map<string, { objects: number; bytes: number }>();
  for (let i = 0; i < final.count; i++) {
    if (!fresh[i] || parent[i] === -1) continue;
    const bytes = final.size(i);
    totals.survivors.objects++;
    totals.survivors.bytes += bytes;
    const part = V8_TYPES.has(final.type(i)) ? totals.v8 : totals.data;
    part.objects++;
    part.bytes += bytes;
    if (part === totals.v8) {
      add(v8Kinds, `${final.type(i)} ${kindName(final.name(i))}`, bytes);
      continue;
    }
    // Up to the nearest object that was there before anyone joined (the tree ends at the
    // roots, so this stops), then that object and two of its holders.
    let k = i;
    while (!old[k] && k > 0) k = parent[k]!;
    const chain: string[] = [];
    for (let x = k; x > 0 && chain.length < 3; x = parent[x]!) chain.push(label(x));
    add(holders, chain.join(' ← '), bytes);
  }
  const part = (p: { objects: number; bytes: number }) => ({ objects: p.objects, kib: kib(p.bytes) });
  return {
    benchmark: 'soak-heap',
    // When the first snapshot was written: the run's own time, not this analysis's.
    date: statSync(files[0]!).mtime.toISOString(),
    snapshots: [baseline, target, final].map((s, n) => ({
      name: ['before anyone joined', 'end of the churn', 'after everyone left'][n]!,
      heapMiB: Math.round((heapBytes(s) / 2 ** 20) * 10) / 10,
      fileMiB: Math.round(statSync(files[n]!).size / 2 ** 20),
    })),
    survivors: part(totals.survivors),
    v8: part(totals.v8),
    data: part(totals.data),
    ...largestHolders(holders, 40),
    v8Kinds: largestHolders(v8Kinds, 15).holders.map(({ holder, ...size }) => ({ kind: holder, ...size })),
  };
}

export function renderMarkdown(d: HeapDiff, rows = 12): string {
  const shown = d.holders.slice(0, rows);
  const hidden = d.holders.slice(rows);
  const rest = {
    holders: hidden.length + d.rest.holders,
    objects: hidden.reduce((sum, h) => sum + h.objects, d.rest.objects),
    kib: Math.round(hidden.reduce((sum, h) => sum + h.kib, d.rest.kib) * 10) / 10,
  };
  return [
    `Heap snapshots, ${d.date.slice(0, 16).replace('T', ' ')} UTC: ${d.snapshots.map((s) => `${s.name} ${s.heapMiB} MiB`).join(', ')} (each the sum of its objects' own sizes, V8's code and shapes included, after a full GC).`,
    '',
    `Allocated during the churn and still alive after everyone left: **${d.survivors.objects} objects, ${d.survivors.kib} KiB**; V8's own (compiled code, type feedback, object shapes) ${d.v8.kib} KiB in ${d.v8.objects} objects, data ${d.data.kib} KiB in ${d.data.objects} objects.`,
    '',
    `V8's own, largest kinds: ${d.v8Kinds
      .slice(0, 6)
      .map((k) => `${k.kind} ${k.kib} KiB`)
      .join(', ')}.`,
    '',
    '| data held by (nearest object older than the churn ← its holders) | objects | KiB |',
    '| --- | ---: | ---: |',
    ...shown.map((h) => `| \`${h.holder.replaceAll('|', '\\|')}\` | ${h.objects} | ${h.kib} |`),
    `| everything else (${rest.holders} holders) | ${rest.objects} | ${rest.kib} |`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const dir = process.argv.slice(2).find((a) => !a.startsWith('--'));
  if (dir) {
    const result = diff(dir);
    const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results', 'soak-heap.json');
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    process.stderr.write(`results in ${path.relative(process.cwd(), out)}\n`);
  }
  reportFromResults<HeapDiff>('soak-heap', 'bench/soak/heap-diff.ts', (d) => renderMarkdown(d));
}
