#!/usr/bin/env node
// Run an exported TensorFlow.js graph model on one .npy image in Node, with no HTTP and no browser.
//
//   node scripts/tfjs_predict.mjs MODEL_DIR INPUT.npy OUTPUT.npy [--backend cpu|wasm] [--input NAME=FILE.npy ...]
//
// Models with several inputs (a style network's content image and style vector) get the others by
// name with --input; INPUT.npy then feeds the one input not named.
// MODEL_DIR holds model.json and its weight shards (convert/export.py writes them). INPUT.npy is a
// little-endian float32 C-order array, e.g. [1, H, W, 3] in 0-255; OUTPUT.npy gets the model's
// output in the same format. Prints one line of JSON: backend, shapes and milliseconds.
// Exit status: 0 on success, 1 on a missing or unreadable file or a failed run, 2 on bad usage.
//
// The pure-JS `@tensorflow/tfjs` is used (tfjs-node downloads libtensorflow on install). The cpu
// backend is the reference (closest to TensorFlow); wasm is about 20x faster.

import { readFileSync, writeFileSync, existsSync, statSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const USAGE = 'usage: node scripts/tfjs_predict.mjs MODEL_DIR INPUT.npy OUTPUT.npy [--backend cpu|wasm] [--input NAME=FILE.npy ...]';
const BACKENDS = ['cpu', 'wasm'];

class UsageError extends Error {}
class FileError extends Error {}

// ---------------------------------------------------------------------------------------------
// .npy, version 1-3, little-endian float32, C order only.

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export function readNpy(buf, name = 'array') {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(NPY_MAGIC)) {
    throw new FileError(`${name}: not a .npy file (bad magic)`);
  }
  const major = buf[6];
  let headerLen;
  let offset;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    offset = 12;
  } else {
    throw new FileError(`${name}: unsupported .npy version ${major}`);
  }
  const header = buf.subarray(offset, offset + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeMatch) throw new FileError(`${name}: unreadable .npy header ${header}`);
  if (descr[1] !== '<f4') {
    throw new FileError(`${name}: dtype ${descr[1]} is not little-endian float32 ('<f4'); use arr.astype('<f4')`);
  }
  if (fortran[1] !== 'False') throw new FileError(`${name}: Fortran-order arrays are not supported`);
  const shape = shapeMatch[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const size = shape.reduce((a, b) => a * b, 1);
  const dataStart = offset + headerLen;
  if (buf.length - dataStart !== size * 4) {
    throw new FileError(`${name}: expected ${size * 4} data bytes for shape [${shape}], found ${buf.length - dataStart}`);
  }
  // Copy into a fresh, aligned ArrayBuffer (a Node Buffer may sit at any offset of a shared pool).
  const values = new Float32Array(size);
  new Uint8Array(values.buffer).set(buf.subarray(dataStart, dataStart + size * 4));
  return { shape, values };
}

export function writeNpy(shape, values) {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64.
  const pad = (64 - ((10 + header.length + 1) % 64)) % 64;
  header += ' '.repeat(pad) + '\n';
  const pre = Buffer.alloc(10);
  NPY_MAGIC.copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  const data = Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), data]);
}

// ---------------------------------------------------------------------------------------------
// A tf.io.IOHandler that reads model.json and its weight shards from the local disk.

