/**
 * Pixel conversion between the browser's RGBA bytes (ImageData) and the RGB floats (0-255) the
 * networks take, and compositing two paintings through a mask.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tile } from './tiles';

/** RGBA pixels, as in ImageData (which satisfies it). */
export interface RGBAImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** RGB floats of a region of an RGBA image (the whole image by default). */
export function rgbFromRgba(image: RGBAImage, x = 0, y = 0, w = image.width, h = image.height): Float32Array {
  const out = new Float32Array(w * h * 3);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const s = 4 * ((y + j) * image.width + x + i);
      const d = 3 * (j * w + i);
      out[d] = image.data[s];
      out[d + 1] = image.data[s + 1];
      out[d + 2] = image.data[s + 2];
    }
  }
  return out;
}

/** A region of an image as a [1, h, w, 3] tensor in 0-255. */
export function tileTensor(image: RGBAImage, t: Tile): tf.Tensor4D {
  return tf.tensor4d(rgbFromRgba(image, t.x, t.y, t.width, t.height), [1, t.height, t.width, 3]);
}

/** An opaque RGBA image from RGB floats in 0-255, rounded. */
export function rgbaFromRgb(rgb: Float32Array, width: number, height: number): RGBAImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data[4 * p] = Math.round(rgb[3 * p]);
    data[4 * p + 1] = Math.round(rgb[3 * p + 1]);
    data[4 * p + 2] = Math.round(rgb[3 * p + 2]);
    data[4 * p + 3] = 255;
  }
  return { data, width, height };
}

/** `a` where the mask is 0, `b` where it is 1, mixed in between. */
export function composite(a: RGBAImage, b: RGBAImage, mask: Float32Array): RGBAImage {
  const data = new Uint8ClampedArray(a.data.length);
  for (let p = 0; p < mask.length; p++) {
    const m = mask[p];
    for (let k = 0; k < 3; k++) data[4 * p + k] = a.data[4 * p + k] * (1 - m) + b.data[4 * p + k] * m;
    data[4 * p + 3] = 255;
  }
  return { data, width: a.width, height: a.height };
}
