import { describe, expect, it } from 'vitest';
import { largestPass, planTiles, TileBlender, tileWeights } from './tiles';

describe('tiles', () => {
  it('covers the image with overlapping tiles of the required multiple', () => {
    const tiles = planTiles(3000, 2000, 1024, 64, 4);
    expect(tiles.length).toBe(4 * 3); // as few as 1024 px tiles need
    for (const t of tiles) {
      expect(t.x % 4).toBe(0); // on the network's grid
      expect(t.y % 4).toBe(0);
      expect(t.x + t.width).toBeLessThanOrEqual(3000);
      expect(t.width).toBeLessThanOrEqual(1024);
    }
    // 1000 x 700 in 512 px tiles: three columns and two rows, as narrow as that allows (376 and 384
    // px, not 512: 45% fewer pixels to paint); the second row starts on the grid and ends at the edge
    expect(planTiles(1000, 700, 512, 64, 8).map((t) => [t.x, t.y, t.width, t.height])).toEqual([
      [0, 0, 376, 384], [312, 0, 376, 384], [624, 0, 376, 384],
      [0, 320, 376, 380], [312, 320, 376, 380], [624, 320, 376, 380]]);
    const covered = new Uint8Array(3000 * 2000);
    for (const t of tiles) for (let y = t.y; y < t.y + t.height; y++) covered.fill(1, y * 3000 + t.x, y * 3000 + t.x + t.width);
    expect(covered.every((c) => c === 1)).toBe(true);
    expect(planTiles(500, 300, 1024, 64, 4)).toEqual([{ x: 0, y: 0, width: 500, height: 300 }]);
  });
  it('uses the fewest tiles, as small as they can be, every neighbour overlapping by the overlap or more', () => {
    for (let length = 129; length <= 4096; length += 37) {
      for (const [tile, multiple] of [[1024, 4], [512, 8], [128, 4]]) {
        const tiles = planTiles(length, 1, tile, 64, multiple);
        const xs = tiles.map((t) => t.x);
        // the fewest: one tile fewer of the largest size would not reach the edge with 64 px overlaps
        const fewest = length <= tile ? 1 : Math.ceil((length - 64) / (tile - 64));
        expect(tiles.length).toBeLessThanOrEqual(fewest + 1); // + 1: starts on the grid
        expect(tiles.length).toBeGreaterThanOrEqual(fewest);
        expect(largestPass(tiles)).toBeLessThanOrEqual(tile);
        expect(xs[0]).toBe(0);
        expect(tiles.at(-1)!.x + tiles.at(-1)!.width).toBe(length);
        for (let i = 1; i < tiles.length; i++) {
          expect(xs[i] % multiple).toBe(0);
          expect(tiles[i - 1].x + tiles[i - 1].width - xs[i]).toBeGreaterThanOrEqual(64);
        }
        if (tiles.length > 1) {
          // a tile 1 grid step narrower would need more of them
          const narrower = planTiles(length, 1, largestPass(tiles) - multiple, 64, multiple);
          expect(narrower.length).toBeGreaterThan(tiles.length);
        }
      }
    }
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
