#!/usr/bin/env node
// Time TensorFlow.js graph models in Node on one backend, each on the same random input.
//
//   node scripts/bench/bench_tfjs.mjs --size 512 --runs 5 --backend wasm NAME=MODEL_DIR [NAME=MODEL_DIR ...]
//   node scripts/bench/bench_tfjs.mjs --width 320 --height 240 --frame 640x480 ...   (the live loop's frame step:
//        a camera-sized frame resized to WIDTH x HEIGHT, painted, clipped, scaled to 0-1 and read back)
//
// Models take `content` [1, H, W, 3] and, if they have it, `style` [1, N] (one-hot on style 0).
// After one warm-up run per model, prints one JSON line: {backend, size, runs, models: {NAME:
// {median_ms, min_ms, all_ms}}}. Runs alternate between models so that drift affects both alike.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { fileSystemHandler } from '../tfjs_predict.mjs';

function parse(argv) {
  const opts = { size: 512, width: null, height: null, frame: null, runs: 5, backend: 'wasm', models: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--size') opts.size = Number(argv[++i]);
    else if (a === '--runs') opts.runs = Number(argv[++i]);
    else if (a === '--width') opts.width = Number(argv[++i]);
    else if (a === '--height') opts.height = Number(argv[++i]);
    else if (a === '--frame') opts.frame = argv[++i].split('x').map(Number);
    else if (a === '--backend') opts.backend = argv[++i];
    else if (a.includes('=')) { const [name, dir] = a.split('='); opts.models[name] = dir; }
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Object.keys(opts.models).length) throw new Error('name at least one NAME=MODEL_DIR');
  return opts;
}

async function main() {
  const opts = parse(process.argv.slice(2));
  tf.enableProdMode();
  if (opts.backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(opts.backend))) throw new Error(`no ${opts.backend} backend`);
  await tf.ready();
  const width = opts.width || opts.size;
  const height = opts.height || opts.size;
  const input = opts.frame ? [1, opts.frame[1], opts.frame[0], 3] : [1, height, width, 3];
  const content = tf.randomUniform(input, 0, 255, 'float32', 7);
  const models = {};
  for (const [name, dir] of Object.entries(opts.models)) {
    const model = await tf.loadGraphModel(fileSystemHandler(join(dir, 'model.json')));
    const feeds = {};
    for (const input of model.inputs) {
      const key = input.name.replace(/:0$/, '');
      if (key === 'content') feeds[key] = content;
      else feeds[key] = tf.oneHot([0], input.shape[1]).toFloat();
    }
    models[name] = { model, feeds, times: [] };
  }
  const run = async (m) => {
    const t = performance.now();
    if (opts.frame) { // as web/src/engine/live.ts paints a frame
      const out = tf.tidy(() => {
        const frame = tf.image.resizeBilinear(content, [height, width], true);
        const y = m.model.execute({ ...m.feeds, content: frame });
        return tf.div(tf.clipByValue(tf.squeeze(Array.isArray(y) ? y[0] : y, [0]), 0, 255), 255);
      });
      await out.data();
      out.dispose();
      return performance.now() - t;
    }
    const out = await m.model.executeAsync(m.feeds);
    const result = Array.isArray(out) ? out[0] : out;
    await result.data();
    tf.dispose(out);
    return performance.now() - t;
  };
  for (const m of Object.values(models)) await run(m); // warm-up: kernel setup, first allocation
  for (let r = 0; r < opts.runs; r++) {
    for (const m of Object.values(models)) m.times.push(await run(m));
  }
  const summary = {};
  for (const [name, m] of Object.entries(models)) {
    const sorted = [...m.times].sort((a, b) => a - b);
    summary[name] = { median_ms: Math.round(sorted[Math.floor(sorted.length / 2)]), min_ms: Math.round(sorted[0]),
                      all_ms: m.times.map(Math.round) };
  }
  console.log(JSON.stringify({ backend: tf.getBackend(), size: opts.size, width, height, frame: opts.frame, runs: opts.runs,
    models: summary }));
}

main().catch((err) => { console.error(`bench_tfjs: ${err.stack || err}`); process.exit(1); });
