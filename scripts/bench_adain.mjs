// Times the arbitrary-style network against the shipped gallery network, painting the same 512 x 512
// picture with the engine's public calls (stylize, stylizeAdain; web/src/engine loaded through Vite)
// on tfjs wasm in Node, alternating runs after a warm-up. Optionally also AdaIN with another encoder
// (a folder holding a graph model with the same input and output, e.g. VGG16 itself) and the style's
// statistics under that encoder (float32 means then deviations, as shipped).
//
// Usage: node scripts/bench_adain.mjs CONFIG.json   (scripts/bench_adain.py writes it and reads the result)
//   CONFIG: { "image": RAW_RGBA_PATH, "width", "height", "style": ID, "runs",
//             "encoders": { NAME: null (the shipped one) | { "folder", "statistics": BIN_PATH } }, "out": RESULT_JSON }
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServer } from 'vite';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ROOT = resolve(import.meta.dirname, '..');
const server = await createServer({ configFile: false, root: ROOT, logLevel: 'error', appType: 'custom',
  server: { middlewareMode: true, hmr: false } });

/** A graph model from a folder on disk (model.json and its weight shards). */
async function loadFolder(tfconv, tf, folder) {
  const artifacts = JSON.parse(readFileSync(`${folder}/model.json`, 'utf8'));
  const specs = artifacts.weightsManifest.flatMap((g) => g.weights);
  const buffers = artifacts.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(`${folder}/${p}`)));
  const joined = Buffer.concat(buffers);
  return tfconv.loadGraphModel(tf.io.fromMemory({
    modelTopology: artifacts.modelTopology, weightSpecs: specs,
    weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength),
  }));
}

try {
  const engine = await server.ssrLoadModule('/web/src/engine/index.ts');
  const tf = await import('@tensorflow/tfjs-core');
  const tfconv = await import('@tensorflow/tfjs-converter');
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const diskFetch = async (url) => new Response(readFileSync(`${ROOT}/models/${url.replace(/^models\//, '').replace(/\?.*$/, '')}`));
  const manifest = engine.parseManifest(JSON.parse(readFileSync(`${ROOT}/models/manifest.json`, 'utf8')));
  const image = { width: config.width, height: config.height, data: new Uint8ClampedArray(readFileSync(config.image)) };
  const style = manifest.styles.find((s) => s.id === config.style);
  const gallery = await engine.loadModel('models', manifest, style.model, undefined, diskFetch);
  const vector = engine.styleVector(manifest, config.style);
  const decoder = await engine.loadModel('models', manifest, 'adain-decoder', undefined, diskFetch);
  const shipped = await engine.loadModel('models', manifest, 'adain-encoder', undefined, diskFetch);
  const statistics = await engine.loadStyleStatistics('models', style, diskFetch);
  const tile = Math.max(config.width, config.height);
  const cases = { gallery: () => engine.stylize(gallery, image, vector, { tile }) };
  for (const [name, other] of Object.entries(config.encoders)) {
    const encoder = other ? { ...shipped, graph: await loadFolder(tfconv, tf, other.folder) } : shipped;
    let stats = statistics;
    if (other) {
      const values = new Float32Array(new Uint8Array(readFileSync(other.statistics)).buffer);
      stats = { mean: values.slice(0, values.length / 2), std: values.slice(values.length / 2) };
    }
    cases[name] = () => engine.stylizeAdain({ encoder, decoder }, image, stats, { tile });
  }
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const paint of Object.values(cases)) await paint(); // warm-up: kernels compiled, memory grown
  for (let r = 0; r < config.runs; r++) {
    for (const [name, paint] of Object.entries(cases)) {
      const started = performance.now();
      await paint();
      times[name].push(Math.round(performance.now() - started));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const result = { backend: tf.getBackend(), tfjs: tf.version_core, tensors_after: tf.memory().numTensors, cases: {} };
  for (const [name, xs] of Object.entries(times)) result.cases[name] = { median_ms: median(xs), all_ms: xs };
  writeFileSync(config.out, JSON.stringify(result));
} finally {
  await server.close();
}