export function fileSystemHandler(modelJsonPath) {
  const base = dirname(modelJsonPath);
  return {
    async load() {
      const modelJSON = JSON.parse(readFileSync(modelJsonPath, 'utf8'));
      return tf.io.getModelArtifactsForJSON(modelJSON, async (weightsManifest) => {
        const specs = [];
        const buffers = [];
        for (const group of weightsManifest) {
          specs.push(...group.weights);
          for (const rel of group.paths) {
            const shard = join(base, rel);
            if (!existsSync(shard)) throw new FileError(`weight shard listed in ${modelJsonPath} is missing: ${shard}`);
            const b = readFileSync(shard);
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const positional = [];
  let backend = 'cpu';
  const extra = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (a === '--backend') {
      if (i + 1 >= argv.length) throw new UsageError('--backend needs a value');
      backend = argv[++i];
    } else if (a === '--input') {
      if (i + 1 >= argv.length) throw new UsageError('--input needs NAME=FILE.npy');
      const [name, ...rest] = argv[++i].split('=');
      if (!name || rest.length === 0) throw new UsageError(`--input needs NAME=FILE.npy, got ${argv[i]}`);
      extra[name] = resolve(rest.join('='));
    } else if (a.startsWith('--backend=')) {
      backend = a.slice('--backend='.length);
    } else if (a.startsWith('--')) {
      throw new UsageError(`unknown option ${a}`);
    } else {
      positional.push(a);
    }
  }
  if (positional.length !== 3) throw new UsageError(`expected 3 arguments, got ${positional.length}`);
  if (!BACKENDS.includes(backend)) throw new UsageError(`backend must be one of ${BACKENDS.join(', ')}, not ${backend}`);
  const [modelDir, input, output] = positional.map((p) => resolve(p));
  return { modelDir, input, output, backend, extra };
}

async function setBackend(name) {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`could not initialise the ${name} backend`);
  await tf.ready();
}

async function main() {
  const { modelDir, input, output, backend, extra } = parseArgs(process.argv.slice(2));

  const modelJsonPath = modelDir.endsWith('.json') ? modelDir : join(modelDir, 'model.json');
  if (!existsSync(modelJsonPath)) throw new FileError(`model not found: ${modelJsonPath}`);
  for (const file of [input, ...Object.values(extra)]) {
    if (!existsSync(file) || !statSync(file).isFile()) throw new FileError(`input not found: ${file}`);
  }
  const outDir = dirname(output);
  if (!existsSync(outDir)) throw new FileError(`output folder does not exist: ${outDir}`);

  tf.enableProdMode(); // also silences the "install tfjs-node" banner of the cpu backend
  await setBackend(backend);

  const t0 = performance.now();
  const model = await tf.loadGraphModel(fileSystemHandler(modelJsonPath));
  const loadMs = performance.now() - t0;

  const { shape, values } = readNpy(readFileSync(input), input);
  const x = tf.tensor(values, shape, 'float32');

  const feeds = {};
  for (const [name, file] of Object.entries(extra)) {
    const a = readNpy(readFileSync(file), file);
    feeds[name] = tf.tensor(a.values, a.shape, 'float32');
  }
  let feed = x;
  if (Object.keys(feeds).length) {
    const names = model.inputs.map((t) => t.name.replace(/:0$/, ''));
    const unknown = Object.keys(feeds).filter((n) => !names.includes(n));
    if (unknown.length) throw new UsageError(`the model has no input ${unknown.join(', ')}; its inputs: ${names.join(', ')}`);
    const rest = names.filter((n) => !(n in feeds));
    if (rest.length !== 1) throw new UsageError(`INPUT.npy must feed exactly one input, but ${rest.length} are unnamed`);
    feed = { ...feeds, [rest[0]]: x };
  }

  const t1 = performance.now();
  let result = await model.executeAsync(feed);
  if (Array.isArray(result)) {
    if (result.length !== 1) throw new Error(`model has ${result.length} outputs; this tool writes exactly one`);
    result = result[0];
  } else if (!(result instanceof tf.Tensor)) {
    const keys = Object.keys(result);
    if (keys.length !== 1) throw new Error(`model has outputs ${keys.join(', ')}; this tool writes exactly one`);
    result = result[keys[0]];
  }
  const outValues = await result.data();
  const predictMs = performance.now() - t1;

  writeFileSync(output, writeNpy(result.shape, Float32Array.from(outValues)));
  console.log(JSON.stringify({
    backend: tf.getBackend(),
    model: modelJsonPath,
    input_shape: shape,
    output_shape: result.shape,
    load_ms: Math.round(loadMs * 10) / 10,
    predict_ms: Math.round(predictMs * 10) / 10,
  }));
  tf.dispose([x, result, ...Object.values(feeds)]);
  model.dispose();
}

// Run only as a program, so that readNpy, writeNpy and fileSystemHandler can be imported.
if (process.argv[1] && existsSync(process.argv[1])
    && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().catch((err) => {
    if (err instanceof UsageError) {
      console.error(`tfjs_predict: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`tfjs_predict: ${err instanceof FileError ? err.message : (err && err.stack) || err}`);
    process.exit(1);
  });
}
