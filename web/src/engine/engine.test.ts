/// <reference types="node" />
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { abandonBackend, backendOrder, ContextLostError, initBackend, isContextLost, lastLossCause, lossOr, recoverBackend, whenContextLost } from './backend';
import { adaptSide } from './live';
import { painterWithin, VideoError } from './video';
import { preserveColor, preservePixel } from './color';
import { ManifestError, parseManifest, styleVector } from './manifest';
import { fetchVerified, loadModel, ModelLoadError } from './models';
import { isAbort, isResourceError, MIN_TILE, stylize } from './stylize';
import { findNormLayers, PooledMoments } from './statistics';
import { planTiles, TileBlender, tileCores, tileWeights } from './tiles';
import { fitSize, sniff } from '../ui/photo';

const MODELS = resolve(__dirname, '../../../models');
const shipped = () => JSON.parse(readFileSync(`${MODELS}/manifest.json`, 'utf8'));

/** fetch() over the models folder on disk, optionally with one file damaged. */
function diskFetch(damage?: string): typeof fetch {
  return (async (url: string) => {
    const path = url.replace(/^models\//, '').replace(/\?.*$/, '');
    try {
      let bytes = new Uint8Array(readFileSync(`${MODELS}/${path}`));
      if (damage && path === damage) bytes = bytes.map((b, i) => (i === 100 ? b ^ 0xff : b));
      return new Response(bytes);
    } catch {
      return new Response('missing', { status: 404 });
    }
  }) as unknown as typeof fetch;
}

describe('manifest', () => {
  it('accepts the shipped manifest and builds style vectors', () => {
    const m = parseManifest(shipped());
    expect(m.styles.length).toBe(12);
    const v = styleVector(m, 'great-wave');
    expect(v.length).toBe(12);
    expect(v.reduce((a, b) => a + b)).toBe(1);
    expect(v[m.styles.find((s) => s.id === 'great-wave')!.index]).toBe(1);
    const mix = styleVector(m, 'great-wave', { 'great-wave': 1, 'starry-night': 3 });
    expect(mix[m.styles.find((s) => s.id === 'starry-night')!.index]).toBeCloseTo(0.75);
  });
  it.each([
    [(m: any) => { m.schema = 2; }, 'version 2'],
    [(m: any) => { delete m.styles[0].title; }, 'styles/0/title'],
    [(m: any) => { m.styles[0].model = 'nope'; }, 'names model nope'],
    [(m: any) => { m.models[0].files[0].sha256 = 'abc'; }, 'sha256'],
    [(m: any) => { m.models[0].files[0].path = '../etc/passwd'; }, 'unsafe'],
    [(m: any) => { m.styles[1].id = m.styles[0].id; }, 'not unique'],
  ])('names the problem %#', (change, words) => {
    const m = shipped();
    change(m);
    expect(() => parseManifest(m)).toThrow(ManifestError);
    expect(() => parseManifest(m)).toThrow(words as string);
  });
});

describe('tiles', () => {
  it('covers the image with overlapping tiles of the required multiple', () => {
    const tiles = planTiles(3000, 2000, 1024, 64, 4);
    expect(tiles.length).toBe(4 * 3); // 960 px steps: every overlap is at least 64 px
    for (const t of tiles) {
      expect(t.x % 4).toBe(0); // on the network's grid
      expect(t.y % 4).toBe(0);
      expect(t.x + t.width).toBeLessThanOrEqual(3000);
      expect(t.width).toBeLessThanOrEqual(1024);
    }
    // 700 px: a second row that starts on the grid (192, not 700 - 512 = 188) and ends at the edge
    expect(planTiles(1000, 700, 512, 64, 8).map((t) => [t.x, t.y, t.width, t.height])).toEqual([
      [0, 0, 512, 512], [448, 0, 512, 512], [488, 0, 512, 512],
      [0, 192, 512, 508], [448, 192, 512, 508], [488, 192, 512, 508]]);
    const covered = new Uint8Array(3000 * 2000);
    for (const t of tiles) for (let y = t.y; y < t.y + t.height; y++) covered.fill(1, y * 3000 + t.x, y * 3000 + t.x + t.width);
    expect(covered.every((c) => c === 1)).toBe(true);
    expect(planTiles(500, 300, 1024, 64, 4)).toEqual([{ x: 0, y: 0, width: 500, height: 300 }]);
  });
  it('blends constant tiles back to the constant, seamlessly', () => {
    const [w, h, overlap] = [300, 200, 32];
    const tiles = planTiles(w, h, 128, overlap, 4);
    const blender = new TileBlender(w, h, overlap);
    for (const t of tiles) blender.add(t, new Float32Array(t.width * t.height * 3).fill(100));
    const out = blender.result();
    let [lo, hi] = [Infinity, -Infinity];
    for (const v of out) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    expect(lo).toBeCloseTo(100, 4);
    expect(hi).toBeCloseTo(100, 4);
    const weights = tileWeights(tiles[1], w, h, overlap);
    expect(weights[0]).toBeLessThan(0.05); // shared left edge fades in
    expect(Math.max(...weights)).toBe(1); // full weight away from shared edges
  });
});

describe('whole-image statistics', () => {
  it('splits the image into tile cores that cover each pixel once, inside their tiles', () => {
    for (const [w, h, tile, overlap] of [[3000, 2000, 1024, 64], [301, 203, 128, 32], [500, 300, 1024, 64], [1000, 700, 512, 64]]) {
      const tiles = planTiles(w, h, tile, overlap, 4);
      const cores = tileCores(tiles, w, h, 4);
      const count = new Uint8Array(w * h);
      cores.forEach((c, k) => {
        const t = tiles[k];
        expect(c.x >= t.x && c.y >= t.y && c.x + c.width <= t.x + t.width && c.y + c.height <= t.y + t.height).toBe(true);
        // a cut edge is at least half the overlap inside its tile
        if (c.x > 0) expect(c.x - t.x).toBeGreaterThanOrEqual(overlap / 2 - 2);
        if (c.x + c.width < w) expect(t.x + t.width - (c.x + c.width)).toBeGreaterThanOrEqual(overlap / 2 - 2);
        if (c.x > 0) expect(c.x % 4).toBe(0);
        if (c.y > 0) expect(c.y - t.y).toBeGreaterThanOrEqual(overlap / 2 - 2);
        if (c.y + c.height < h) expect(t.y + t.height - (c.y + c.height)).toBeGreaterThanOrEqual(overlap / 2 - 2);
        if (c.y > 0) expect(c.y % 4).toBe(0);
        for (let y = c.y; y < c.y + c.height; y++) for (let x = c.x; x < c.x + c.width; x++) count[y * w + x]++;
      });
      expect(count.every((n) => n === 1)).toBe(true);
    }
  });
  it('pools the moments of parts into the moments of the whole', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1e4 + Math.sin(i) * 50 + (i % 7));
    const moments = (v: number[]) => {
      const mean = v.reduce((a, b) => a + b) / v.length;
      return { mean, variance: v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length };
    };
    const pool = new PooledMoments(1);
    for (const [a, b] of [[0, 10], [10, 400], [400, 401], [401, 1000]]) {
      const m = moments(values.slice(a, b));
      pool.add({ mean: Float32Array.of(m.mean), variance: Float32Array.of(m.variance) }, b - a);
    }
    const whole = moments(values);
    expect(pool.result().mean[0]).toBeCloseTo(whole.mean, 2);
    expect(pool.result().variance[0] / whole.variance).toBeCloseTo(1, 5);
  });
  it('finds the instance norms of the shipped network in the order they run', () => {
    const nodes = JSON.parse(readFileSync(`${MODELS}/gallery/model.json`, 'utf8')).modelTopology.node;
    const layers = findNormLayers(nodes).map((l) => l.mean.match(/\/(\w+)_norm_1\/Mean$/)?.[1]);
    expect(layers).toEqual(['enc1', 'enc2', 'enc3', 'res0a', 'res0b', 'res1a', 'res1b', 'res2a', 'res2b', 'dec1', 'dec2']);
  });
  it('paints tiles as one full-size pass would, without leaking', async () => {
    await import('@tensorflow/tfjs-backend-wasm'); // twelve passes a tile: too slow on the plain cpu backend
    await tf.setBackend('wasm');
    const m = parseManifest(shipped());
    const model = await loadModel('models', m, 'gallery', undefined, diskFetch());
    // a picture whose halves differ, so that tiles' own statistics differ from the whole's
    const [w, h] = [509, 317]; // not a multiple of the stride: the last tiles are narrower and padded
    const data = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = 4 * (y * w + x);
        const left = x < w / 2;
        data[p] = left ? 40 + ((x * 7 + y * 3) % 60) : 200 + ((x * y) % 50);
        data[p + 1] = left ? 90 + 40 * Math.sin(x / 9) : 180 - ((x + 2 * y) % 90);
        data[p + 2] = left ? 150 + ((y * 5) % 80) : 30 + ((x * 11) % 40);
        data[p + 3] = 255;
      }
    }
    const image = { width: w, height: h, data };
    const vector = styleVector(m, 'the-scream');
    const whole = await stylize(model, image, vector); // one pass
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const tiled = await stylize(model, image, vector, { tile: 256, overlap: 64, onProgress: (done, total) => steps.push(done / total) });
    expect(tf.memory().numTensors).toBe(before);
    const own = await stylize(model, image, vector, { tile: 256, overlap: 64, statistics: 'tile' });
    const distance = (a: typeof whole) => a.data.reduce((s, v, i) => s + Math.abs(v - whole.data[i]), 0) / (w * h * 3);
    console.log(`tiles vs one pass, mean |difference| of 255: whole-image statistics ${distance(tiled).toFixed(2)}, each tile's own ${distance(own).toFixed(2)}`);
    expect(distance(tiled)).toBeLessThan(1);
    expect(distance(own)).toBeGreaterThan(20 * distance(tiled));
    expect(steps.at(-1)).toBe(1);
    expect(steps.length).toBe(1 + planTiles(w, h, 256, 64, 4).length * 12); // 11 measuring passes and the painting

    // a resource error while measuring: measured and painted again in smaller tiles, same pixels, no leak
    const limit = 200;
    const graph = {
      execute(inputs: Record<string, tf.Tensor>, outputs?: string) {
        if (Math.max(inputs.content.shape[1]!, inputs.content.shape[2]!) > limit) throw new Error('Requested texture size [9000x9000] greater than WebGL maximum on this browser / GPU [8192x8192].');
        return model.graph.execute(inputs, outputs);
      },
    };
    const small = { ...model, entry: { ...model.entry, id: 'gallery-200px-gpu' }, graph: graph as unknown as typeof model.graph };
    const reference = await stylize(model, image, vector, { tile: 128, overlap: 64 });
    const counted = tf.memory().numTensors;
    const retries: number[] = [];
    const retried = await stylize(small, image, vector, { tile: 256, overlap: 64, onRetry: (_, t) => retries.push(t) });
    expect(retries).toEqual([128]);
    expect(tf.memory().numTensors).toBe(counted);
    expect(Array.from(retried.data)).toEqual(Array.from(reference.data));
    model.dispose();
    await tf.setBackend('cpu');
  }, 300_000);
});

