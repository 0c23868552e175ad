/// <reference types="node" />
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { backendOrder } from './backend';
import { adaptSide } from './live';
import { preserveColor, preservePixel } from './color';
import { ManifestError, parseManifest, styleVector } from './manifest';
import { fetchVerified, loadModel, ModelLoadError } from './models';
import { isResourceError, MIN_TILE, stylize } from './stylize';
import { planTiles, TileBlender, tileWeights } from './tiles';
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
      expect(t.width % 4).toBe(0);
      expect(t.x + t.width).toBeLessThanOrEqual(3000);
    }
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
  it('prefers WebGL, then WASM, never cpu', () => {
    expect(backendOrder()).toEqual(['webgl', 'wasm']);
    expect(backendOrder('wasm')).toEqual(['wasm', 'webgl']);
    expect(backendOrder(null, ['webgl'])).toEqual(['wasm']);
    expect(backendOrder()).not.toContain('cpu');
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
  it('paints in smaller tiles when a pass is too big for the device, without leaking', async () => {
    await tf.setBackend('cpu');
    const m = parseManifest(shipped());
    const real = await loadModel('models', m, 'gallery', undefined, diskFetch());
    const limit = 129; // a "GPU" that takes passes up to 129 px a side
    const passes: number[] = [];
    const graph = {
      execute(inputs: Record<string, tf.Tensor>) {
        const [, h, w] = inputs.content.shape;
        passes.push(Math.max(h, w));
        if (Math.max(h, w) > limit) throw new Error('Requested texture size [9000x9000] greater than WebGL maximum on this browser / GPU [8192x8192].');
        return real.graph.execute(inputs);
      },
    };
    const small = { ...real, entry: { ...real.entry, id: 'gallery-small-gpu' }, graph: graph as unknown as typeof real.graph };
    const image = { width: 200, height: 100, data: new Uint8ClampedArray(200 * 100 * 4).map((_, i) => (i * 53) % 256) };
    const vector = styleVector(m, 'udnie');
    const reference = await stylize(real, image, vector, { tile: 128, overlap: 8 });
    const before = tf.memory().numTensors;
    const retries: number[] = [];
    const out = await stylize(small, image, vector, { tile: 1024, overlap: 8, onRetry: (_, tile) => retries.push(tile) });
    expect(retries).toEqual([128]); // half of 200, but never below MIN_TILE
    expect(tf.memory().numTensors).toBe(before);
    expect(out.width).toBe(200);
    expect(Array.from(out.data)).toEqual(Array.from(reference.data));
    passes.length = 0;
    await stylize(small, image, vector, { tile: 1024, overlap: 8 }); // remembered: straight to 128 px tiles
    expect(Math.max(...passes)).toBe(128);
    expect(isResourceError(new Error('Failed to compile fragment shader.'))).toBe(false);
    expect(isResourceError(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(MIN_TILE).toBe(128);
    real.dispose();
  }, 120_000);
});
