/**
 * Arbitrary style (Huang & Belongie 2017): encoder -> adaptive instance normalisation -> decoder.
 *
 * The two networks are graph models (adain-encoder, adain-decoder in the manifest); AdaIN itself
 * runs here, so that a style's statistics are computed once per style image, styles can be mixed
 * by mixing their statistics, alpha trades content for style (their eq. 14), and a mask can give
 * two regions two styles (their Fig. 8).
 */
import * as tf from '@tensorflow/tfjs-core';
import { preserveColor } from './color';
import { takeValues } from './backend';
import type { StyleEntry } from './manifest';
import { fetchVerified, ModelLoadError, type StyleModel } from './models';
import { KeptTensors } from './kept';
import { pooledMoments, type Moments } from './statistics';
import { cropTo, minSide, padMaskToAtLeast, padToAtLeast } from './shape';
import { rgbFromRgba, tileTensor, type RGBAImage } from './pixels';
import { defaultTile, paintTiled, type Survey, type StylizeOptions } from './stylize';

/** Channel means and standard deviations of a style's relu4_1 features. */
export interface StyleStatistics {
  mean: Float32Array;
  std: Float32Array;
}

export interface AdainModels {
  encoder: StyleModel;
  decoder: StyleModel;
}

export interface AdainOptions {
  /** 0 = the content's own features, 1 = fully the style's statistics (default 1). */
  alpha?: number;
  preserveColor?: boolean;
  /** A second style for the region where `mask` is 0; `mask` is width x height values in [0, 1]. */
  second?: { statistics: StyleStatistics; mask: Float32Array };
  /** Largest side of one pass (default 512, on WASM 1024: the encoder's full-resolution convolutions are large); larger images
   * are tiled, and a pass too big for the device is retried smaller, as in stylize(). */
  tile?: number;
  overlap?: number;
  /** When tiling: 'image' (default) normalises every tile's content features by the whole image's
   * (one more encoder pass over the tiles first), as one full-size pass would; 'tile' by its own. */
  statistics?: 'image' | 'tile';
  /** With 'image' statistics, at most this many bytes of the tiles' encodings are kept from that
   * pass for the painting, as in stylize(). */
  keepBytes?: StylizeOptions['keepBytes'];
  /** The content features' moments to normalise by instead of the image's own (set by stylizeAdain
   * when tiling: the whole image's). */
  contentMoments?: Moments;
  onProgress?: StylizeOptions['onProgress'];
  onRetry?: StylizeOptions['onRetry'];
  signal?: StylizeOptions['signal'];
}

const MULTIPLE = 8;
const EPS = 1e-5;

function toTensor(image: RGBAImage): tf.Tensor4D {
  return tf.tensor4d(rgbFromRgba(image), [1, image.height, image.width, 3]);
}

/** Pad bottom and right to a multiple of 8 by reflection (edge replication where the image is tiny). */
function padToMultiple(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  const ph = (MULTIPLE - (h % MULTIPLE)) % MULTIPLE;
  const pw = (MULTIPLE - (w % MULTIPLE)) % MULTIPLE;
  if (!ph && !pw) return x;
  if (ph < h && pw < w) return tf.mirrorPad(x, [[0, 0], [0, ph], [0, pw], [0, 0]], 'reflect');
  return tf.pad(x, [[0, 0], [0, ph], [0, pw], [0, 0]]);
}

function encode(encoder: StyleModel, x: tf.Tensor4D): tf.Tensor4D {
  return encoder.graph.execute({ image: x }) as tf.Tensor4D;
}

/** The statistics AdaIN transfers, from a style image (shrunk to at most `maxSide` px first). */
export async function styleStatistics(models: AdainModels, style: RGBAImage, maxSide = 512): Promise<StyleStatistics> {
  const stats = tf.tidy(() => {
    let x = toTensor(style);
    const scale = Math.min(1, maxSide / Math.max(style.width, style.height));
    if (scale < 1) x = tf.image.resizeBilinear(x, [Math.max(8, Math.round(style.height * scale)), Math.max(8, Math.round(style.width * scale))], true);
    const f = encode(models.encoder, padToMultiple(x));
    const { mean, variance } = tf.moments(f, [0, 1, 2]);
    return tf.concat([mean, tf.sqrt(tf.add(variance, EPS))]);
  });
  return splitStatistics(await takeValues(stats));
}

/** Statistics from one array of means followed by as many deviations (how they are read and shipped). */
function splitStatistics(values: Float32Array): StyleStatistics {
  const n = values.length / 2;
  return { mean: values.slice(0, n), std: values.slice(n) };
}

/** A convex mix of styles' statistics: interpolation between styles (Huang & Belongie 2017, sec. 7.3). */
export function mixStatistics(styles: StyleStatistics[], weights: number[]): StyleStatistics {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0) || styles.length !== weights.length) throw new Error('mix weights must be positive, one per style');
  const n = styles[0].mean.length;
  const mean = new Float32Array(n);
  const std = new Float32Array(n);
  styles.forEach((s, k) => {
    for (let c = 0; c < n; c++) {
      mean[c] += (weights[k] / total) * s.mean[c];
      std[c] += (weights[k] / total) * s.std[c];
    }
  });
  return { mean, std };
}

