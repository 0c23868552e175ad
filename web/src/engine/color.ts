/**
 * Colour preservation by luminance-only transfer (Gatys, Bethge, Hertzmann & Shechtman 2017,
 * "Controlling Perceptual Factors in Neural Style Transfer"): keep the stylised image's luminance
 * (Y of YIQ) and the photo's chroma (I, Q). The same matrices as convert/color.py.
 */
import * as tf from '@tensorflow/tfjs-core';

export const RGB_TO_YIQ = [
  [0.299, 0.587, 0.114],
  [0.595716, -0.274453, -0.321263],
  [0.211456, -0.522591, 0.311135],
];

export const YIQ_TO_RGB = [
  [1.0, 0.9563, 0.621],
  [1.0, -0.2721, -0.6474],
  [1.0, -1.107, 1.7046],
];

/** Pure: one pixel, for tests and small work. */
export function preservePixel(styled: number[], content: number[]): number[] {
  const yiq = (p: number[]) => RGB_TO_YIQ.map((row) => row[0] * p[0] + row[1] * p[1] + row[2] * p[2]);
  const s = yiq(styled);
  const c = yiq(content);
  const mixed = [s[0], c[1], c[2]];
  return YIQ_TO_RGB.map((row) => Math.min(255, Math.max(0, row[0] * mixed[0] + row[1] * mixed[1] + row[2] * mixed[2])));
}

/** Tensors [.., 3] in 0-255: the stylised luminance with the content's chroma. */
export function preserveColor(styled: tf.Tensor, content: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const toYiq = tf.transpose(tf.tensor2d(RGB_TO_YIQ));
    const toRgb = tf.transpose(tf.tensor2d(YIQ_TO_RGB));
    const flat = (t: tf.Tensor) => tf.reshape(t, [-1, 3]);
    const s = tf.matMul(flat(styled), toYiq);
    const c = tf.matMul(flat(content), toYiq);
    const mixed = tf.concat([tf.slice(s, [0, 0], [-1, 1]), tf.slice(c, [0, 1], [-1, 2])], 1);
    return tf.reshape(tf.clipByValue(tf.matMul(mixed, toRgb), 0, 255), styled.shape);
  });
}
