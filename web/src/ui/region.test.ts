import { describe, expect, it } from 'vitest';
import { halfMask, invertMask, maskFromPixels, maskPixels, presetMask } from './region';

describe('regions', () => {
  it('a half is 1 on its side, 0 on the other, with a soft seam across the middle', () => {
    const w = 100, h = 10;
    const left = halfMask('left', w, h);
    const right = halfMask('right', w, h);
    expect(left[0]).toBe(1);
    expect(left[w - 1]).toBe(0);
    expect(right[0]).toBe(0);
    expect(right[9 * w + w - 1]).toBe(1);
    for (let x = 0; x < w; x++) expect(left[x] + right[x]).toBeCloseTo(1, 6); // the two halves make the whole
    const seam = Array.from(left.slice(0, w)).filter((m) => m > 0 && m < 1).length;
    expect(seam).toBeGreaterThanOrEqual(3); // 4% of 100 px, not a hard edge
    expect(seam).toBeLessThanOrEqual(5);
    for (let x = 1; x < w; x++) expect(left[x]).toBeLessThanOrEqual(left[x - 1]);
  });

  it('top and bottom split the rows', () => {
    const w = 8, h = 50;
    const top = halfMask('top', w, h);
    expect(top[0]).toBe(1);
    expect(top[(h - 1) * w + 3]).toBe(0);
    expect(top[2 * w]).toBe(top[2 * w + 7]); // constant along a row
    expect(halfMask('bottom', w, h)[(h - 1) * w]).toBe(1);
  });

  it('swapping gives the other region, and twice gives the first back', () => {
    const left = halfMask('left', 30, 4);
    expect(Array.from(invertMask(left))).toEqual(Array.from(halfMask('right', 30, 4)).map((m) => expect.closeTo(m, 6)));
    expect(Array.from(invertMask(invertMask(left)))).toEqual(Array.from(left).map((m) => expect.closeTo(m, 6)));
  });

  it('a preset is made again at any size, swapped or not', () => {
    expect(Array.from(presetMask({ half: 'top', swapped: false }, 6, 40))).toEqual(Array.from(halfMask('top', 6, 40)));
    const swapped = presetMask({ half: 'top', swapped: true }, 9, 31);
    expect(swapped[0]).toBe(0);
    expect(swapped[30 * 9]).toBe(1);
    expect(swapped.length).toBe(9 * 31);
  });

  it('a mask survives being shown on the canvas and read back, to 1/255', () => {
    const mask = halfMask('top', 20, 20, 0.5);
    const back = maskFromPixels(maskPixels(mask));
    for (let p = 0; p < mask.length; p++) expect(Math.abs(back[p] - mask[p])).toBeLessThanOrEqual(0.5 / 255 + 1e-7);
  });
});
