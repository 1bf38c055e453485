// Prints what each route of the front end costs to load, from the last build's
// manifest (web/dist/.vite/manifest.json): raw and gzip bytes, split into the
// route's own code, the app code it shares with other routes, and the vendor
// chunks (vite.config.ts names them). `npm run build:web` runs it after the build.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

interface ManifestChunk {
  file: string;
  name?: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'web/dist');
const manifest = JSON.parse(readFileSync(path.join(dist, '.vite/manifest.json'), 'utf8')) as Record<string, ManifestChunk>;

/** The routes, read from web/src/app.tsx so that this table cannot drift from the router. */
const routes = [
  ...readFileSync(path.join(root, 'web/src/app.tsx'), 'utf8').matchAll(
    // Pages may sit in folders (workspace/users), and a long entry may be wrapped over lines.
    /\{\s*path: '([^']+)',\s*component: page\(\(\) => import\('\.\/pages\/([\w/-]+)'\),\s*'(\w+)'\)\s*\}/g,
  ),
].map(([, route, page, ns]) => ({ route: route!, src: `src/pages/${page}.tsx`, ns: ns! }));
if (routes.length === 0) throw new Error('no routes found in web/src/app.tsx');

const sizeCache = new Map<string, { raw: number; gzip: number }>();
function size(file: string): { raw: number; gzip: number } {
  let s = sizeCache.get(file);
  if (!s) {
    const bytes = readFileSync(path.join(dist, file));
    s = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    sizeCache.set(file, s);
  }
  return s;
}

type Part = 'own' | 'app' | 'framework' | 'protocol' | 'socket.io-client' | 'mediasoup-client' | 'hls.js' | 'texts' | 'css';
const vendor = new Set<Part>(['framework', 'protocol', 'socket.io-client', 'mediasoup-client', 'hls.js']);

/** Every file a manifest key loads with it: its static imports, recursively, and their CSS. */
function closure(key: string, into = new Set<string>()): Set<string> {
  if (into.has(key)) return into;
  into.add(key);
  for (const imp of manifest[key]?.imports ?? []) closure(imp, into);
  return into;
}

function partOf(key: string, own: string): Part {
  const chunk = manifest[key]!;
  if (key === own) return 'own';
  if (chunk.name && vendor.has(chunk.name as Part)) return chunk.name as Part;
  if (chunk.name?.startsWith('locale-')) return 'texts';
  return 'app';
}

const entryKey = Object.keys(manifest).find((k) => manifest[k]!.isEntry)!;
const kb = (n: number) => (n / 1024).toFixed(1);
const cell = (s?: { raw: number; gzip: number }) => (s && s.raw > 0 ? `${kb(s.raw)} / ${kb(s.gzip)}` : '–');
const add = (a: { raw: number; gzip: number }, b: { raw: number; gzip: number }) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip });

const columns: Part[] = ['own', 'app', 'framework', 'protocol', 'socket.io-client', 'mediasoup-client', 'hls.js', 'texts', 'css'];
const header = [
  'route',
  "route's own code",
  'shared app code',
  'framework',
  'zod (protocol)',
  'socket.io-client',
  'mediasoup-client',
  'hls.js',
  'texts (ru)',
  'CSS',
  'first load',
  'on demand',
];
const rows: string[][] = [];
for (const r of routes) {
  // A page that another page also imports statically (the sign-in form) is built as a shared
  // chunk named after it, without a src of its own.
  const name = path.basename(r.src, '.tsx');
  const ownKey =
    Object.keys(manifest).find((k) => manifest[k]!.src === r.src) ??
    Object.keys(manifest).find((k) => !manifest[k]!.src && manifest[k]!.name === name);
  if (!ownKey) throw new Error(`${r.src} is not in the build`);
  const keys = closure(ownKey, closure(entryKey));
  for (const ns of ['common', r.ns]) {
    const textKey = `src/locales/ru/${ns}.ts`;
    if (!manifest[textKey]) throw new Error(`${textKey} is not in the build`);
    keys.add(textKey);
  }
  const parts = new Map<Part, { raw: number; gzip: number }>();
  let total = { raw: 0, gzip: 0 };
  const files = new Set<string>();
  for (const key of keys) {
    const chunk = manifest[key]!;
    const part = partOf(key, ownKey);
    for (const [file, p] of [[chunk.file, part], ...(chunk.css ?? []).map((c) => [c, 'css'] as const)] as const) {
      if (files.has(file)) continue;
      files.add(file);
      const s = size(file);
      parts.set(p, add(parts.get(p) ?? { raw: 0, gzip: 0 }, s));
      total = add(total, s);
    }
  }
  // Loaded later, only when the page needs it (hls.js when a viewer falls back to the live HLS);
  // other routes and the other language's texts do not count.
  const later = new Set<string>();
  for (const key of keys) {
    for (const d of manifest[key]!.dynamicImports ?? []) {
      if (/^src\/(pages|locales)\//.test(manifest[d]!.src ?? '')) continue;
      for (const c of closure(d)) if (!keys.has(c)) later.add(c);
    }
  }
  const onDemand = [...later].reduce((s, k) => add(s, size(manifest[k]!.file)), { raw: 0, gzip: 0 });
  rows.push([
    `\`${r.route}\``,
    ...columns.map((c) => cell(parts.get(c))),
    `**${cell(total)}**`,
    later.size > 0 ? `${[...later].map((k) => manifest[k]!.name).join(' + ')}: ${cell(onDemand)}` : '–',
  ]);
}

console.log('KiB, raw / gzip (level 9). First load: the app shell, the route and its texts in Russian.\n');
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
