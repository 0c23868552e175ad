import { describe, expect, it } from 'vitest';
import { cropTo, minSide, padMaskToAtLeast, padToAtLeast } from './shape';

const image = (width: number, height: number) =>
  ({ width, height, data: new Uint8ClampedArray(width * height * 4).map((_, i) => (i * 29 + 7) % 256) });

describe('thin pictures', () => {
  it('needs two of the smallest feature map on each side', () => {
    expect(minSide(4)).toBe(8);
    expect(minSide(8)).toBe(16);
  });

  it('repeats the edge out to the minimum and crops back to the same pixels', () => {
    for (const [w, h] of [[1, 1], [512, 1], [3, 40], [7, 7]]) {
      const small = image(w, h);
      const big = padToAtLeast(small, 8);
      expect([big.width, big.height]).toEqual([Math.max(w, 8), Math.max(h, 8)]);
      // the padding repeats the last column and row
      const at = (x: number, y: number) => Array.from(big.data.subarray((y * big.width + x) * 4, (y * big.width + x) * 4 + 4));
      const src = (x: number, y: number) => Array.from(small.data.subarray((y * w + x) * 4, (y * w + x) * 4 + 4));
      expect(at(big.width - 1, big.height - 1)).toEqual(src(w - 1, h - 1));
      expect(at(0, big.height - 1)).toEqual(src(0, h - 1));
      expect(Array.from(cropTo(big, w, h).data)).toEqual(Array.from(small.data));
    }
  });

  it('leaves a picture that is big enough alone', () => {
    const ok = image(8, 9);
    expect(padToAtLeast(ok, 8)).toBe(ok);
    expect(cropTo(ok, 8, 9)).toBe(ok);
  });

  it('grows a region mask as its picture grows', () => {
    const mask = new Float32Array([0, 0.5, 1]); // 3 x 1
    const grown = padMaskToAtLeast(mask, 3, 1, 4);
    expect(grown.length).toBe(16);
    expect(Array.from(grown.subarray(12, 16))).toEqual([0, 0.5, 1, 1]);
  });
});
