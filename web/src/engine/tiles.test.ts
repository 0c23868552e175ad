import { describe, expect, it } from 'vitest';
import { planTiles, TileBlender, tileWeights } from './tiles';

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
