import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

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
  plugins: [react(), models(), contentSecurityPolicy()],
  build: { outDir: resolve(__dirname, 'dist'), emptyOutDir: true, chunkSizeWarningLimit: 2500 },
  preview: { host: '127.0.0.1', strictPort: true },
  test: { root: __dirname, include: ['src/**/*.test.ts'], environment: 'node' },
} as any);
