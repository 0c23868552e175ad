/**
 * Tensors a tiled painting keeps from one pass over its tiles to the next, so that a later pass does
 * not compute again what an earlier one has: the gallery network's measuring passes hand each tile's
 * features on (statistics.carryPlan), and the arbitrary-style network's measuring pass hands each
 * tile's encoding on to its painting pass. What is kept stays within a budget of bytes; a tile whose
 * tensors do not fit keeps none, and its next pass computes them again, to the same values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gpuLosses } from './backend';

/** Pure: is this error (or a message quoting it) the device's memory running out, rather than, say,
 * a texture over its size limit? */
export function isMemoryError(error: unknown): boolean {
  return /out of memory|OUT_OF_MEMORY|Array buffer allocation failed|Aborted\(OOM\)|Cannot allocate/i
    .test(String((error as Error)?.message ?? error));
}

/** The budget unless told otherwise: on WASM the page's own memory; on a GPU its memory, which is
 * often the smaller and also holds every pass's textures. Once the page has lost its GPU, nothing is
 * kept on one: a browser may take the GPU away when its memory runs short, as a lost context rather
 * than an error the engine could catch, and the painting that follows the recovery should not fill
 * it the same way again. */
export function defaultKeepBytes(): number {
  if (tf.getBackend() !== 'webgl' && tf.getBackend() !== 'webgpu') return 512 * 2 ** 20;
  return gpuLosses() > 0 ? 0 : 256 * 2 ** 20;
}

/** Named tensors per tile, within `budget` bytes (float32 counted). */
export class KeptTensors {
  private tiles: tf.NamedTensorMap[] = [];
  private bytes = 0;

  constructor(public budget = defaultKeepBytes()) {}

  /** Releases everything and starts over for `tiles` tiles. */
  reset(tiles: number): void {
    for (let t = 0; t < this.tiles.length; t++) this.drop(t);
    this.tiles = Array.from({ length: tiles }, () => ({}));
    this.bytes = 0;
  }

  /** What tile `tile` keeps now (nothing if it is not one of the tiles). */
  of(tile: number): tf.NamedTensorMap {
    return this.tiles[tile] ?? {};
  }

  /**
   * Tile `tile` keeps the tensors named in `names`: those it kept already, and the rest from `fresh`
   * (just computed, inside tf.tidy: kept ones are taken out of it). What it kept and `names` does not
   * name is released. If the fresh ones do not fit the budget, the tile keeps nothing.
   */
  update(tile: number, names: string[], fresh: tf.NamedTensorMap): void {
    if (tile < 0 || tile >= this.tiles.length) return;
    const old = this.of(tile);
    const next: tf.NamedTensorMap = {};
    for (const name of names) if (old[name] ?? fresh[name]) next[name] = old[name] ?? fresh[name];
    for (const [name, tensor] of Object.entries(old)) if (!(name in next)) this.release(tensor);
    const added = Object.entries(fresh).filter(([name]) => next[name] === fresh[name]).map(([, tensor]) => tensor);
    const bytes = added.reduce((sum, x) => sum + 4 * x.size, 0);
    if (this.bytes + bytes > this.budget) {
      for (const tensor of Object.values(next)) if (!added.includes(tensor)) this.release(tensor);
      this.tiles[tile] = {};
      return;
    }
    for (const tensor of added) tf.keep(tensor);
    this.bytes += bytes;
    this.tiles[tile] = next;
  }

  /** Releases what tile `tile` keeps. */
  drop(tile: number): void {
    for (const tensor of Object.values(this.of(tile))) this.release(tensor);
    if (this.tiles[tile]) this.tiles[tile] = {};
  }

  /** An onRetry for paintTiled that stops keeping anything once memory has run out (what was kept
   * may be what filled it), then tells `next`. */
  onRetry(next?: (message: string, tile: number) => void): (message: string, tile: number) => void {
    return (message, tile) => {
      if (isMemoryError(message)) this.budget = 0;
      next?.(message, tile);
    };
  }

  private release(tensor: tf.Tensor): void {
    this.bytes -= 4 * tensor.size;
    tensor.dispose();
  }
}
