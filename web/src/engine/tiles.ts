/**
 * Tiling plan for images larger than one GPU pass can take, and the feathered blend that hides seams.
 *
 * Tiles overlap by `overlap` pixels; in the overlap each tile's weight ramps linearly from 0 to 1,
 * so neighbouring outputs cross-fade instead of meeting at a hard edge. Tile sizes are multiples of
 * `multiple` (what the network's strided layers need) where the image allows.
 */

export interface Tile {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where tiles start along one side, `tile` px or less apart less `overlap`: multiples of `multiple`,
 * the last one moved back (to a multiple) so that it ends at the edge. Starts on the network's own
 * grid matter: a tile that starts off it pools and upsamples on a shifted grid and paints its part
 * differently from one full-size pass (measured with the arbitrary-style network, stride 8: a mean
 * 4.7/255 apart instead of 1.1).
 */
function spread(length: number, tile: number, overlap: number, multiple: number): number[] {
  if (length <= tile) return [0];
  const step = Math.max(multiple, Math.floor((tile - overlap) / multiple) * multiple);
  const last = Math.ceil((length - tile) / multiple) * multiple;
  const out: number[] = [];
  for (let s = 0; s < last; s += step) out.push(s);
  out.push(last);
  return out;
}

/**
 * One side's tiles: as many as tiles of `tile` px need, each as narrow as that count allows (a
 * multiple of `multiple`). 3000 px in 1024 px tiles, say, take four tiles of 800 px rather than four
 * of 1024 of which the last lies almost wholly over the third: the same passes, 22% fewer pixels.
 */
function side(length: number, tile: number, overlap: number, multiple: number): { starts: number[]; size: number } {
  const widest = spread(length, tile, overlap, multiple);
  if (widest.length === 1) return { starts: widest, size: Math.min(tile, length) };
  const n = widest.length;
  let size = Math.max(multiple, Math.ceil((length + (n - 1) * overlap) / n / multiple) * multiple);
  for (; size < tile; size += multiple) {
    const starts = spread(length, size, overlap, multiple);
    if (starts.length <= n) return { starts, size };
  }
  return { starts: widest, size: tile };
}

/**
 * Tiles covering width x height, each at most `tile` px a side, neighbours overlapping by at least
 * `overlap`. Every tile starts on a multiple of `multiple` (what the network's strided layers need).
 * Each side has the fewest tiles of at most `tile` px that cover it, all as wide (high) as the
 * narrowest such tiling needs, except the last of a row (column), which ends at the image's edge
 * and may be narrower (the network pads it).
 */
export function planTiles(width: number, height: number, tile: number, overlap: number, multiple = 1): Tile[] {
  if (!(width > 0 && height > 0)) throw new Error('image has no pixels');
  const t = Math.max(multiple, Math.floor(tile / multiple) * multiple);
  if (overlap >= t) throw new Error('overlap must be smaller than the tile');
  const across = side(width, t, overlap, multiple);
  const down = side(height, t, overlap, multiple);
  const tiles: Tile[] = [];
  for (const y of down.starts) {
    for (const x of across.starts) {
      tiles.push({ x, y, width: Math.min(across.size, width - x), height: Math.min(down.size, height - y) });
    }
  }
  return tiles;
}

/** Pure: the longest side of any tile of a plan, the size of its largest pass. */
export function largestPass(tiles: Tile[]): number {
  return Math.max(...tiles.map((t) => Math.max(t.width, t.height)));
}

/**
 * Pure: each tile's core, a region of the image (image coordinates) that belongs to that tile alone.
 * Cores split every overlap near its middle, on a multiple of `multiple`, so together they cover each
 * pixel exactly once: what a measurement over the whole image sums over, with each tile's core as
 * far from its cut edges as the overlap allows.
 */
export function tileCores(tiles: Tile[], width: number, height: number, multiple = 1): Tile[] {
  const cuts = (spans: [number, number][], length: number) => {
    const sorted = [...new Map(spans.map((s) => [s[0], s])).values()].sort((a, b) => a[0] - b[0]);
    const middle = (a: [number, number], b: [number, number]) => Math.round((b[0] + a[1]) / 2 / multiple) * multiple;
    return new Map(sorted.map((s, i) => [s[0], [
      i === 0 ? 0 : middle(sorted[i - 1], s),
      i === sorted.length - 1 ? length : middle(s, sorted[i + 1]),
    ]]));
  };
  const xs = cuts(tiles.map((t) => [t.x, t.x + t.width]), width);
  const ys = cuts(tiles.map((t) => [t.y, t.y + t.height]), height);
  return tiles.map((t) => {
    const [x0, x1] = xs.get(t.x)!;
    const [y0, y1] = ys.get(t.y)!;
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  });
}

/**
 * Per-pixel blend weight of a tile: 1 inside, ramping to a small floor at edges shared with a
 * neighbour (edges on the image border keep weight 1).
 */
export function tileWeights(tile: Tile, width: number, height: number, overlap: number): Float32Array {
  const w = new Float32Array(tile.width * tile.height);
  const ramp = (d: number) => (overlap <= 0 ? 1 : Math.min(1, (d + 0.5) / overlap));
  for (let j = 0; j < tile.height; j++) {
    const top = tile.y > 0 ? ramp(j) : 1;
    const bottom = tile.y + tile.height < height ? ramp(tile.height - 1 - j) : 1;
    for (let i = 0; i < tile.width; i++) {
      const left = tile.x > 0 ? ramp(i) : 1;
      const right = tile.x + tile.width < width ? ramp(tile.width - 1 - i) : 1;
      w[j * tile.width + i] = Math.min(top, bottom) * Math.min(left, right);
    }
  }
  return w;
}

/** Accumulates weighted tiles of RGB float data into one image; `result()` divides by the weights. */
export class TileBlender {
  private sum: Float32Array;
  private weight: Float32Array;

  constructor(readonly width: number, readonly height: number, readonly overlap: number) {
    this.sum = new Float32Array(width * height * 3);
    this.weight = new Float32Array(width * height);
  }

  add(tile: Tile, rgb: Float32Array | Uint8Array | Uint8ClampedArray): void {
    const w = tileWeights(tile, this.width, this.height, this.overlap);
    for (let j = 0; j < tile.height; j++) {
      for (let i = 0; i < tile.width; i++) {
        const k = j * tile.width + i;
        const p = (tile.y + j) * this.width + tile.x + i;
        const wk = w[k];
        this.weight[p] += wk;
        this.sum[3 * p] += wk * rgb[3 * k];
        this.sum[3 * p + 1] += wk * rgb[3 * k + 1];
        this.sum[3 * p + 2] += wk * rgb[3 * k + 2];
      }
    }
  }

  result(): Float32Array {
    const out = new Float32Array(this.sum.length);
    for (let p = 0; p < this.weight.length; p++) {
      const w = this.weight[p] || 1;
      out[3 * p] = this.sum[3 * p] / w;
      out[3 * p + 1] = this.sum[3 * p + 1] / w;
      out[3 * p + 2] = this.sum[3 * p + 2] / w;
    }
    return out;
  }
}

/** Pure: the size to process at, longer side at most `longest`, never enlarging. */
export function fitSize(width: number, height: number, longest: number): { width: number; height: number } {
  const scale = Math.min(1, longest / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
