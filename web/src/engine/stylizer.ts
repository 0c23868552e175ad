/**
 * createStylizer(): the engine as one object, in the manner of tfjs-models' createDetector. It owns
 * the backend, the manifest, the networks (each downloaded once, verified, and built again from the
 * same bytes after a GPU loss) and the styles' statistics, and paints with one vocabulary whichever
 * network does the work:
 *
 * - a gallery style alone, or blended with another style of the same network, runs the multi-style
 *   network; blending mixes the styles' normalisation parameters (Dumoulin et al. 2017);
 * - a picture as the style, or a blend that involves one, runs the arbitrary-style network (Huang &
 *   Belongie 2017), whose styles are only the statistics of their features: a picture's are measured
 *   once and kept while the picture object lives, a gallery painting's are shipped with the manifest,
 *   and a blend mixes them (their sec. 7.3);
 * - a region paints each style whole and composites the two paintings through it (their Fig. 8).
 *
 * `strength` is the multi-style network's blend towards the photo and AdaIN's alpha (their eq. 14).
 */
import { abandonBackend, ContextLostError, initBackend, isContextLost, lastLossCause, recoverBackend,
  type BackendName, type BackendOptions } from './backend';
import { adainTensor, loadStyleStatistics, mixStatistics, styleStatistics, stylizeAdain, type AdainModels,
  type StyleStatistics } from './adain';
import type { FramePainter } from './live';
import { styleVector, type Manifest, type StyleEntry } from './manifest';
import { loadManifest, loadModel, type StyleModel } from './models';
import { composite, type RGBAImage } from './pixels';
import { paintTensor, selfTest, stylize } from './stylize';

/** A style: a gallery style's id (`manifest.styles[i].id`), or a picture whose look to take. */
export type Style = string | RGBAImage;

export interface StylizerOptions {
  /** Backends to prefer or rule out, and where the WebAssembly files are (default: WebGPU, then
   * WebGL, then WebAssembly, whichever works first). */
  backend?: BackendOptions;
  /** What the manifest's file paths are relative to (default: the manifest's own folder). */
  base?: string;
  /** Paint a small test pattern with the first gallery style before trusting WebGPU, and move to the
   * next backend where it fails (default true; WebGPU drivers vary). */
  checkWebGpu?: boolean;
  /** Download progress of a network, in bytes, as it arrives. */
  onDownload?: (loadedBytes: number, totalBytes: number, modelId: string) => void;
  /** Start-up is doing something that takes a while (checking WebGPU): a line for a status bar. */
  onStartup?: (message: string) => void;
  /** The backend changed (after a GPU loss, see recover()): frame painters made before are void. */
  onBackendChange?: (backend: BackendName) => void;
  /** fetch, for tests and for Node (default the global one). */
  fetch?: typeof fetch;
}

export interface FrameOptions {
  style: Style;
  /** A second style to blend with the first (where they can blend: canBlend). */
  blendWith?: Style;
  /** How much of `blendWith`: 0 = only `style`, 1 = only `blendWith` (default 0.5). */
  blend?: number;
  /** 0 = the photo, 1 = fully painted (default 1). */
  strength?: number;
  /** Keep the photo's colours: only the painting's luminance is used (Gatys et al. 2017). */
  keepColours?: boolean;
}

export interface PaintOptions extends FrameOptions {
  /** Paint `blendWith` only where this mask (one value in [0, 1] per pixel, row by row) is 1 and
   * `style` where it is 0, instead of blending them everywhere. */
  region?: Float32Array;
  /** Largest side of one pass; larger pictures are painted in overlapping tiles (default: per network and backend). */
  tile?: number;
  /** Stops the painting between passes: the promise rejects with an AbortError (isAbort tells). */
  signal?: AbortSignal;
  /** Passes done of all passes, as they finish (more than one when tiled). */
  onProgress?: (done: number, total: number) => void;
  /** A pass was too big for this device, so the picture is being painted in tiles of `tile` px. */
  onRetry?: (message: string, tile: number) => void;
  /** A style is starting to paint (twice with a region: each style in turn). */
  onStyle?: (style: Style) => void;
  /** The GPU was taken away while painting (`cause` names what was lost): the backend is being
   * rebuilt, and the painting starts once more on it. */
  onGpuReset?: (cause: string) => void;
}

