// Times the engine's tiled painting in Node (tfjs wasm): whole-image instance-norm statistics (with the
// tensors each measuring pass hands on to the next, and with none kept, every pass computing from the
// photo again) against each tile's own, and one pass over the whole picture as the reference all are compared with.
// The engine (web/src/engine, TypeScript) is loaded through Vite; models come from models/ on disk.
//
// Usage: node scripts/bench/bench_tiling.mjs CONFIG.json   (scripts/bench/bench_tiling.py writes it and reads the result)
//   CONFIG: { "image": RAW_RGBA_PATH, "width", "height", "kind": "gallery"|"adain", "style": ID,
//             "tile", "runs", "out": FOLDER, "only_whole_image"? }  -> FOLDER/result.json and FOLDER/<case>.rgba
import { writeFileSync } from 'node:fs';
import { withEngine } from './node_engine.mjs';

await withEngine(process.argv[2], async ({ engine, tf, config, manifest, image, load, statistics }) => {
  let paint;
  if (config.kind === 'adain') {
    const models = { encoder: await load('adain-encoder'), decoder: await load('adain-decoder') };
    const stats = await statistics(manifest.styles.find((s) => s.id === config.style));
    paint = (options) => engine.stylizeAdain(models, image, stats, options);
  } else {
    const model = await load('gallery');
    const vector = engine.styleVector(manifest, config.style);
    paint = (options) => engine.stylize(model, image, vector, options);
  }
  const cases = config.only_whole_image ? { tiles_whole_image_statistics: { tile: config.tile, statistics: 'image' } } : {
    one_pass: { tile: Math.max(config.width, config.height) },
    tiles_whole_image_statistics: { tile: config.tile, statistics: 'image' },
    tiles_whole_image_statistics_nothing_kept: { tile: config.tile, statistics: 'image', keepBytes: 0 },
    tiles_own_statistics: { tile: config.tile, statistics: 'tile' },
  };
  const result = { backend: tf.getBackend(), tfjs: tf.version_core, cases: {} };
  await paint({ tile: 256 }); // warm-up: kernels compiled, memory grown
  for (const [name, options] of Object.entries(cases)) {
    const times = [];
    let passes = 0;
    let out;
    for (let r = 0; r < config.runs; r++) {
      const started = performance.now();
      out = await paint({ ...options, onProgress: (_, total) => { passes = total; } });
      times.push(Math.round(performance.now() - started));
    }
    writeFileSync(`${config.out}/${name}.rgba`, out.data);
    result.cases[name] = { ms: Math.min(...times), all_ms: times, passes: passes || 1 };
  }
  result.tensors_after = tf.memory().numTensors;
  writeFileSync(`${config.out}/result.json`, JSON.stringify(result));
});
