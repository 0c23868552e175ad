import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadStyleStatistics, stylizeAdain } from './adain';
import { parseManifest } from './manifest';
import { loadModel } from './models';
import { diskFetch, shipped } from './test-models';

describe('stylizeAdain', () => {
  it('paints tiles as one pass would, the encodings kept from measuring to painting or not, without leaking', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const m = parseManifest(shipped());
    const models = { encoder: await loadModel('models', m, 'adain-encoder', undefined, diskFetch()),
      decoder: await loadModel('models', m, 'adain-decoder', undefined, diskFetch()) };
    const statistics = await loadStyleStatistics('models', m.styles.find((s) => s.id === 'udnie')!, diskFetch());
    const [w, h] = [420, 200]; // two tiles of 256 px
    const data = new Uint8ClampedArray(w * h * 4).map((_, i) => (i % 4 === 3 ? 255
      : (i % 4) * 60 + ((Math.floor(i / 4) % w) < w / 2 ? 30 : 120) + (Math.floor(i / 4 / w) * 3) % 50));
    const image = { width: w, height: h, data };
    try {
      const whole = await stylizeAdain(models, image, statistics); // one pass
      const before = tf.memory().numTensors;
      const passes: number[] = [];
      const tiled = await stylizeAdain(models, image, statistics, { tile: 256, overlap: 64, onProgress: (_, total) => passes.push(total) });
      const recomputed = await stylizeAdain(models, image, statistics, { tile: 256, overlap: 64, keepBytes: 0 });
      expect(tf.memory().numTensors).toBe(before);
      expect(Array.from(tiled.data)).toEqual(Array.from(recomputed.data));
      const own = await stylizeAdain(models, image, statistics, { tile: 256, overlap: 64, statistics: 'tile' });
      const distance = (a: typeof whole) => a.data.reduce((s, v, i) => s + Math.abs(v - whole.data[i]), 0) / (w * h * 3);
      console.log(`AdaIN tiles vs one pass, mean |difference| of 255: whole-image statistics ${distance(tiled).toFixed(2)}, each tile's own ${distance(own).toFixed(2)}`);
      expect(distance(tiled)).toBeLessThan(2);
      // each tile's own statistics repaint it: several times as far from one pass (about 5x with the
      // shipped decoder; the factor follows the decoder's weights)
      expect(distance(own)).toBeGreaterThan(3 * distance(tiled));
      expect(passes.at(-1)).toBeGreaterThan(2); // it was tiled: a measuring pass and a painting pass per tile
    } finally {
      models.encoder.dispose();
      models.decoder.dispose();
    }
  }, 120_000);
});
