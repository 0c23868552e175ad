/**
 * Instance-norm statistics of the whole image, for painting it in tiles.
 *
 * Instance normalisation (Ulyanov et al. 2016) divides each channel by its mean and deviation over
 * the image; a tile that normalises by its own statistics paints its part of the picture as if it
 * were a picture of its own, so neighbouring tiles differ in tone and contrast (measured on a
 * 3000 x 2000 photo: a mean 23/255 away from one full-size pass). Here every norm layer gets the
 * statistics the full-size pass would have given it. A layer's input depends on the normalisation of
 * every layer before it, so they are gathered in order: for each norm layer, one pass over the
 * tiles that runs the network only up to that layer (the earlier layers fed their whole-image
 * statistics) and pools its input's moments over the tiles' cores (tiles.tileCores), which cover
 * each pixel once. With them, the tiled painting matches one full-size pass.
 *
 * The AdaIN path needs only the first step of this: its content statistics come from the
 * encoder, which has no normalisation of its own (adain.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { takeValues } from './backend';
import type { Tile } from './tiles';

/** A normalisation layer of a graph model: the nodes that compute its input's mean and variance. */
export interface NormLayer {
  /** The node whose output is normalised (the convolution before the norm). */
  input: string;
  mean: string;
  variance: string;
}

/** Per-channel mean and variance. */
export interface Moments {
  mean: Float32Array;
  variance: Float32Array;
}

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
}

const nodeName = (input: string) => input.replace(/^\^/, '').replace(/:\d+$/, '');

/**
 * Pure: the instance-norm layers of a converted Keras graph (model.json's modelTopology.node), in
 * the order they run. A layer is a Mean over the spatial axes whose input also feeds a
 * SquaredDifference with that Mean, followed by a Mean of that (the variance) — how
 * convert/networks.py's ConditionalInstanceNorm computes them.
 */
export function findNormLayers(nodes: GraphNode[]): NormLayer[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const consumers = new Map<string, GraphNode[]>();
  for (const n of nodes) {
    for (const i of n.input ?? []) {
      const key = nodeName(i);
      consumers.set(key, [...(consumers.get(key) ?? []), n]);
    }
  }
  const layers: NormLayer[] = [];
  for (const n of nodes) {
    if (n.op !== 'Mean' || !n.input?.length) continue;
    const input = nodeName(n.input[0]);
    const squared = (consumers.get(n.name) ?? []).find((c) => c.op === 'SquaredDifference'
      && c.input?.map(nodeName).includes(input));
    const variance = squared && (consumers.get(squared.name) ?? []).find((c) => c.op === 'Mean');
    if (variance) layers.push({ input, mean: n.name, variance: variance.name });
  }
  // the order they run in: by depth in the graph
  const depth = new Map<string, number>();
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    depth.set(name, 0); // guards against cycles, which a converted graph does not have
    const d = 1 + Math.max(0, ...(byName.get(name)?.input ?? []).map((i) => depthOf(nodeName(i))));
    depth.set(name, d);
    return d;
  };
  return layers.sort((a, b) => depthOf(a.input) - depthOf(b.input));
}

/**
 * Pools moments measured on parts of an image into the moments of the whole (Chan et al. 1979's
 * pairwise update, in float64), so no large sums of squares lose precision.
 */
export class PooledMoments {
  private count = 0;
  private mean: Float64Array;
  private m2: Float64Array;

  constructor(readonly channels: number) {
    this.mean = new Float64Array(channels);
    this.m2 = new Float64Array(channels);
  }

  /** Add a part of `count` values per channel with these means and (population) variances. */
  add(part: Moments, count: number): void {
    if (count <= 0) return;
    const total = this.count + count;
    for (let c = 0; c < this.channels; c++) {
      const delta = part.mean[c] - this.mean[c];
      this.mean[c] += (delta * count) / total;
      this.m2[c] += part.variance[c] * count + (delta * delta * this.count * count) / total;
    }
    this.count = total;
  }

  result(): Moments {
    if (!this.count) throw new Error('no values were pooled');
    return {
      mean: Float32Array.from(this.mean),
      variance: Float32Array.from(this.m2, (m) => m / this.count),
    };
  }
}

/**
 * The moments over a tile's core of a feature map computed from that tile: `features` is
 * [1, fh, fw, c] for a tile of `tile` size (padded by the network to a multiple of its stride), so
 * each feature pixel covers `scale` = padded tile / fh image pixels. Returns [2c] (means, then
 * variances) and the number of feature pixels. Call it inside tf.tidy.
 */
export function coreMoments(features: tf.Tensor4D, tile: Tile, core: Tile): { values: tf.Tensor1D; count: number } {
  const [, fh, fw] = features.shape;
  const scale = Math.max(1, Math.round(tile.height / fh), Math.round(tile.width / fw));
  const y0 = Math.min(fh - 1, Math.round((core.y - tile.y) / scale));
  const x0 = Math.min(fw - 1, Math.round((core.x - tile.x) / scale));
  // a core that reaches the tile's far edge takes every feature row (column) there, the network's
  // padding included, as one full-size pass counts them
  const y1 = core.y + core.height >= tile.y + tile.height ? fh : Math.max(y0 + 1, Math.min(fh, Math.round((core.y + core.height - tile.y) / scale)));
  const x1 = core.x + core.width >= tile.x + tile.width ? fw : Math.max(x0 + 1, Math.min(fw, Math.round((core.x + core.width - tile.x) / scale)));
  const part = tf.slice(features, [0, y0, x0, 0], [1, y1 - y0, x1 - x0, -1]);
  const { mean, variance } = tf.moments(part, [0, 1, 2]);
  return { values: tf.concat([mean, variance]) as tf.Tensor1D, count: (y1 - y0) * (x1 - x0) };
}

/**
 * Measure a feature map over the whole image, tile by tile: `features(k)` computes tile k's
 * features (inside tf.tidy). `onPass` is told after each tile, and awaited.
 */
export async function pooledMoments(tiles: Tile[], cores: Tile[],
  features: (k: number) => tf.Tensor4D, onPass?: () => void | Promise<void>): Promise<Moments> {
  let pool: PooledMoments | null = null;
  for (let k = 0; k < tiles.length; k++) {
    let count = 0;
    const values = await takeValues(tf.tidy(() => {
      const m = coreMoments(features(k), tiles[k], cores[k]);
      count = m.count;
      return m.values;
    }));
    const c = values.length / 2;
    pool ??= new PooledMoments(c);
    pool.add({ mean: values.subarray(0, c), variance: values.subarray(c) }, count);
    await onPass?.();
  }
  return pool!.result();
}

/** The graph inputs that make each of `layers` normalise by `moments` (the same order). Inside tf.tidy. */
export function normFeeds(layers: NormLayer[], moments: Moments[]): tf.NamedTensorMap {
  const feeds: tf.NamedTensorMap = {};
  moments.forEach((m, k) => {
    feeds[layers[k].mean] = tf.tensor4d(m.mean, [1, 1, 1, m.mean.length]);
    feeds[layers[k].variance] = tf.tensor4d(m.variance, [1, 1, 1, m.variance.length]);
  });
  return feeds;
}
