/// <reference types="node" />
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { findNormLayers, PooledMoments } from './statistics';
import { planTiles, tileCores } from './tiles';
import { MODELS } from './test-models';

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
});