describe('colour preservation', () => {
  it('keeps the luminance of the stylised pixel and the chroma of the photo', () => {
    const out = preservePixel([200, 50, 50], [50, 50, 200]);
    const y = (p: number[]) => 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
    expect(y(out)).toBeCloseTo(y([200, 50, 50]), 0);
    expect(out[2]).toBeGreaterThan(out[0]); // still the photo's blue
    tf.setBackend('cpu');
    const t = preserveColor(tf.tensor([[[200, 50, 50]]]), tf.tensor([[[50, 50, 200]]]));
    const values = Array.from(t.dataSync());
    t.dispose();
    values.forEach((v, i) => expect(v).toBeCloseTo(out[i], 2));
  });
});

describe('backend choice', () => {
  it('prefers WebGPU, then WebGL, then WASM, never cpu', () => {
    expect(backendOrder()).toEqual(['webgpu', 'webgl', 'wasm']);
    expect(backendOrder('wasm')).toEqual(['wasm', 'webgpu', 'webgl']);
    expect(backendOrder(null, ['webgl', 'webgpu'])).toEqual(['wasm']);
    expect(backendOrder()).not.toContain('cpu');
  });
});

describe('GPU loss', () => {
  type LostInfo = { reason: string; message: string };
  /** A stand-in GPU backend (the cpu kernels under another name) whose device can be "lost". */
  function fakeBackend(name: string): { lose: (info: LostInfo) => void } {
    let lose: (info: LostInfo) => void = () => {};
    const lost = new Promise<LostInfo>((resolve) => { lose = resolve; });
    if (!tf.getKernelsForBackend(name).length) {
      for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: name });
    }
    tf.registerBackend(name, () => Object.assign(new MathBackendCPU(), { device: { lost } }), 0);
    return { lose: (info) => lose(info) };
  }

  it('notices a lost WebGPU device, fails what waits on it, and moves to the next backend', async () => {
    const g = globalThis as { navigator?: unknown };
    const navigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => ({}) } }, configurable: true });
    try {
      const first = fakeBackend('webgpu'); // the real wasm backend (backend.ts imports it) comes next
      expect(await initBackend({ exclude: ['webgl'] })).toBe('webgpu');
      const waiting = whenContextLost();
      expect(isContextLost()).toBe(false);
      // A call can fail before the device's `lost` settles: that error is held back briefly and
      // becomes ContextLostError when the loss follows; an error with no loss behind it stays itself.
      const plain = new Error('out of memory');
      expect(await lossOr(plain, 10)).toBe(plain);
      const failed = lossOr(new Error('mapAsync failed'));
      first.lose({ reason: 'unknown', message: 'driver reset' });
      expect(await failed).toBeInstanceOf(ContextLostError);
      await expect(waiting).rejects.toThrow('the GPU was reset (WebGPU device lost: driver reset)');
      expect(isContextLost()).toBe(true);
      expect(lastLossCause()).toBe('WebGPU device lost: driver reset');
      expect(await recoverBackend({ exclude: ['webgl'] })).toBe('wasm'); // a lost WebGPU is not trusted again
      expect(isContextLost()).toBe(false);

      // A device given up on purpose (failed self-test) must not take the next backend down when its
      // `lost` resolves later.
      const second = fakeBackend('webgpu');
      expect(await initBackend({ exclude: ['webgl'] })).toBe('webgpu');
      expect(await abandonBackend('webgpu', { exclude: ['webgl'] })).toBe('wasm');
      second.lose({ reason: 'unknown', message: 'late' });
      await new Promise((r) => setTimeout(r, 0));
      expect(isContextLost()).toBe(false);
      expect(tf.getBackend()).toBe('wasm');
    } finally {
      if (navigator) Object.defineProperty(globalThis, 'navigator', navigator);
      else delete g.navigator;
      await tf.setBackend('cpu');
      if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    }
  });
});

