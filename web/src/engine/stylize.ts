/**
 * stylize(): run a multi-style network on an image of any size.
 *
 * Images up to `tile` px a side run in one pass; larger ones run as overlapping tiles whose outputs
 * are cross-faded (tiles.ts). Strength blends the output towards the photo in pixel space; colour
 * preservation keeps the photo's chroma (color.ts). Every tensor is freed: tf.tidy around each
 * pass and explicit dispose of what leaves it; the only read from the GPU is one async data() per pass.
 * A tiled image is normalised as a whole: every instance-norm layer gets the statistics of the whole
 * image, measured first (statistics.ts), so the tiles paint what one full-size pass would.
 * A pass that runs out of GPU resources (a texture over the device's limit, memory exhausted) is not
 * fatal: the image is painted again in tiles half the size, down to MIN_TILE.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ContextLostError, lossOr, takeValues } from './backend';
import { preserveColor } from './color';
import type { StyleModel } from './models';
import { cropTo, minSide, padToAtLeast } from './shape';
import { isMemoryError, KeptTensors } from './kept';
import { normFeeds, pooledMoments, type Moments } from './statistics';
import { largestPass, planTiles, TileBlender, tileCores, type Tile } from './tiles';
import { rgbaFromRgb, rgbFromRgba, tileTensor, type RGBAImage } from './pixels';

export type { RGBAImage } from './pixels';

export interface StylizeOptions {
  /** 0 = the photo, 1 = the network's output (default 1). */
  strength?: number;
  /** Keep the photo's colours (luminance-only transfer). */
  preserveColor?: boolean;
  /** Largest side of one pass; larger images are tiled (default 1024, on WASM 1536: defaultTile). */
  tile?: number;
  /** Overlap between tiles in pixels (default 64). */
  overlap?: number;
  /** When tiling: 'image' (default) normalises every tile by the whole image's instance-norm
   * statistics, as one full-size pass would, at the cost of a measuring pass per norm layer, each
   * taking the network one layer further; 'tile' lets each tile use its own (one pass, tiles differ). */
  statistics?: 'image' | 'tile';
  /** When tiling with 'image' statistics: at most this many bytes of tensors are kept from one
   * pass over the tiles to the next, so that no pass computes again what an earlier one has
   * (default kept.defaultKeepBytes: 512 MB on WASM, 256 MB on a GPU, none on a GPU once the page has
   * lost one; 0 computes everything again in each pass). */
  keepBytes?: number;
  /** Passes done of all passes (measuring and painting), as they finish. */
  onProgress?: (done: number, total: number) => void;
  /** Told when a pass ran out of GPU resources and the image is being painted in smaller tiles. */
  onRetry?: (message: string, tile: number) => void;
  /** Stops the painting between passes (a newer request replaced it): the promise rejects with the
   * signal's reason, an AbortError unless given another (isAbort tells). */
  signal?: AbortSignal;
}

/** Pure: is this the rejection of a painting stopped by its StylizeOptions.signal? */
export function isAbort(error: unknown): boolean {
  return (error as Error)?.name === 'AbortError';
}

export const MAX_SIDE = 4096;
export const MIN_TILE = 128;
/** Pixels that neighbouring tiles share, cross-faded (tiles.ts). */
const OVERLAP = 64;

/**
 * The largest side painted in one pass unless told otherwise. On a GPU a pass is bounded by the texture
 * that WebGL unrolls its convolutions into, so `gpu` (1024 px for the gallery network). On WASM only memory
 * bounds it, while tiles cost extra passes to measure the whole picture's statistics (about one more
 * network pass for the gallery network, with the tensors kept between passes; scripts/bench/bench_tiling.py)
 * and their overlaps, so there one pass is the cheapest way up to `wasm`.
 */
export function defaultTile(gpu: number, wasm: number): number {
  return tf.getBackend() === 'wasm' ? wasm : gpu;
}

/** The largest pass that worked after a resource error, per model and backend: later calls start there. */
const learnedTile = new Map<string, number>();

/** Pure: does this error mean the pass was too big for the device (so smaller tiles may work)? */
export function isResourceError(error: unknown): boolean {
  return /texture size|greater than WebGL maximum/i.test(String((error as Error)?.message ?? error)) || isMemoryError(error);
}