/**
 * AdaIN on an image tensor [1, h, w, 3] in 0-255: returns [1, h, w, 3] in 0-255. Call it inside
 * tf.tidy (the live loop does, per frame). `encoded`: the encoder's features of `content`, if
 * already computed.
 */
export function adainTensor(models: AdainModels, content: tf.Tensor4D, statistics: StyleStatistics,
  options: AdainOptions = {}, encoded?: tf.Tensor4D): tf.Tensor4D {
  const [, height, width] = content.shape;
  const alpha = Math.min(1, Math.max(0, options.alpha ?? 1));
  const f = encoded ?? encode(models.encoder, padToMultiple(content));
  const c = options.contentMoments;
  const { mean, variance } = c ? { mean: tf.tensor1d(c.mean), variance: tf.tensor1d(c.variance) } : tf.moments(f, [1, 2], true);
  const normalised = tf.div(tf.sub(f, mean), tf.sqrt(tf.add(variance, EPS)));
  const target = (s: StyleStatistics) => tf.add(tf.mul(normalised, tf.tensor1d(s.std)), tf.tensor1d(s.mean));
  let t = target(statistics);
  if (options.second) {
    const [fh, fw] = [f.shape[1], f.shape[2]];
    const mask = tf.tensor4d(options.second.mask, [1, height, width, 1]);
    const small = tf.image.resizeBilinear(padToMultiple(mask), [fh, fw], true);
    t = tf.add(tf.mul(t, small), tf.mul(target(options.second.statistics), tf.sub(1, small)));
  }
  t = tf.add(tf.mul(t, alpha), tf.mul(f, 1 - alpha));
  const decoded = models.decoder.graph.execute({ features: t }) as tf.Tensor4D;
  let y = tf.clipByValue(tf.slice(decoded, [0, 0, 0, 0], [1, height, width, 3]), 0, 255);
  if (options.preserveColor) y = preserveColor(y, content) as tf.Tensor4D;
  return y;
}

/**
 * A gallery painting's statistics as shipped with the manifest (adain_statistics): the painting
 * file itself is not needed, since to AdaIN a style is only these numbers. Verified like a model.
 */
export async function loadStyleStatistics(base: string, style: StyleEntry, fetchFn: typeof fetch = fetch): Promise<StyleStatistics> {
  if (!style.adain_statistics) throw new ModelLoadError(`${style.title} has no statistics for the arbitrary-style network`);
  return splitStatistics(new Float32Array(await fetchVerified(base, style.adain_statistics, undefined, fetchFn)));
}

/** Stylise `image` with the statistics of a style image; returns an image of the same size. */
export async function stylizeAdain(models: AdainModels, image: RGBAImage, statistics: StyleStatistics,
  options: AdainOptions = {}): Promise<RGBAImage> {
  const min = minSide(MULTIPLE);
  if (image.width > 0 && image.height > 0 && (image.width < min || image.height < min)) {
    const second = options.second && {
      statistics: options.second.statistics, mask: padMaskToAtLeast(options.second.mask, image.width, image.height, min) };
    const painted = await stylizeAdain(models, padToAtLeast(image, min), statistics, { ...options, second });
    return cropTo(painted, image.width, image.height);
  }
  let contentMoments: Moments | undefined;
  const kept = new KeptTensors(options.keepBytes); // each tile's encoding, from the measuring pass to the painting
  const survey: Survey | undefined = options.statistics === 'tile' ? undefined : {
    passes: 1,
    run: async (tiles, cores, onPass) => {
      kept.reset(tiles.length);
      contentMoments = await pooledMoments(tiles, cores, (k) => {
        const encoded = encode(models.encoder, padToMultiple(tileTensor(image, tiles[k])));
        kept.update(k, ['encoded'], { encoded });
        return encoded;
      }, onPass);
    },
  };
  try {
    return await paintTiled(image, models.decoder.entry.id, MULTIPLE, async (rgb, width, height, region, k) => {
      // a tile of the mask goes with a tile of the image
      const second = options.second && { statistics: options.second.statistics, mask: cropMask(options.second.mask, image.width, region) };
      const out = await takeValues(tf.tidy(() => adainTensor(models, tf.tensor4d(rgb, [1, height, width, 3]), statistics,
        { ...options, second, contentMoments }, kept.of(k).encoded as tf.Tensor4D | undefined)));
      kept.drop(k);
      return out;
    }, { ...options, tile: options.tile ?? defaultTile(512, 1024), onRetry: kept.onRetry(options.onRetry) }, survey);
  } finally {
    kept.reset(0);
  }
}

function cropMask(mask: Float32Array, width: number, r: { x: number; y: number; width: number; height: number }): Float32Array {
  const out = new Float32Array(r.width * r.height);
  for (let j = 0; j < r.height; j++) out.set(mask.subarray((r.y + j) * width + r.x, (r.y + j) * width + r.x + r.width), j * r.width);
  return out;
}