describe('live loop', () => {
  it('shrinks the processing size when frames are slow and grows it when there is headroom', () => {
    const target = 1000 / 15;
    expect(adaptSide(256, 2 * target, target, 96, 640)).toBeLessThan(256); // too slow: smaller
    expect(adaptSide(256, 4 * target, target, 96, 640)).toBe(152); // never below 60% in one step
    expect(adaptSide(256, target, target, 96, 640)).toBe(256); // on target: stay
    expect(adaptSide(256, 0.3 * target, target, 96, 640)).toBe(296); // headroom: 15% larger
    expect(adaptSide(104, 10 * target, target, 96, 640)).toBe(96); // bounded below
    expect(adaptSide(632, 0.1 * target, target, 96, 640)).toBe(640); // bounded above
    expect(adaptSide(256, 2 * target, target, 96, 640) % 8).toBe(0);
  });
});

describe('video', () => {
  it('waits for a painter instead of encoding unpainted frames, within a limit and until cancelled', async () => {
    let ready: (() => null) | null = null;
    const painter = () => ready;
    setTimeout(() => { ready = () => null; }, 120);
    expect(await painterWithin(painter as never, 5_000)).toBe(ready);
    const none = () => null;
    await expect(painterWithin(none, 100)).rejects.toThrow(/not ready within 0.1 s/);
    await expect(painterWithin(none, 5_000, AbortSignal.abort())).rejects.toThrow(VideoError);
    await expect(painterWithin(none, 5_000, AbortSignal.abort())).rejects.toThrow('was cancelled');
  });
});

