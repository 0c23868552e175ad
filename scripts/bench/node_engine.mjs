// The engine (web/src/engine, TypeScript) in Node for the benchmarks: loaded through Vite, on tfjs wasm,
// with models read from models/ on disk and the picture a benchmark's config names (raw RGBA bytes).
//
//   await withEngine(process.argv[2], async ({ engine, tf, config, manifest, image, load }) => { ... });
//
// `load(id)` loads a manifest model, `statistics(style)` a gallery painting's shipped AdaIN statistics.
// The Vite server is closed however the body ends.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServer } from 'vite';

export const ROOT = resolve(import.meta.dirname, '../..');

export async function withEngine(configPath, body) {
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  const server = await createServer({ configFile: false, root: ROOT, logLevel: 'error', appType: 'custom',
    server: { middlewareMode: true, hmr: false } });
  try {
    // the engine's modules themselves, below createStylizer: benchmarks time what it is built from
    const modules = await Promise.all(['manifest', 'models', 'stylize', 'adain'].map((m) => server.ssrLoadModule(`/web/src/engine/${m}.ts`)));
    const engine = Object.assign({}, ...modules);
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    await tf.ready();
    const diskFetch = async (url) => new Response(readFileSync(`${ROOT}/models/${url.replace(/^models\//, '').replace(/\?.*$/, '')}`));
    const manifest = engine.parseManifest(JSON.parse(readFileSync(`${ROOT}/models/manifest.json`, 'utf8')));
    const image = { width: config.width, height: config.height, data: new Uint8ClampedArray(readFileSync(config.image)) };
    const load = (id) => engine.loadModel('models', manifest, id, undefined, diskFetch);
    const statistics = (style) => engine.loadStyleStatistics('models', style, diskFetch);
    return await body({ engine, tf, config, manifest, image, load, statistics });
  } finally {
    await server.close();
  }
}