export interface Stylizer {
  readonly manifest: Manifest;
  /** The gallery styles, in the manifest's order. */
  readonly styles: readonly StyleEntry[];
  /** Whether pictures can be styles (the manifest has the arbitrary-style network). */
  readonly arbitrary: boolean;
  /** The backend painting now. */
  readonly backend: BackendName;
  /** What start-up could not do as asked, in a sentence (e.g. WebGPU failed its check), else ''. */
  readonly startupNote: string;
  /** `image` painted as the options say; same size as `image`. */
  paint(image: RGBAImage, options: PaintOptions): Promise<RGBAImage>;
  /** A painter for video frames (LiveLoop, stylizeVideo) with these settings, its networks loaded. */
  framePainter(options: FrameOptions): Promise<FramePainter>;
  /** Get a style ready: its network downloaded and, for a picture, its statistics measured. */
  prepare(style: Style): Promise<void>;
  /** Whether `a` can be blended with `b` (or take its region). */
  canBlend(a: Style, b: Style): boolean;
  /** Whether `error` came from losing the GPU (after which recover() makes painting possible again). */
  isGpuLoss(error: unknown): boolean;
  /** What was lost last, as a status line names it ('WebGL context lost', 'WebGPU device lost: …'). */
  readonly lastGpuLoss: string;
  /** After a GPU loss: a new backend (WebGL on a new context, else the next one) and every network
   * built again on it from the bytes already downloaded. Concurrent calls share one recovery. */
  recover(): Promise<BackendName>;
  /** Free every network. The stylizer cannot paint afterwards. */
  dispose(): void;
}

type Source =
  | { kind: 'gallery'; model: StyleModel; vector: Float32Array }
  | { kind: 'adain'; models: AdainModels; statistics: StyleStatistics };

/** Load the manifest at `manifestUrl`, choose a backend, and return a Stylizer; networks download on first use. */
export async function createStylizer(manifestUrl: string, options: StylizerOptions = {}): Promise<Stylizer> {
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  const backend = await initBackend(options.backend);
  const manifest = await loadManifest(manifestUrl, fetchFn);
  const base = options.base ?? manifestUrl.slice(0, manifestUrl.lastIndexOf('/') + 1);
  const stylizer = new ManifestStylizer(manifest, base, backend, options, fetchFn);
  if (backend === 'webgpu' && options.checkWebGpu !== false) await stylizer.checkWebGpu();
  return stylizer;
}

class ManifestStylizer implements Stylizer {
  readonly styles: readonly StyleEntry[];
  readonly arbitrary: boolean;
  startupNote = '';
  private current: BackendName;
  private models = new Map<string, Promise<StyleModel>>();
  private galleryStatistics = new Map<string, Promise<StyleStatistics>>();
  private pictureStatistics = new WeakMap<RGBAImage, Promise<StyleStatistics>>();
  private recovering: Promise<BackendName> | null = null;
  private disposed = false;

  constructor(readonly manifest: Manifest, private readonly base: string, backend: BackendName,
    private readonly options: StylizerOptions, private readonly fetchFn: typeof fetch) {
    this.styles = manifest.styles;
    this.current = backend;
    const kinds = new Set(manifest.models.map((m) => m.kind));
    this.arbitrary = kinds.has('adain-encoder') && kinds.has('adain-decoder');
  }

  get backend(): BackendName {
    return this.current;
  }

  get lastGpuLoss(): string {
    return lastLossCause();
  }

  /** WebGPU is trusted only once the first gallery style's network paints on it. */
  async checkWebGpu(): Promise<void> {
    const first = this.styles[0];
    if (!first) return;
    this.options.onStartup?.('Checking WebGPU on this device…');
    let model: StyleModel;
    try {
      model = await this.model(first.model);
    } catch (error) { // painting will download it again
      this.startupNote = `The style network could not be downloaded (${(error as Error).message}); it will be tried again when you paint.`;
      return;
    }
    try {
      await selfTest(model, styleVector(this.manifest, first.id));
    } catch (error) {
      const name = await this.switchBackend(() => abandonBackend('webgpu', this.options.backend));
      this.startupNote = `WebGPU did not work on this device (${(error as Error).message}), so this page uses ${name}.`;
    }
  }

  async paint(image: RGBAImage, options: PaintOptions): Promise<RGBAImage> {
    try {
      return await this.paintOnce(image, options);
    } catch (error) {
      if (!this.isGpuLoss(error) || options.signal?.aborted) throw error;
      options.onGpuReset?.(lastLossCause());
      await this.recover();
      return this.paintOnce(image, options);
    }
  }

  private async paintOnce(image: RGBAImage, o: PaintOptions): Promise<RGBAImage> {
    if (o.region && o.blendWith !== undefined) {
      if (o.region.length !== image.width * image.height) {
        throw new Error(`the region has ${o.region.length} values for a ${image.width} × ${image.height} picture`);
      }
      const first = await this.paintStyle(image, o.style, o, await this.source(o.style));
      const second = await this.paintStyle(image, o.blendWith, o, await this.source(o.blendWith));
      return composite(first, second, o.region);
    }
    return this.paintStyle(image, o.style, o, await this.source(o.style, o.blendWith, o.blend));
  }

  private paintStyle(image: RGBAImage, style: Style, o: PaintOptions, src: Source): Promise<RGBAImage> {
    o.signal?.throwIfAborted();
    o.onStyle?.(style);
    const common = { preserveColor: o.keepColours, tile: o.tile, signal: o.signal, onProgress: o.onProgress, onRetry: o.onRetry };
    if (src.kind === 'adain') return stylizeAdain(src.models, image, src.statistics, { alpha: o.strength, ...common });
    return stylize(src.model, image, src.vector, { strength: o.strength, ...common });
  }