describe('photo input', () => {
  it('recognises formats by their first bytes', () => {
    const bytes = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));
    expect(sniff(new Uint8Array([0xff, 0xd8, 0xff]))).toBe('jpeg');
    expect(sniff(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe('png');
    expect(sniff(bytes('\0\0\0\x18ftypheic'))).toBe('heic');
    expect(sniff(bytes('<?xml version="1.0"?><svg>'))).toBe('svg');
    expect(sniff(bytes('%PDF-1.7'))).toBe('pdf');
    expect(sniff(bytes('hello'))).toBe('unknown');
  });
  it('fits without enlarging', () => {
    expect(fitSize(4000, 3000, 1024)).toEqual({ width: 1024, height: 768 });
    expect(fitSize(300, 200, 1024)).toEqual({ width: 300, height: 200 });
  });
});

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
    await tf.setBackend('cpu');
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
    await tf.setBackend('cpu');
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
    await tf.setBackend('cpu');
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
    expect(Math.max(...passes)).toBe(128);
    expect(isResourceError(new Error('Failed to compile fragment shader.'))).toBe(false);
    expect(isResourceError(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(MIN_TILE).toBe(128);
    real.dispose();
  }, 120_000);
  it('paints up to 1536 px in one pass on WASM, where only memory bounds a pass, and tiles above 1024 px elsewhere', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
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
    await tf.setBackend('cpu');
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