/**
 * The network on a batch of one image tensor [1, h, w, 3] in 0-255, with strength and colour
 * preservation: returns [1, h, w, 3] in 0-255. Call it inside tf.tidy (the live loop does, per frame).
 * `computed` feeds tensors of the graph already computed for this content (statistics.carryPlan).
 */
export function paintTensor(model: StyleModel, content: tf.Tensor4D, style: Float32Array,
  options: Pick<StylizeOptions, 'strength' | 'preserveColor'> = {}, norms: Moments[] = [],
  computed: tf.NamedTensorMap = {}): tf.Tensor4D {
  const strength = Math.min(1, Math.max(0, options.strength ?? 1));
  const styleInput = tf.tensor2d(style, [1, style.length]);
  let y = model.graph.execute({ content, style: styleInput, ...normFeeds(model.norms, norms), ...computed }) as tf.Tensor4D;
  y = tf.clipByValue(y, 0, 255);
  if (options.preserveColor) y = preserveColor(y, content) as tf.Tensor4D;
  if (strength < 1) y = tf.add(content, tf.mul(tf.sub(y, content), strength));
  return y;
}

/** Stylise `image` with style weights `style` (StyleModel's manifest gives them: styleVector()). */
export async function stylize(model: StyleModel, image: RGBAImage, style: Float32Array,
  options: StylizeOptions = {}): Promise<RGBAImage> {
  const min = minSide(model.entry.multiple);
  if (image.width > 0 && image.height > 0 && (image.width < min || image.height < min)) {
    return cropTo(await stylize(model, padToAtLeast(image, min), style, options), image.width, image.height);
  }
  let norms: Moments[] = [];
  const kept = new KeptTensors(options.keepBytes);
  const survey: Survey | undefined = options.statistics === 'tile' || !model.norms.length ? undefined : {
    passes: model.norms.length,
    run: async (tiles, cores, onPass) => {
      norms = [];
      kept.reset(tiles.length);
      for (const [k, layer] of model.norms.entries()) {
        const handOn = model.carry[k] ?? [];
        norms.push(await pooledMoments(tiles, cores, (t) => {
          const computed = kept.of(t);
          const wanted = handOn.filter((name) => !(name in computed));
          const result = model.graph.execute({
            content: tileTensor(image, tiles[t]), style: tf.tensor2d(style, [1, style.length]),
            ...normFeeds(model.norms, norms), ...computed,
          }, [layer.input, ...wanted]);
          const [target, ...rest] = Array.isArray(result) ? result : [result]; // one output comes back bare
          kept.update(t, handOn, Object.fromEntries(wanted.map((name, i) => [name, rest[i]])));
          return target as tf.Tensor4D;
        }, onPass));
      }
    },
  };
  try {
    return await paintTiled(image, model.entry.id, model.entry.multiple, async (rgb, width, height, _, t) => {
      const out = await takeValues(tf.tidy(() => paintTensor(model, tf.tensor4d(rgb, [1, height, width, 3]), style, options,
        norms, survey ? kept.of(t) : {})));
      kept.drop(t);
      return out;
    }, { ...options, onRetry: kept.onRetry(options.onRetry) }, survey);
  } finally {
    kept.reset(0);
  }
}

/**
 * Paint a small fixed pattern and check that a picture comes back, not a flat one, within
 * `timeoutMs`. A backend whose device fails, hangs or yields zeros fails here, before a visitor's
 * photo does; subtly wrong numbers would pass (there is no reference backend to compare with).
 */
