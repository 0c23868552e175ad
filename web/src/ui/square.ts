/**
 * The 1080 x 1080 square, as social networks take a profile picture: the centre of the painting. When
 * the painting is smaller than that, it is not enlarged (soft, its strokes blown up): the photo's
 * centre square is painted again at the square's own size, with the same settings and region.
 */
import type { PaintOptions, Stylizer } from '../engine';
import { maskFromPixels, maskPixels } from './region';

export const SQUARE = 1080;

/** Whether the square can be cut from a painting of this size, with no painting of its own. */
export function cutsFromPainting(width: number, height: number): boolean {
  return Math.min(width, height) >= SQUARE;
}

function squareCanvas(): [HTMLCanvasElement, CanvasRenderingContext2D] {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = SQUARE;
  return [canvas, canvas.getContext('2d', { willReadFrequently: true })!];
}

/** Draws the centre square of `source` (width x height) over the whole of `ctx`'s square canvas. */
function drawCentre(ctx: CanvasRenderingContext2D, source: CanvasImageSource, width: number, height: number): void {
  const side = Math.min(width, height);
  ctx.drawImage(source, (width - side) / 2, (height - side) / 2, side, side, 0, 0, SQUARE, SQUARE);
}

/** The centre square of the painting on `painting`, made smaller to SQUARE px. */
export function cutSquare(painting: HTMLCanvasElement): HTMLCanvasElement {
  const [canvas, ctx] = squareCanvas();
  drawCentre(ctx, painting, painting.width, painting.height);
  return canvas;
}

/**
 * The photo's centre square painted at SQUARE px by `stylizer` with `options`; `region` (the mask
 * of the painting on screen, `width` x `height`) is cut to the same centre square.
 */
export async function paintSquare(stylizer: Stylizer, photo: ImageBitmap, options: PaintOptions,
  region?: { mask: Float32Array; width: number; height: number }): Promise<HTMLCanvasElement> {
  const [canvas, ctx] = squareCanvas();
  ctx.fillStyle = '#fff'; // transparent pixels are painted as on white paper
  ctx.fillRect(0, 0, SQUARE, SQUARE);
  drawCentre(ctx, photo, photo.width, photo.height);
  const pixels = ctx.getImageData(0, 0, SQUARE, SQUARE);
  let mask: Float32Array | undefined;
  if (region) {
    const whole = document.createElement('canvas');
    whole.width = region.width;
    whole.height = region.height;
    whole.getContext('2d')!.putImageData(new ImageData(maskPixels(region.mask) as Uint8ClampedArray<ArrayBuffer>, region.width, region.height), 0, 0);
    const [, mctx] = squareCanvas();
    drawCentre(mctx, whole, region.width, region.height);
    mask = maskFromPixels(mctx.getImageData(0, 0, SQUARE, SQUARE).data);
  }
  const result = await stylizer.paint(pixels, { ...options, region: mask });
  ctx.putImageData(new ImageData(result.data as Uint8ClampedArray<ArrayBuffer>, SQUARE, SQUARE), 0, 0);
  return canvas;
}
