/// <reference types="node" />
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { carryPlan, findNormLayers, PooledMoments, statisticNodes } from './statistics';
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
  it('plans the measuring passes so that each convolution runs once per tile, not once per pass', () => {
    type Node = { name: string; op: string; input?: string[] };
    const nodes: Node[] = JSON.parse(readFileSync(`${MODELS}/gallery/model.json`, 'utf8')).modelTopology.node;
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const layers = findNormLayers(nodes);
    const inputs = nodes.filter((n) => n.op === 'Placeholder').map((n) => n.name);
    expect(inputs.sort()).toEqual(['content', 'style']);
    const outputs = ['Identity'];
    expect(byName.has('Identity')).toBe(true);
    const plan = carryPlan(nodes, layers, inputs, outputs);
    expect(plan.length).toBe(layers.length);
    const base = (ref: string) => ref.replace(/:\d+$/, '');
    // the convolutions a pass runs, fed the graph's inputs, the earlier layers' statistics and `given`
    const convolutions = (targets: string[], k: number, given: string[]) => {
      const stops = new Set([...inputs, ...layers.slice(0, k).flatMap(statisticNodes), ...given.map(base)]);
      const seen = new Set<string>();
      const stack = targets.filter((t) => !stops.has(t));
      let count = 0;
      while (stack.length) {
        const name = stack.pop()!;
        if (seen.has(name)) continue;
        seen.add(name);
        const n = byName.get(name)!;
        if (n.op.includes('Conv2D')) count++;
        for (const i of n.input ?? []) if (!stops.has(base(i.replace(/^\^/, '')))) stack.push(base(i.replace(/^\^/, '')));
      }
      return count;
    };
    const targets = [...layers.map((l) => [l.input]), outputs];
    const planned = targets.reduce((sum, t, k) => sum + convolutions(t, k, k ? plan[k - 1] : []), 0);
    const unplanned = targets.reduce((sum, t, k) => sum + convolutions(t, k, []), 0);
    const all = nodes.filter((n) => n.op.includes('Conv2D')).length;
    console.log(`convolutions run by the ${layers.length + 1} passes of a tile: ${planned} handing tensors on, ${unplanned} without; `
      + `tensors handed on per pass: ${plan.map((p) => p.length).join(' ')}`);
    expect(all).toBe(16); // 3 encoder, 10 residual, 2 decoder and the output's, as convert/networks.py builds it
    expect(planned).toBe(all);
    expect(unplanned).toBeGreaterThan(4 * all);
    for (const p of plan) {
      for (const ref of p) expect(byName.get(base(ref))?.op).not.toMatch(/^(Placeholder|MirrorPad|Const)$/);
    }
    // the output pass reads what the last measuring pass hands on, and nothing else computed before
    expect(convolutions(outputs, layers.length, plan.at(-1)!)).toBe(1);
  });
  it('finds the instance norms and the colour head\'s mean of the shipped network in the order they run', () => {
    const nodes = JSON.parse(readFileSync(`${MODELS}/gallery/model.json`, 'utf8')).modelTopology.node;
    const layers = findNormLayers(nodes).map((l) => (l.variance
      ? l.mean.match(/\/(\w+)_norm_1\/Mean$/)?.[1]
      : `${l.mean.match(/\/(\w+)_1\/Mean$/)?.[1]}, mean alone`));
    const blocks = Array.from({ length: 5 }, (_, k) => [`res${k}a`, `res${k}b`]).flat();
    // the head's mean colour is taken of the photo itself, so it comes first
    expect(layers).toEqual(['stylized, mean alone', 'enc1', 'enc2', 'enc3', ...blocks, 'dec1', 'dec2']);
  });
});