export async function selfTest(model: StyleModel, style: Float32Array, timeoutMs = 30_000): Promise<void> {
  const [w, h] = [24, 16];
  const data = new Uint8ClampedArray(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 67 + (i >> 5) * 13) % 256));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no result within ${timeoutMs / 1000} s`)), timeoutMs); });
  try {
    const painting = stylize(model, { width: w, height: h, data }, style);
    painting.catch(() => {}); // after a timeout nobody waits for it, and its backend may be taken away
    const out = await Promise.race([painting, late]);
    let [lo, hi] = [Infinity, -Infinity];
    for (let i = 0; i < out.data.length; i += 4) for (let c = 0; c < 3; c++) [lo, hi] = [Math.min(lo, out.data[i + c]), Math.max(hi, out.data[i + c])];
    if (!(hi - lo > 8)) throw new Error('it painted a flat picture');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What must be measured over the whole image before its tiles are painted: `passes` passes over the
 * tiles, run by `run` (given the tiles, their cores (tiles.tileCores) and a callback per tile pass).
 */
export interface Survey {
  passes: number;
  run(tiles: Tile[], cores: Tile[], onPass: () => Promise<void>): Promise<void>;
}

/** One pass: RGB floats of a region (w x h x 3, 0-255), the region and its index among the tiles, to painted RGB floats. */
export type Pass = (rgb: Float32Array, width: number, height: number, region: Tile, index: number) => Promise<Float32Array>;

/**
 * Paint an image of any size with `pass`: in one pass up to `options.tile` px a side, else in
 * overlapping cross-faded tiles (tiles.ts); on a resource error (texture over the GPU's limit, memory)
 * again in tiles half the size, down to MIN_TILE, remembered per `key` and backend. Shared by the
 * gallery network and the arbitrary-style network.
 */
export async function paintTiled(image: RGBAImage, key: string, multiple: number, pass: Pass,
  options: Pick<StylizeOptions, 'tile' | 'overlap' | 'onProgress' | 'onRetry' | 'signal'> = {}, survey?: Survey): Promise<RGBAImage> {
  options.signal?.throwIfAborted();
  const { width, height } = image;
  if (!(width > 0 && height > 0)) throw new Error('the image has no pixels');
  if (Math.max(width, height) > MAX_SIDE) throw new Error(`the image is larger than ${MAX_SIDE} px on a side: scale it down first`);
  const where = `${key}@${tf.getBackend()}`;
  let tile = Math.min(options.tile ?? defaultTile(1024, 1536), learnedTile.get(where) ?? Infinity);
  for (;;) {
    try {
      return await paintInTiles(image, multiple, pass, tile, options, survey);
    } catch (thrown) {
      const error = await lossOr(thrown);
      if (error instanceof ContextLostError || isAbort(error)) throw error;
      const size = largestPass(passPlan(width, height, tile, options.overlap ?? OVERLAP, multiple));
      if (!isResourceError(error) || size <= MIN_TILE) throw error;
      tile = Math.max(MIN_TILE, Math.floor(size / 2));
      learnedTile.set(where, tile);
      options.onRetry?.(`${size} px passes were too big for this device (${(error as Error).message}); painting in tiles of ${tile} px`, tile);
    }
  }
}

/** Pure: the regions painted with passes of at most `tile` px: the whole picture in one pass if it
 * fits, else the tiles of tiles.planTiles. */
function passPlan(width: number, height: number, tile: number, overlap: number, multiple: number): Tile[] {
  return width <= tile && height <= tile ? [{ x: 0, y: 0, width, height }] : planTiles(width, height, tile, overlap, multiple);
}

async function paintInTiles(image: RGBAImage, multiple: number, pass: Pass, tile: number,
  options: Pick<StylizeOptions, 'overlap' | 'onProgress' | 'signal'>, survey?: Survey): Promise<RGBAImage> {
  const { width, height } = image;
  const overlap = options.overlap ?? OVERLAP;
  // Between passes the page gets a turn (on WASM a pass's read-back resolves at once, so without it a
  // whole tiled painting would run as one task: no progress shown, no click taken), then the signal is read.
  const between = async () => {
    await nextTask();
    options.signal?.throwIfAborted();
  };
  const tiles = passPlan(width, height, tile, overlap, multiple);
  let rgb: Float32Array;
  if (tiles.length === 1) {
    options.onProgress?.(0, 1);
    rgb = await pass(rgbFromRgba(image), width, height, tiles[0], 0);
    options.onProgress?.(1, 1);
  } else {
    const total = tiles.length * (1 + (survey?.passes ?? 0));
    let done = 0;
    options.onProgress?.(0, total);
    if (survey) await survey.run(tiles, tileCores(tiles, width, height, multiple), async () => { options.onProgress?.(++done, total); await between(); });
    const blender = new TileBlender(width, height, overlap);
    for (const [k, t] of tiles.entries()) {
      await between();
      blender.add(t, await pass(rgbFromRgba(image, t.x, t.y, t.width, t.height), t.width, t.height, t, k));
      options.onProgress?.(++done, total);
    }
    rgb = blender.result();
  }
  return rgbaFromRgb(rgb, width, height);
}

/** Resolves in a new task: events waiting (clicks, renders) run first. A message, not setTimeout(0),
 * which browsers stretch to 4 ms once nested. */
export function nextTask(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
