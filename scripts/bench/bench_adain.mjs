// Times the arbitrary-style network against the shipped gallery network, painting the same 512 x 512
// picture with the engine's public calls (stylize, stylizeAdain; web/src/engine loaded through Vite)
// on tfjs wasm in Node, alternating runs after a warm-up. Optionally also AdaIN with another encoder
// (a folder holding a graph model with the same input and output, e.g. VGG16 itself) and the style's
// statistics under that encoder (float32 means then deviations, as shipped).
//
// Usage: node scripts/bench/bench_adain.mjs CONFIG.json   (scripts/bench/bench_adain.py writes it and reads the result)
//   CONFIG: { "image": RAW_RGBA_PATH, "width", "height", "style": ID, "runs",
//             "encoders": { NAME: null (the shipped one) | { "folder", "statistics": BIN_PATH } }, "out": RESULT_JSON }
import { readFileSync, writeFileSync } from 'node:fs';
import { withEngine } from './node_engine.mjs';

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

await withEngine(process.argv[2], async ({ engine, tf, config, manifest, image, load, statistics: shippedStatistics }) => {
  const tfconv = await import('@tensorflow/tfjs-converter');
  const style = manifest.styles.find((s) => s.id === config.style);
  const gallery = await load(style.model);
  const vector = engine.styleVector(manifest, config.style);
  const decoder = await load('adain-decoder');
  const shipped = await load('adain-encoder');
  const statistics = await shippedStatistics(style);
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
});
