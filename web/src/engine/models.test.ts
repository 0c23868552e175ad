import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm'; // the painting tests run on WASM, many times faster here than the plain cpu backend
import { parseManifest, styleVector } from './manifest';
import { fetchVerified, loadModel, ModelLoadError } from './models';
import { isAbort, isResourceError, MIN_TILE, stylize } from './stylize';
import { diskFetch, shipped } from './test-models';
import { largestPass, planTiles } from './tiles';

describe('models', () => {
  it('refuses a damaged file', async () => {
    const m = parseManifest(shipped());
    const file = m.models[0].files[1];
    await expect(fetchVerified('models', file, undefined, diskFetch(file.path))).rejects.toThrow(ModelLoadError);
    await expect(fetchVerified('models', file, undefined, diskFetch(file.path))).rejects.toThrow('checksum');
  });
  it('says which model file is missing', async () => {
    const m = parseManifest(shipped());
    const missing = { ...m.models[0].files[1], path: 'gallery/gone.bin' };
    await expect(fetchVerified('models', missing, undefined, diskFetch())).rejects.toThrow('could not download gallery/gone.bin: HTTP 404');
  });
  it('stylises repeatedly without leaking tensors', async () => {
    await tf.setBackend('wasm');
    const m = parseManifest(shipped());
    const seen: number[] = [];
    const model = await loadModel('models', m, 'gallery', (loaded) => seen.push(loaded), diskFetch());
    expect(seen.at(-1)).toBe(m.models[0].total_bytes);
    const image = { width: 20, height: 14, data: new Uint8ClampedArray(20 * 14 * 4).map((_, i) => (i * 37) % 256) };
    const vector = styleVector(m, 'starry-night');
    const first = await stylize(model, image, vector);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      await stylize(model, image, vector, { strength: (i % 5) / 4, preserveColor: i % 2 === 0, tile: i % 3 === 0 ? 8 : 1024, overlap: 4 });
    }
    expect(tf.memory().numTensors).toBe(before);
    const again = await stylize(model, image, vector);
    expect(Array.from(again.data)).toEqual(Array.from(first.data));
    const zero = await stylize(model, image, vector, { strength: 0 });
    for (let i = 0; i < image.data.length; i += 4) expect(zero.data[i]).toBe(image.data[i]);
    model.dispose();
  }, 120_000);
  it('paints pictures too thin for the network: 1 x 1, 512 x 1, 3 x 1100 (tiled)', async () => {
    await tf.setBackend('wasm');
    const m = parseManifest(shipped());
    const model = await loadModel('models', m, 'gallery', undefined, diskFetch());
    const vector = styleVector(m, 'udnie');
    const before = tf.memory().numTensors;
    for (const [width, height, tile] of [[1, 1, 1024], [512, 1, 1024], [3, 1100, 1024]]) {
      const image = { width, height, data: new Uint8ClampedArray(width * height * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 41) % 256)) };
      const out = await stylize(model, image, vector, { tile });
      expect([out.width, out.height]).toEqual([width, height]);
      expect(out.data.length).toBe(width * height * 4);
      expect(Array.from(out.data).some((v, i) => i % 4 !== 3 && v !== image.data[i])).toBe(true); // painted
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  }, 120_000);
  it('paints in smaller tiles when a pass is too big for the device, without leaking', async () => {
    await tf.setBackend('wasm');
    const m = parseManifest(shipped());
    const real = await loadModel('models', m, 'gallery', undefined, diskFetch());
    const limit = 129; // a "GPU" that takes passes up to 129 px a side
    const passes: number[] = [];
    const graph = {
      execute(inputs: Record<string, tf.Tensor>, outputs?: string) {
        const [, h, w] = inputs.content.shape;
        passes.push(Math.max(h, w));
        if (Math.max(h, w) > limit) throw new Error('Requested texture size [9000x9000] greater than WebGL maximum on this browser / GPU [8192x8192].');
        return real.graph.execute(inputs, outputs);
      },
    };
    const small = { ...real, entry: { ...real.entry, id: 'gallery-small-gpu' }, graph: graph as unknown as typeof real.graph };
    const image = { width: 200, height: 100, data: new Uint8ClampedArray(200 * 100 * 4).map((_, i) => (i * 53) % 256) };
    const vector = styleVector(m, 'udnie');
    const reference = await stylize(real, image, vector, { tile: 128, overlap: 8, statistics: 'tile' });
    const before = tf.memory().numTensors;
    const retries: number[] = [];
    const out = await stylize(small, image, vector, { tile: 1024, overlap: 8, statistics: 'tile', onRetry: (_, tile) => retries.push(tile) });
    expect(retries).toEqual([128]); // half of 200, but never below MIN_TILE
    expect(tf.memory().numTensors).toBe(before);
    expect(out.width).toBe(200);
    expect(Array.from(out.data)).toEqual(Array.from(reference.data));
    passes.length = 0;
    await stylize(small, image, vector, { tile: 1024, overlap: 8, statistics: 'tile' }); // remembered: straight to 128 px tiles
    // 200 px in tiles of at most 128: two of 104, the narrowest two tiles can be
    expect(Math.max(...passes)).toBe(largestPass(planTiles(200, 100, 128, 8, 4)));
    expect(largestPass(planTiles(200, 100, 128, 8, 4))).toBe(104);
    expect(isResourceError(new Error('Failed to compile fragment shader.'))).toBe(false);
    expect(isResourceError(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(MIN_TILE).toBe(128);
    real.dispose();
  }, 120_000);
  it('paints up to 1536 px in one pass on WASM, where only memory bounds a pass, and tiles above 1024 px elsewhere', async () => {
    const m = parseManifest(shipped());
    const image = { width: 1100, height: 16, data: new Uint8ClampedArray(1100 * 16 * 4).map((_, i) => (i * 13) % 256) };
    const vector = styleVector(m, 'udnie');
    const passesOn = async (backend: string) => {
      await tf.setBackend(backend);
      const real = await loadModel('models', m, 'gallery', undefined, diskFetch());
      let passes = 0;
      const graph = { execute: (inputs: Record<string, tf.Tensor>, outputs?: string) => (passes++, real.graph.execute(inputs, outputs)) };
      const counted = { ...real, entry: { ...real.entry, id: `gallery-counted-${backend}` }, graph: graph as unknown as typeof real.graph };
      await stylize(counted, image, vector, { statistics: 'tile' });
      real.dispose();
      return passes;
    };
    expect(await passesOn('wasm')).toBe(1);
    expect(await passesOn('cpu')).toBe(2);
  }, 120_000);
  it('stops between tiles when its signal is aborted, without leaking or learning a smaller tile', async () => {
    await tf.setBackend('wasm');
    const m = parseManifest(shipped());
    const real = await loadModel('models', m, 'gallery', undefined, diskFetch());
    const controller = new AbortController();
    let passes = 0;
    const graph = {
      execute(inputs: Record<string, tf.Tensor>, outputs?: string) {
        if (++passes === 3) controller.abort(); // a newer request arrives during the third pass
        return real.graph.execute(inputs, outputs);
      },
    };
    const watched = { ...real, entry: { ...real.entry, id: 'gallery-aborted' }, graph: graph as unknown as typeof real.graph };
    const image = { width: 200, height: 100, data: new Uint8ClampedArray(200 * 100 * 4).map((_, i) => (i * 29) % 256) };
    const vector = styleVector(m, 'the-scream');
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const painting = stylize(watched, image, vector, { tile: 64, overlap: 8, signal: controller.signal, onProgress: (done) => progress.push(done) });
    const error = await painting.then(() => null, (e) => e);
    expect(isAbort(error)).toBe(true);
    expect(passes).toBe(3); // nothing ran after the abort
    expect(tf.memory().numTensors).toBe(before);
    // A fresh call paints at the asked tile size: the abort taught it nothing.
    passes = 0;
    await stylize(watched, image, vector, { tile: 1024, statistics: 'tile' });
    expect(passes).toBe(1);
    await expect(stylize(real, image, vector, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
    expect(isAbort(new Error('Requested texture size'))).toBe(false);
    real.dispose();
  }, 120_000);
});
