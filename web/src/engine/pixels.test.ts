import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { composite, rgbaFromRgb, rgbFromRgba, tileTensor } from './pixels';

const image = (width: number, height: number, value: number) =>
  ({ data: new Uint8ClampedArray(4 * width * height).fill(value), width, height });

/** A 3 x 2 picture whose every byte differs: pixel p has channels 10p+1, 10p+2, 10p+3 and alpha 7. */
const numbered = () => ({
  width: 3, height: 2,
  data: Uint8ClampedArray.from({ length: 24 }, (_, i) => (i % 4 === 3 ? 7 : 10 * Math.floor(i / 4) + (i % 4) + 1)),
});

describe('pixels', () => {
  it('RGB floats of a region skip alpha and keep row order', () => {
    expect(Array.from(rgbFromRgba(numbered()))).toEqual([1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43, 51, 52, 53]);
    expect(Array.from(rgbFromRgba(numbered(), 1, 0, 2, 2))).toEqual([11, 12, 13, 21, 22, 23, 41, 42, 43, 51, 52, 53]);
  });

  it('RGB floats back to RGBA are rounded, clamped and opaque', () => {
    const out = rgbaFromRgb(new Float32Array([0.4, 0.6, 254.5, -3, 300, 128]), 2, 1);
    expect(Array.from(out.data)).toEqual([0, 1, 255, 255, 0, 255, 128, 255]);
    expect([out.width, out.height]).toEqual([2, 1]);
  });

  it('a tile becomes a [1, h, w, 3] tensor of its pixels', () => {
    tf.setBackend('cpu');
    const t = tileTensor(numbered(), { x: 2, y: 0, width: 1, height: 2 });
    expect(t.shape).toEqual([1, 2, 1, 3]);
    expect(Array.from(t.dataSync())).toEqual([21, 22, 23, 51, 52, 53]);
    t.dispose();
  });

  it('compositing takes the first image outside the region and the second inside it', () => {
    const out = composite(image(4, 1, 0), image(4, 1, 200), new Float32Array([0, 0.25, 1, 0]));
    expect(Array.from(out.data.filter((_, i) => i % 4 === 0))).toEqual([0, 50, 200, 0]);
    expect(out.data[3]).toBe(255);
  });
});