  async framePainter(o: FrameOptions): Promise<FramePainter> {
    const src = await this.source(o.style, o.blendWith, o.blend);
    const settings = { preserveColor: o.keepColours };
    return src.kind === 'gallery'
      ? (frame) => paintTensor(src.model, frame, src.vector, { strength: o.strength, ...settings })
      : (frame) => adainTensor(src.models, frame, src.statistics, { alpha: o.strength, ...settings });
  }

  async prepare(style: Style): Promise<void> {
    await this.source(style);
  }

  canBlend(a: Style, b: Style): boolean {
    if (a === b) return false;
    const entry = (s: Style) => (typeof s === 'string' ? this.styles.find((e) => e.id === s) ?? null : null);
    const [ea, eb] = [entry(a), entry(b)];
    if ((typeof a === 'string' && !ea) || (typeof b === 'string' && !eb)) return false;
    if (ea && eb && ea.model === eb.model) return true;
    const hasStatistics = (s: Style, e: StyleEntry | null) => typeof s !== 'string' || Boolean(e?.adain_statistics);
    return this.arbitrary && hasStatistics(a, ea) && hasStatistics(b, eb);
  }

  isGpuLoss(error: unknown): boolean {
    return error instanceof ContextLostError || isContextLost();
  }

  recover(): Promise<BackendName> {
    this.recovering ??= this.switchBackend(() => recoverBackend(this.options.backend)).finally(() => { this.recovering = null; });
    return this.recovering;
  }

  dispose(): void {
    this.disposed = true;
    for (const p of this.models.values()) p.then((m) => m.dispose(), () => {});
    this.models.clear();
  }

  /**
   * What paints `style`, blended with `partner` by `weight`: the multi-style network with a style
   * vector where both are its styles, else the arbitrary-style network with AdaIN statistics.
   */
  private async source(style: Style, partner?: Style, weight = 0.5): Promise<Source> {
    const entry = typeof style === 'string' ? this.entry(style) : null;
    if (partner === style) partner = undefined;
    const other = typeof partner === 'string' ? this.entry(partner) : null;
    if (entry && (partner === undefined || other?.model === entry.model)) {
      const vector = other ? styleVector(this.manifest, entry.id, { [entry.id]: 1 - weight, [other.id]: weight })
        : styleVector(this.manifest, entry.id);
      return { kind: 'gallery', model: await this.model(entry.model), vector };
    }
    const main = await this.statistics(style);
    const statistics = partner === undefined ? main : mixStatistics([main, await this.statistics(partner)], [1 - weight, weight]);
    return { kind: 'adain', models: await this.adain(), statistics };
  }

  private entry(id: string): StyleEntry {
    const entry = this.styles.find((s) => s.id === id);
    if (!entry) throw new Error(`no style “${id}” in this gallery`);
    return entry;
  }

  private statistics(style: Style): Promise<StyleStatistics> {
    if (!this.arbitrary) return Promise.reject(new Error('this gallery has no arbitrary-style network: only its own styles can paint'));
    if (typeof style === 'string') return cached(this.galleryStatistics, style, () => loadStyleStatistics(this.base, this.entry(style), this.fetchFn));
    return cached(this.pictureStatistics, style, async () => styleStatistics(await this.adain(), style));
  }

  private async adain(): Promise<AdainModels> {
    const [encoder, decoder] = await Promise.all([this.model('adain-encoder'), this.model('adain-decoder')]);
    return { encoder, decoder };
  }

  private model(id: string): Promise<StyleModel> {
    if (this.disposed) return Promise.reject(new Error('this stylizer was disposed'));
    const onDownload = this.options.onDownload;
    return cached(this.models, id, () => loadModel(this.base, this.manifest, id,
      onDownload && ((loaded, total) => onDownload(loaded, total, id)), this.fetchFn));
  }

  /** Move to another backend and build every network again on it; one that cannot be rebuilt is
   * dropped, to be downloaded anew when next used. */
  private async switchBackend(to: () => Promise<BackendName>): Promise<BackendName> {
    const name = await to();
    const rebuilt = new Map<string, Promise<StyleModel>>();
    for (const [id, p] of this.models) {
      const fresh = p.then(async (old) => {
        const model = await old.rebuild();
        old.dispose();
        return model;
      });
      fresh.catch(() => { if (this.models.get(id) === fresh) this.models.delete(id); });
      rebuilt.set(id, fresh);
    }
    this.models = rebuilt;
    this.current = name;
    this.options.onBackendChange?.(name);
    return name;
  }
}

/** The promise cached under `key`, made by `make` when missing; one that fails is forgotten, so the
 * next call tries again (a download that broke, say). */
function cached<K, V>(cache: { get(key: K): Promise<V> | undefined; set(key: K, value: Promise<V>): unknown; delete(key: K): unknown },
  key: K, make: () => Promise<V>): Promise<V> {
  let p = cache.get(key);
  if (!p) {
    const made = make();
    made.catch(() => { if (cache.get(key) === made) cache.delete(key); });
    cache.set(key, made);
    p = made;
  }
  return p;
}
