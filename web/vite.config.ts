import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { availableParallelism } from 'node:os';

const MODELS = resolve(__dirname, '..', 'models');

/** Everything under models/ (manifest, model files, thumbnails) is served and shipped at <base>models/. */
function models(): Plugin {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
  const shipped = () => files(MODELS).filter((p) => !p.endsWith('.schema.json'));
  const serve = (server: { middlewares: { use: (fn: (req: any, res: any, next: () => void) => void) => void } }, base: string) => {
    server.middlewares.use((req, res, next) => {
      const url = decodeURIComponent((req.url ?? '').split('?')[0]);
      const prefix = `${base}models/`;
      if (!url.startsWith(prefix)) return next();
      const path = resolve(MODELS, url.slice(prefix.length));
      if (!path.startsWith(MODELS) || !existsSync(path) || statSync(path).isDirectory()) return next();
      res.setHeader('Content-Type', path.endsWith('.json') ? 'application/json' : path.endsWith('.jpg') ? 'image/jpeg' : 'application/octet-stream');
      res.end(readFileSync(path));
    });
  };
  let base = '/';
  return {
    name: 'deepstyle-models',
    configResolved(config) {
      base = config.base;
    },
    configureServer(server) {
      serve(server, base);
    },
    generateBundle() {
      for (const path of shipped()) {
        this.emitFile({ type: 'asset', fileName: `models/${relative(MODELS, path).split('\\').join('/')}`, source: readFileSync(path) });
      }
    },
  };
}

/** The production page allows its own origin only (plus what WebAssembly needs): nothing is uploaded. */
function contentSecurityPolicy(): Plugin {
  const policy = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:", // the painted video plays from a blob: URL made on this device
    "connect-src 'self' blob: data:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
  ].join('; ');
  return {
    name: 'deepstyle-csp',
    apply: 'build',
    transformIndexHtml(html) {
      return html.replace('<meta charset="UTF-8" />', `<meta charset="UTF-8" />\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
    },
  };
}

export default defineConfig({
  root: __dirname,
  base: process.env.BASE || '/',
  plugins: [
    react(),
    models(),
    contentSecurityPolicy(),
    // Offline and installable (Workbox): the app shell is precached; models, thumbnails and samples
    // are cached on first use. Model files are fetched with ?v=<sha256 prefix> from the manifest,
    // so an updated model has a new URL and a stale copy is never used (the engine checks sha256 too).
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script',
      manifest: {
        name: 'Deep Style',
        short_name: 'Deep Style',
        description: 'Turn a photo into a painting in your browser. Nothing is uploaded.',
        theme_color: '#2a6df4',
        background_color: '#fafaf7',
        display: 'standalone',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
        ],
      },
      workbox: {
        // The manifest and thumbnails are fetched before a first visit's service worker takes over,
        // so they are precached (with content revisions); model weights are cached when first used.
        globPatterns: ['**/*.{html,js,css,wasm,png,svg,webmanifest}', 'models/manifest.json', 'models/*/thumbnails/*.jpg'],
        globIgnores: ['samples/**', '**/*threaded*'], // no threads without COOP/COEP headers
        maximumFileSizeToCacheInBytes: 3_000_000,
        ignoreURLParametersMatching: [/^v$/], // ?v=<sha256 prefix> names a version, which precache revisions already track
        clientsClaim: true,
        skipWaiting: true,
        navigateFallback: 'index.html', // any page of the site opens the app shell, offline too
        runtimeCaching: [
          {
            urlPattern: ({ url }) => url.pathname.endsWith('/models/manifest.json'),
            handler: 'NetworkFirst',
            options: { cacheName: 'deepstyle-manifest', networkTimeoutSeconds: 5 },
          },
          {
            urlPattern: ({ url }) => url.pathname.includes('/models/') || url.pathname.includes('/samples/'),
            handler: 'CacheFirst',
            options: { cacheName: 'deepstyle-models', expiration: { maxEntries: 200 }, cacheableResponse: { statuses: [200] } },
          },
        ],
      },
    }),
  ],
  build: {
    outDir: resolve(__dirname, 'dist'), emptyOutDir: true, chunkSizeWarningLimit: 2500,
    // the page, and the smallest page built on the engine's public API (examples/minimal.html)
    rollupOptions: { input: { main: resolve(__dirname, 'index.html'), minimal: resolve(__dirname, 'examples/minimal.html') } },
  },
  preview: { host: '127.0.0.1', strictPort: true },
  // Vitest's default of one worker fewer than the cores leaves a 2-core machine running the files one by one.
  test: { root: __dirname, include: ['src/**/*.test.ts'], environment: 'node', maxWorkers: Math.max(2, availableParallelism() - 1) },
} as any);
