import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));
const web = path.join(root, 'web');

// The browser front end: four pages under web/, built into web/dist, which the
// server serves as its static root. `npx vite` serves the sources with the API
// and the /live socket proxied to a Lectern on :8080.
export default defineConfig({
  root: web,
  base: '/',
  publicDir: false,
  build: {
    outDir: path.join(web, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod's sources carry /* @__PURE__ */ comments Rollup cannot place; harmless.
        if (warning.code === 'INVALID_ANNOTATION') return;
        warn(warning);
      },
      input: {
        index: path.join(web, 'index.html'),
        studio: path.join(web, 'studio.html'),
        watch: path.join(web, 'watch.html'),
        replay: path.join(web, 'replay.html'),
      },
    },
  },
  server: {
    host: '127.0.0.1',
    fs: { allow: [root] },
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/socket.io': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
});
