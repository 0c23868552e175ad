import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { parseManifest, styleVector } from './manifest';
import { loadModel } from './models';
import { stylize } from './stylize';
import { planTiles } from './tiles';
import { diskFetch, shipped } from './test-models';

describe('stylize', () => {
  it('paints tiles as one full-size pass would, without leaking', async () => {
    await import('@tensorflow/tfjs-backend-wasm'); // seventeen passes a tile: too slow on the plain cpu backend
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
    // 15 instance norms and the colour head's mean colour, measured first; every measuring pass but
    // that one, which takes no convolution, hands something on
    expect(model.norms.length).toBe(16);
    expect(model.norms[0].variance).toBeUndefined();
    expect(model.carry.length).toBe(model.norms.length);
    expect(model.carry.slice(1).every((names) => names.length > 0)).toBe(true);
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
    expect(steps.length).toBe(1 + planTiles(w, h, 256, 64, 4).length * 17); // 16 measuring passes and the painting

    // the tensors handed from pass to pass change nothing: none kept, or only what 6 MB holds
    // (at 256 px a tile's first-layer features are 4 MB, its residual blocks' 2 MB), give the same pixels
    for (const keepBytes of [0, 6 * 2 ** 20]) {
      const again = await stylize(model, image, vector, { tile: 256, overlap: 64, keepBytes });
      expect(Array.from(again.data)).toEqual(Array.from(tiled.data));
    }
    expect(tf.memory().numTensors).toBe(before);

    // a resource error while measuring: measured and painted again in smaller tiles, same pixels, no
    // leak; after a texture over the size limit the passes still hand tensors on, after memory ran out not
    const limit = 200;
    const reference = await stylize(model, image, vector, { tile: 128, overlap: 64 });
    const counted = tf.memory().numTensors;
    for (const [error, handsOn] of [
      ['Requested texture size [9000x9000] greater than WebGL maximum on this browser / GPU [8192x8192].', true],
      ['Array buffer allocation failed', false],
    ] as const) {
      let fedAfterRetry = 0;
      const graph = {
        execute(inputs: Record<string, tf.Tensor>, outputs?: string | string[]) {
          if (Math.max(inputs.content.shape[1]!, inputs.content.shape[2]!) > limit) throw new Error(error);
          if (model.carry.some((names) => names.some((name) => name in inputs))) fedAfterRetry++;
          return model.graph.execute(inputs, outputs);
        },
      };
      const small = { ...model, entry: { ...model.entry, id: `gallery-200px-${handsOn}` }, graph: graph as unknown as typeof model.graph };
      const retries: number[] = [];
      const retried = await stylize(small, image, vector, { tile: 256, overlap: 64, onRetry: (_, t) => retries.push(t) });
      expect(retries).toEqual([128]);
      expect(tf.memory().numTensors).toBe(counted);
      expect(Array.from(retried.data)).toEqual(Array.from(reference.data));
      expect(fedAfterRetry > 0).toBe(handsOn);
    }
    model.dispose();
  }, 300_000);
});
