/**
 * Regions for spatial style control: which pixels get the second style (Huang & Belongie 2017,
 * "Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization", Fig. 8). A region is
 * a mask, one value in [0, 1] per pixel; it is painted with the pointer or taken from a preset, which
 * is what a keyboard can reach. Pure functions, no DOM.
 */
export type Half = 'left' | 'right' | 'top' | 'bottom';

/**
 * One half of a width x height picture, with a soft seam: the mask rises from 0 to 1 over `feather`
 * of the side across the middle (4% by default), so the two paintings meet without a hard edge.
 */
export function halfMask(half: Half, width: number, height: number, feather = 0.04): Float32Array {
  const across = half === 'left' || half === 'right' ? width : height;
  const ramp = Math.max(1, feather * across);
  const profile = new Float32Array(across);
  for (let i = 0; i < across; i++) {
    const t = (i + 0.5 - across / 2) / ramp + 0.5; // 0 before the seam, 1 after it
    const rising = Math.min(1, Math.max(0, t));
    profile[i] = half === 'right' || half === 'bottom' ? rising : 1 - rising;
  }
  const mask = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) mask[y * width + x] = profile[half === 'left' || half === 'right' ? x : y];
  }
  return mask;
}

/** A preset region: a half, perhaps swapped; kept as such so it can be made again at another size. */
export type Preset = { half: Half; swapped: boolean };

export function presetMask(preset: Preset, width: number, height: number): Float32Array {
  const mask = halfMask(preset.half, width, height);
  return preset.swapped ? invertMask(mask) : mask;
}

/** The other region: each style takes the other's place. */
export function invertMask(mask: Float32Array): Float32Array {
  return mask.map((m) => 1 - m);
}

/** The mask as it is shown over the picture, in the brush's colour with the mask as alpha. */
export function maskPixels(mask: Float32Array): Uint8ClampedArray {
  const data = new Uint8ClampedArray(4 * mask.length);
  for (let p = 0; p < mask.length; p++) {
    data[4 * p] = 255;
    data[4 * p + 2] = 128;
    data[4 * p + 3] = Math.round(255 * mask[p]);
  }
  return data;
}

/** The mask a canvas's alpha channel holds (what the brush painted). */
export function maskFromPixels(data: Uint8ClampedArray): Float32Array {
  const mask = new Float32Array(data.length / 4);
  for (let p = 0; p < mask.length; p++) mask[p] = data[4 * p + 3] / 255;
  return mask;
}
