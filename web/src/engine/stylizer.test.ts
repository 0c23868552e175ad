import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { styleStatistics, stylizeAdain } from './adain';
import { parseManifest, styleVector } from './manifest';
import { loadModel, loadManifest } from './models';
import { composite, type RGBAImage } from './pixels';
import { stylize } from './stylize';
import { createStylizer, type Stylizer } from './stylizer';
import { diskFetch, shipped } from './test-models';

/** A w x h picture with structure (so that paintings of it differ by style), opaque. */
function picture(w: number, h: number, seed = 0): RGBAImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = 4 * (y * w + x);
      data[p] = (x * 5 + seed * 40) % 256;
      data[p + 1] = 128 + 100 * Math.sin((x + y + seed) / 6);
      data[p + 2] = (y * 7 + x * seed) % 256;
      data[p + 3] = 255;
    }
  }
  return { data, width: w, height: h };
}

const same = (a: RGBAImage, b: RGBAImage) => a.width === b.width && a.height === b.height && a.data.every((v, i) => v === b.data[i]);
const meanDifference = (a: RGBAImage, b: RGBAImage) => a.data.reduce((s, v, i) => s + Math.abs(v - b.data[i]), 0) / a.data.length;

describe('createStylizer', () => {
  let stylizer: Stylizer;
  const photo = picture(40, 28);
  const fetchFn = diskFetch();

  beforeAll(async () => {
    stylizer = await createStylizer('models/manifest.json', { backend: { prefer: 'wasm' }, fetch: fetchFn });
  });
  afterAll(() => stylizer?.dispose());

  it('reads the manifest and chooses a backend', async () => {
    expect(stylizer.backend).toBe('wasm');
    expect(stylizer.styles.map((s) => s.id)).toEqual(shipped().styles.map((s: { id: string }) => s.id));
    expect(stylizer.arbitrary).toBe(true);
    expect(stylizer.startupNote).toBe('');
    await expect(createStylizer('models/nothing.json', { backend: { prefer: 'wasm' }, fetch: fetchFn }))
      .rejects.toThrow('could not load the model list models/nothing.json: HTTP 404');
  });

  it('paints a gallery style as the network does, and a blend as the mixed style vector does', async () => {
    const manifest = parseManifest(shipped());
    const model = await loadModel('models', manifest, 'gallery', undefined, fetchFn);
    try {
      const alone = await stylizer.paint(photo, { style: 'udnie', strength: 0.8 });
      expect(same(alone, await stylize(model, photo, styleVector(manifest, 'udnie'), { strength: 0.8 }))).toBe(true);
      const mixed = await stylizer.paint(photo, { style: 'udnie', blendWith: 'the-scream', blend: 0.3 });
      const vector = styleVector(manifest, 'udnie', { udnie: 0.7, 'the-scream': 0.3 });
      expect(same(mixed, await stylize(model, photo, vector))).toBe(true);
      expect(meanDifference(alone, mixed)).toBeGreaterThan(1);
    } finally {
      model.dispose();
    }
  }, 120_000);

  it('paints with a picture as the style through AdaIN, measuring the picture once', async () => {
    const style = picture(48, 48, 3);
    let fetches = 0;
    const counting = ((url: string) => { fetches++; return fetchFn(url); }) as typeof fetch;
    const own = await createStylizer('models/manifest.json', { backend: { prefer: 'wasm' }, fetch: counting });
    try {
      const painted = await own.paint(photo, { style });
      const afterFirst = [fetches, tf.memory().numTensors];
      const again = await own.paint(photo, { style });
      expect([fetches, tf.memory().numTensors]).toEqual(afterFirst); // no download, nothing left behind
      expect(same(painted, again)).toBe(true);
      const manifest = await loadManifest('models/manifest.json', fetchFn);
      const models = { encoder: await loadModel('models', manifest, 'adain-encoder', undefined, fetchFn),
        decoder: await loadModel('models', manifest, 'adain-decoder', undefined, fetchFn) };
      const expected = await stylizeAdain(models, photo, await styleStatistics(models, style));
      expect(same(painted, expected)).toBe(true);
      // a gallery painting blended with a picture: their statistics mixed (Huang & Belongie 2017, sec. 7.3)
      const blended = await own.paint(photo, { style: 'udnie', blendWith: style, blend: 0.5 });
      expect(meanDifference(blended, painted)).toBeGreaterThan(0.5);
      expect(blended.width).toBe(photo.width);
      models.encoder.dispose();
      models.decoder.dispose();
    } finally {
      own.dispose();
    }
  }, 120_000);

  it('paints a region as the two paintings composited through it', async () => {
    const region = new Float32Array(photo.width * photo.height).map((_, p) => (p % photo.width < photo.width / 2 ? 1 : 0));
    const both = await stylizer.paint(photo, { style: 'udnie', blendWith: 'the-scream', region });
    const expected = composite(await stylizer.paint(photo, { style: 'udnie' }), await stylizer.paint(photo, { style: 'the-scream' }), region);
    expect(same(both, expected)).toBe(true);
    await expect(stylizer.paint(photo, { style: 'udnie', blendWith: 'the-scream', region: new Float32Array(5) }))
      .rejects.toThrow('the region has 5 values for a 40 × 28 picture');
  }, 120_000);

  it('says which styles blend, and names an unknown one', async () => {
    const [a, b] = stylizer.styles;
    expect(stylizer.canBlend(a.id, b.id)).toBe(true);
    expect(stylizer.canBlend(a.id, a.id)).toBe(false);
    expect(stylizer.canBlend(a.id, 'no-such-style')).toBe(false);
    expect(stylizer.canBlend(a.id, picture(8, 8))).toBe(Boolean(a.adain_statistics));
    await expect(stylizer.paint(photo, { style: 'no-such-style' })).rejects.toThrow('no style “no-such-style” in this gallery');
  });

  it('makes frame painters that leave no tensor behind', async () => {
    const paint = await stylizer.framePainter({ style: 'udnie', strength: 0.5, keepColours: true });
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => paint(tf.zeros([1, 24, 32, 3]) as tf.Tensor4D));
    expect(out.shape).toEqual([1, 24, 32, 3]);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops between passes when asked', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(stylizer.paint(photo, { style: 'udnie', signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('frees its networks on dispose and paints no more', async () => {
    const short = await createStylizer('models/manifest.json', { backend: { prefer: 'wasm' }, fetch: fetchFn });
    const start = tf.memory().numTensors;
    await short.paint(photo, { style: 'udnie' });
    expect(tf.memory().numTensors).toBeGreaterThan(start); // the network's weights
    short.dispose();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(tf.memory().numTensors).toBe(start);
    await expect(short.paint(photo, { style: 'udnie' })).rejects.toThrow('this stylizer was disposed');
  }, 120_000);
});
