/**
 * Pictures too thin for a network: a 1 x 1 PNG, a 512 x 1 panorama, a 3 x 4096 strip.
 *
 * A network with k stride-2 layers works on H / 2^k x W / 2^k features and reflect-pads them by a
 * pixel, which needs at least 2 there: so each side must be at least 2 x `multiple` (2^k) px. A
 * thinner picture is painted as a larger one, its last row and column repeated out to that size
 * (edge replication: reflection is undefined on a side of 1), and the painting is cropped back.
 */
import type { RGBAImage } from './stylize';

/** The smallest side a network whose sides must be multiples of `multiple` can paint. */
export function minSide(multiple: number): number {
  return 2 * multiple;
}

/** `image` grown on its bottom and right to at least `min` px a side by repeating its edge pixels (itself when it is big enough). */
export function padToAtLeast(image: RGBAImage, min: number): RGBAImage {
  const width = Math.max(image.width, min);
  const height = Math.max(image.height, min);
  if (width === image.width && height === image.height) return image;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(y, image.height - 1);
    for (let x = 0; x < width; x++) {
      const from = (sy * image.width + Math.min(x, image.width - 1)) * 4;
      data.set(image.data.subarray(from, from + 4), (y * width + x) * 4);
    }
  }
  return { data, width, height };
}

/** A width x height mask of values, grown as padToAtLeast grows its picture. */
export function padMaskToAtLeast(mask: Float32Array, width: number, height: number, min: number): Float32Array {
  const w = Math.max(width, min);
  const h = Math.max(height, min);
  if (w === width && h === height) return mask;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out[y * w + x] = mask[Math.min(y, height - 1) * width + Math.min(x, width - 1)];
  }
  return out;
}

/** The top-left `width` x `height` of `image`. */
export function cropTo(image: RGBAImage, width: number, height: number): RGBAImage {
  if (width === image.width && height === image.height) return image;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) data.set(image.data.subarray(y * image.width * 4, (y * image.width + width) * 4), y * width * 4);
  return { data, width, height };
}
