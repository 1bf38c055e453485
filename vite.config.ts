import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));
const web = path.join(root, 'web');

/** A package and everything it depends on, from node_modules, so its chunk holds all of it. */
function closure(name: string, into = new Set<string>()): Set<string> {
  if (into.has(name)) return into;
  into.add(name);
  let manifest: { dependencies?: Record<string, string> } = {};
  try {
    manifest = JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as typeof manifest;
  } catch {
    // Not hoisted (nested under its dependant): its files match the dependant's name anyway.
  }
  for (const dep of Object.keys(manifest.dependencies ?? {})) closure(dep, into);
  return into;
}

// Vendor code in chunks of its own, named for what it is: every route shares the
// framework and the protocol, only the live rooms load mediasoup-client and
// Socket.IO, and hls.js comes only when a page plays HLS. It keeps each route's
// own chunk small and lets scripts/bundle-sizes.ts report them apart.
const vendorChunks: Array<[chunk: string, packages: Set<string>]> = [
  ['framework', new Set(['preact', 'preact-iso', '@preact/signals', '@preact/signals-core', 'i18next', 'i18next-resources-to-backend'])],
  ['protocol', new Set(['zod'])],
  ['mediasoup-client', closure('mediasoup-client')],
  ['socket.io-client', closure('socket.io-client')],
  ['hls.js', new Set(['hls.js'])],
];

function packageOf(id: string): string | undefined {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(id.replace(/\\/g, '/'));
  return m?.[1];
}

// The browser front end: one page (web/index.html) whose routes load lazily, built
// into web/dist, which the server serves as its static root. `npx vite` serves the
// sources with the API and the /live socket proxied to a Lectern on :8080.
export default defineConfig({
  root: web,
  base: '/',
  publicDir: false,
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: path.join(web, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The chunk graph, for scripts/bundle-sizes.ts.
    manifest: true,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod's sources carry /* @__PURE__ */ comments Rollup cannot place; harmless.
        if (warning.code === 'INVALID_ANNOTATION') return;
        warn(warning);
      },
      input: { index: path.join(web, 'index.html') },
      output: {
        manualChunks(id) {
          // Each language's texts per area: locale-ru-room and the like.
          // Rollup's CommonJS helpers go with the framework every page loads: left alone, they land
          // in the first CommonJS vendor's chunk (mediasoup-client), and any page with a CommonJS
          // package of its own (the uploads page's tus-js-client) would load all of that.
          if (id.includes('commonjsHelpers')) return 'framework';
          const texts = /\/web\/src\/locales\/(\w+)\/(\w+)\.ts$/.exec(id.replace(/\\/g, '/'));
          if (texts) return `locale-${texts[1]}-${texts[2]}`;
          // The full hls.js (subtitles) apart from the light one, so that only a replay with subtitles loads it.
          if (/node_modules\/hls\.js\/dist\/hls\.mjs$/.test(id.replace(/\\/g, '/'))) return 'hls.js-subtitles';
          const pkg = packageOf(id);
          if (!pkg) return undefined;
          return vendorChunks.find(([, packages]) => packages.has(pkg))?.[0];
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    fs: { allow: [root] },
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/media': 'http://127.0.0.1:8080',
      '/socket.io': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
});
