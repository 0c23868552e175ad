import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { preserveColor, preservePixel } from './color';

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
