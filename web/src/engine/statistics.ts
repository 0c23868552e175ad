/**
 * Instance-norm statistics of the whole image, for painting it in tiles.
 *
 * Instance normalisation (Ulyanov et al. 2016) divides each channel by its mean and deviation over
 * the image; a tile that normalises by its own statistics paints its part of the picture as if it
 * were a picture of its own, so neighbouring tiles differ in tone and contrast (measured on a
 * 3000 x 2000 photo: a mean 23/255 away from one full-size pass). Here every norm layer, and the
 * colour head's mean colour (convert/networks.py's ColourOutput), gets the statistics the full-size
 * pass would have given it. A layer's input depends on the normalisation of
 * every layer before it, so they are gathered in order: for each norm layer, one pass over the
 * tiles that runs the network only up to that layer (the earlier layers fed their whole-image
 * statistics) and pools its input's moments over the tiles' cores (tiles.tileCores), which cover
 * each pixel once. With them, the tiled painting matches one full-size pass. Each pass hands the
 * features it computed on to the next (carryPlan), within a memory budget, so the measuring passes
 * together cost about one pass of the network rather than one per layer.
 *
 * The AdaIN path needs only the first step of this: its content statistics come from the
 * encoder, which has no normalisation of its own (adain.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { takeValues } from './backend';
import type { Tile } from './tiles';

/**
 * A layer of a graph model that depends on statistics of the whole picture: an instance norm (the
 * nodes that compute its input's mean and variance) or a lone spatial mean (the colour head's mean
 * colour, convert/networks.py's ColourOutput), which has no variance.
 */
export interface NormLayer {
  /** The node whose statistics are taken (the convolution before a norm; the photo, for the head). */
  input: string;
  mean: string;
  variance?: string;
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
  attr?: { keep_dims?: { b?: boolean } };
}

const nodeName = (input: string) => input.replace(/^\^/, '').replace(/:\d+$/, '');

/**
 * Pure: the layers of a converted Keras graph (model.json's modelTopology.node) that take
 * statistics of the whole picture, in the order they run. An instance norm is a Mean whose input
 * also feeds a SquaredDifference with that Mean, followed by a Mean of that (the variance) — how
 * convert/networks.py's ConditionalInstanceNorm computes them. Any other Mean that keeps its
 * reduced axes is a per-image statistic too (the style networks reduce only over the picture's
 * height and width; ColourOutput's mean colour is one), and is a layer with a mean alone.
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
  const paired = new Set(layers.flatMap((l) => [l.mean, l.variance]));
  for (const n of nodes) {
    if (n.op === 'Mean' && n.input?.length && n.attr?.keep_dims?.b && !paired.has(n.name)) {
      layers.push({ input: nodeName(n.input[0]), mean: n.name });
    }
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

/** The nodes of a layer that the page feeds with the whole picture's statistics. */
export const statisticNodes = (l: NormLayer): string[] => (l.variance ? [l.mean, l.variance] : [l.mean]);

/** Ops that make a node worth keeping rather than computing again: the convolutions and products. */
const HEAVY_OPS = new Set(['Conv2D', '_FusedConv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative',
  'Conv2DBackpropInput', 'MatMul', '_FusedMatMul', 'BatchMatMul', 'BatchMatMulV2']);

/**
 * Pure: what each measuring pass hands on to the passes after it, so that no pass computes again
 * what an earlier one has. Pass k (k < layers.length) computes layers[k].input, given the graph's
 * `inputs`, the statistics of the layers before k and what pass k - 1 handed on; the last pass
 * computes `outputs` with every layer's statistics. Returns, for each measuring pass, the tensors
 * (node names, with ":n" for a node's later outputs) that it should also return: every one that
 * a later pass reads, was computed by this pass or an earlier one, and took a convolution or a
 * product to compute. Tensors that took neither (the padded photo) are cheaper to compute again
 * than to keep. Dropping any of them is safe: a pass not given one computes it again.
 */
export function carryPlan(nodes: GraphNode[], layers: NormLayer[], inputs: string[], outputs: string[]): string[][] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const data = (n: GraphNode) => (n.input ?? []).filter((i) => !i.startsWith('^'));
  const heavy = new Map<string, boolean>();
  const isHeavy = (name: string): boolean => {
    const known = heavy.get(name);
    if (known !== undefined) return known;
    heavy.set(name, false); // guards against cycles, which a converted graph does not have
    const n = byName.get(name);
    const h = !!n && n.op !== 'Const' && (HEAVY_OPS.has(n.op) || data(n).some((i) => isHeavy(nodeName(i))));
    heavy.set(name, h);
    return h;
  };
  const fedBefore = (k: number) => new Set([...inputs, ...layers.slice(0, k).flatMap(statisticNodes)]);
  const targets = [...layers.map((l) => [l.input]), outputs];
  const computed = new Set<string>();
  // Visit the nodes a pass computes, from its targets back to what stops the walk; for each data
  // input read by such a node, tell `onInput`. Returns the nodes visited.
  const walk = (from: string[], stops: (name: string) => boolean, onInput?: (ref: string) => void) => {
    const seen = new Set<string>();
    const stack = from.map(nodeName).filter((name) => !stops(name));
    while (stack.length) {
      const name = stack.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const n = byName.get(name);
      if (!n || n.op === 'Const') continue;
      for (const ref of n.input ?? []) {
        const input = nodeName(ref);
        if (!ref.startsWith('^')) onInput?.(ref);
        if (!stops(input) && !seen.has(input)) stack.push(input);
      }
    }
    return seen;
  };
  let handed = new Set<string>();
  return layers.map((_, k) => {
    const fed = fedBefore(k);
    for (const name of walk(targets[k], (m) => fed.has(m) || handed.has(m))) computed.add(name);
    const carry = new Set<string>();
    for (let j = k + 1; j < targets.length; j++) {
      const later = fedBefore(j);
      const kept = (name: string) => computed.has(name) && isHeavy(name) && !later.has(name);
      walk(targets[j], (m) => later.has(m) || kept(m), (ref) => {
        if (kept(nodeName(ref))) carry.add(ref.replace(/:0$/, ''));
      });
    }
    handed = new Set([...carry].map(nodeName));
    return [...carry];
  });
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
    const { mean, variance } = layers[k];
    feeds[mean] = tf.tensor4d(m.mean, [1, 1, 1, m.mean.length]);
    if (variance) feeds[variance] = tf.tensor4d(m.variance, [1, 1, 1, m.variance.length]);
  });
  return feeds;
}
