import { useCallback, useEffect, useRef, useState } from 'react';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import {
  abandonBackend, adainTensor, ContextLostError, currentBackend, initBackend, isAbort, isContextLost, lastLossCause, loadManifest, loadModel, loadStyleStatistics,
  memoryUse, mixStatistics, paintTensor, recoverBackend, selfTest, styleStatistics, stylize, stylizeAdain, styleVector, type AdainModels, type BackendName, type BackendOptions,
  type FramePainter, type Manifest, type RGBAImage, type StyleEntry, type StyleModel, type StyleStatistics,
} from '../engine';
import { Live } from './Live';
import { Video } from './Video';
import { fitSize, PhotoError, readPhoto } from './photo';
import { composite, halfMask, invertMask, maskFromPixels, maskPixels, presetMask, type Half, type Preset } from './region';
import { SAMPLES } from './samples';
import { canShareImages, downloadBlob, shareOrDownload } from './share';

const BASE = import.meta.env.BASE_URL;
const MODELS = `${BASE}models/`;
const SIZES = [
  { label: 'Fast (512 px)', value: 512 },
  { label: 'Large (1024 px)', value: 1024 },
  { label: 'Full size (up to 4096 px)', value: 4096 },
];

type Status = { kind: 'idle' | 'busy' | 'error' | 'done'; text: string; seq?: number };
type OwnStyle = { name: string; url: string; statistics: StyleStatistics };
const OWN = 'own-style';

type Source =
  | { kind: 'gallery'; model: StyleModel; vector: Float32Array; name: string }
  | { kind: 'adain'; models: AdainModels; statistics: StyleStatistics; name: string };

/** A newer render has started: this one stops quietly. */
class Stale extends Error {}

type PaintOptions = {
  strength: number; keepColors: boolean; tile?: number; signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void; onRetry?: (reason: string, smaller: number) => void;
};

/** `pixels` painted by one source with the page's settings (strength is AdaIN's alpha there). */
function paintWith(src: Source, pixels: ImageData, o: PaintOptions): Promise<RGBAImage> {
  const common = { preserveColor: o.keepColors, signal: o.signal, onProgress: o.onProgress, onRetry: o.onRetry };
  if (src.kind === 'adain') return stylizeAdain(src.models, pixels, src.statistics, { alpha: o.strength, tile: o.tile, ...common });
  return stylize(src.model, pixels, src.vector, { strength: o.strength, tile: o.tile, ...common });
}

/** The side of the square download, as social networks take it. */
const SQUARE = 1080;

/** `?tile=N` forces the largest pass (tests use it to paint in tiles on any backend). */
function tileParam(): number | undefined {
  return Number(new URLSearchParams(location.search).get('tile')) || undefined;
}

/** Shows a region on `canvas` (of the mask's size) in the brush's colour. */
function drawMask(canvas: HTMLCanvasElement, mask: Float32Array): void {
  canvas.getContext('2d')!.putImageData(new ImageData(maskPixels(mask) as Uint8ClampedArray<ArrayBuffer>, canvas.width, canvas.height), 0, 0);
}

/**
 * Runs `paint`; if the GPU was taken away meanwhile (driver reset, memory, another tab), says so with
 * `onReset`, rebuilds the backend with `recover` and runs it once more. `recovered` tells what happened.
 */
async function retryAfterGpuReset<T>(paint: () => Promise<T>, recover: () => Promise<BackendName>,
  onReset: () => void, signal?: AbortSignal): Promise<{ result: T; recovered: string }> {
  try {
    return { result: await paint(), recovered: '' };
  } catch (error) {
    if (!(error instanceof ContextLostError || isContextLost()) || signal?.aborted) throw error;
    onReset();
    const cause = lastLossCause();
    const name = await recover();
    return { result: await paint(), recovered: ` The GPU was reset during painting (${cause}); recovered on ${name}.` };
  }
}

function backendOptions(): BackendOptions {
  const params = new URLSearchParams(location.search);
  return {
    prefer: params.get('backend') as BackendName | null,
    exclude: params.get('nowebgl') !== null ? ['webgl', 'webgpu'] : [], // no GPU at all: WASM
    wasmPaths: {
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    },
  };
}

/** Where a pointer is across the before/after picture, in percent of its width (0-100). */
function splitAt(e: { clientX: number; currentTarget: Element }): number {
  const box = e.currentTarget.getBoundingClientRect();
  return Math.round(Math.min(100, Math.max(0, (100 * (e.clientX - box.left)) / Math.max(1, box.width))));
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A small number naming an object (a photo, a mask, a picture of one's own) for as long as it lives. */
const objectIds = new WeakMap<object, number>();
let lastObjectId = 0;
function idOf(o: object | null | undefined): number {
  if (!o) return 0;
  if (!objectIds.has(o)) objectIds.set(o, ++lastObjectId);
  return objectIds.get(o)!;
}

/**
 * A progress callback (done, total) that calls `say` with the percentage only when it reaches a new
 * 10% step: the status is read out by screen readers, and a download or a large photo reports hundreds of times.
 */
function inTenths(say: (percent: number) => void): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    const percent = 10 * Math.floor((10 * done) / total);
    if (percent !== shown) {
      shown = percent;
      say(percent);
    }
  };
}

const downloading = (percent: number): Status => ({ kind: 'busy', text: `Downloading the style network… ${percent}%` });

function describe(style: StyleEntry): string {
  return [style.artist, style.year].filter(Boolean).join(', ');
}

export function App() {
  const [backend, setBackend] = useState<BackendName | null>(null);
  const [manifest, setManifest] = useState<Manifest | null>(null);
  const [styleId, setStyleId] = useState<string | null>(null);
  const [photo, setPhoto] = useState<ImageBitmap | null>(null);
  const [photoName, setPhotoName] = useState('photo');
  const [strength, setStrength] = useState(1);
  const [keepColors, setKeepColors] = useState(false);
  const [size, setSize] = useState(512);
  const [compare, setCompare] = useState(50);
  const dividing = useRef(false); // the before/after divider is being dragged on the picture
  const [canShare] = useState(canShareImages); // the Web Share API takes files here (phones, mostly)
  const [settingsOpen, setSettingsOpen] = useState(false); // the folding settings panel, on a phone
  const [status, setStatusRaw] = useState<Status>({ kind: 'busy', text: 'Starting…', seq: 0 });
  const statusSeq = useRef(0);
  // Every message gets a sequence number (data-seq), so tests and assistive tech see each new one.
  const setStatus = useCallback((s: Status) => setStatusRaw({ ...s, seq: ++statusSeq.current }), []);
  const [hasResult, setHasResult] = useState(false);
  const [painting, setPainting] = useState(0); // paintings in flight (stopped ones until they reach a pass boundary)
  const [reading, setReading] = useState(0); // photos being decoded
  // What the photo page should show now, and what the last painting started was for: while they differ,
  // or anything is in flight, the result is not settled (aria-busy; tests wait on it).
  const [startedFor, setStartedFor] = useState('');
  const [own, setOwn] = useState<OwnStyle | null>(null);
  const [blendWith, setBlendWith] = useState('');
  const [blend, setBlend] = useState(0.5);
  // 'everywhere': the two styles mixed; 'region': the second style only where the visitor painted a mask.
  const [mixWhere, setMixWhere] = useState<'everywhere' | 'region'>('everywhere');
  const [mask, setMask] = useState<Float32Array | null>(null);
  const [preset, setPreset] = useState<Preset | null>(null); // the region is a preset half (else painted)
  const maskCanvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const galleryStats = useRef(new Map<string, Promise<StyleStatistics>>());
  const [memory, setMemory] = useState(memoryUse);
  const [mode, setMode] = useState<'photo' | 'live' | 'video'>('photo');
  const [generation, setGeneration] = useState(0); // bumped when the backend was rebuilt: painters are made again
  const painter = useRef<FramePainter | null>(null);
  const models = useRef(new Map<string, Promise<StyleModel>>());
  const source = useRef<HTMLCanvasElement>(null);
  const output = useRef<HTMLCanvasElement>(null);
  const run = useRef(0);

  useEffect(() => {
    (async () => {
      try {
        let name = await initBackend(backendOptions());
        setBackend(name);
        const m = await loadManifest(`${MODELS}manifest.json`);
        let note = '';
        const first = m.styles[0];
        if (name === 'webgpu' && first) {
          // WebGPU is new and drivers vary: trust it only once the first painting's network paints on it.
          setStatus({ kind: 'busy', text: 'Checking WebGPU on this device…' });
          let model: StyleModel | null = null;
          try {
            model = await loadModel(MODELS, m, first.model, inTenths((percent) => setStatus(downloading(percent))));
          } catch (error) { // the gallery still shows; the network is downloaded again when a photo is painted
            note = ` The style network could not be downloaded (${(error as Error).message}); it will be tried again when you paint.`;
          }
          if (model) {
            models.current.set(first.model, Promise.resolve(model));
            try {
              await selfTest(model, styleVector(m, first.id));
            } catch (error) {
              name = await rebuildAll(() => abandonBackend('webgpu', backendOptions()));
              note = ` WebGPU did not work on this device (${(error as Error).message}), so this page uses ${name}.`;
            }
          }
        }
        setManifest(m);
        setStyleId(first?.id ?? null);
        setStatus({ kind: 'idle', text: `Choose a photo (or a sample) and a painting.${note}` });
      } catch (error) {
        setStatus({ kind: 'error', text: (error as Error).message });
      }
    })();
  }, []);

  const getModel = useCallback((id: string) => {
    if (!manifest) throw new Error('the model list is not loaded yet');
    let p = models.current.get(id);
    if (!p) {
      p = loadModel(MODELS, manifest, id, inTenths((percent) => setStatus(downloading(percent))));
      p.catch(() => models.current.delete(id));
      models.current.set(id, p);
    }
    return p;
  }, [manifest]);

  // After a GPU loss: a new backend (WebGL on a new context, else WASM), and every model
  // built again on it from the bytes already downloaded and verified.
  const recovering = useRef<Promise<BackendName> | null>(null);
  const recover = useCallback((): Promise<BackendName> => {
    recovering.current ??= rebuildAll(() => recoverBackend(backendOptions())).finally(() => { recovering.current = null; });
    return recovering.current;
  }, []);
  // Switch backend (after a context loss, or away from a WebGPU that failed its self-test) and build
  // every model again on the new one; a model that cannot be rebuilt is dropped, to be downloaded anew.
  const rebuildAll = async (switchBackend: () => Promise<BackendName>): Promise<BackendName> => {
    const name = await switchBackend();
    const rebuilt = new Map<string, Promise<StyleModel>>();
    for (const [id, p] of models.current) {
      const fresh = p.then(async (old) => {
        const model = await old.rebuild();
        old.dispose();
        return model;
      });
      fresh.catch(() => { if (models.current.get(id) === fresh) models.current.delete(id); });
      rebuilt.set(id, fresh);
    }
    models.current = rebuilt;
    setBackend(name);
    setGeneration((g) => g + 1);
    return name;
  };

  const getAdain = useCallback(async (): Promise<AdainModels> => {
    const [encoder, decoder] = await Promise.all([getModel('adain-encoder'), getModel('adain-decoder')]);
    return { encoder, decoder };
  }, [getModel]);

  const acceptStyle = useCallback(async (file: File | null | undefined) => {
    if (!file) return;
    try {
      const bitmap = await readPhoto(file);
      const { width, height } = fitSize(bitmap.width, bitmap.height, 512);
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, width, height);
      ctx.drawImage(bitmap, 0, 0, width, height);
      bitmap.close();
      setStatus({ kind: 'busy', text: 'Reading your painting…' });
      const statistics = await styleStatistics(await getAdain(), ctx.getImageData(0, 0, width, height));
      const url = canvas.toDataURL('image/jpeg', 0.8);
      setOwn({ name: file.name.replace(/\.[^.]+$/, ''), url, statistics });
      setStyleId(OWN);
      if (mode !== 'photo') setStatus({ kind: 'done', text: `Style: your picture “${file.name}”.` });
      else if (!photo) setStatus({ kind: 'idle', text: 'Now choose a photo.' });
    } catch (error) {
      setStatus({ kind: 'error', text: error instanceof PhotoError ? error.message : `Could not use that style: ${(error as Error).message}` });
    }
  }, [getAdain, photo, mode]);

  const photoTicket = useRef(0);
  const acceptFile = useCallback(async (file: File | Blob | null | undefined, name = 'photo') => {
    if (!file) return;
    const ticket = ++photoTicket.current;
    setReading((n) => n + 1);
    try {
      const bitmap = await readPhoto(file as File);
      if (ticket !== photoTicket.current) { // a photo chosen later was read first: it stays
        bitmap.close();
        return;
      }
      setPhoto((old) => {
        old?.close();
        return bitmap;
      });
      setPhotoName(((file as File).name || name).replace(/\.[^.]+$/, ''));
      setHasResult(false);
    } catch (error) {
      if (ticket === photoTicket.current) {
        setStatus({ kind: 'error', text: error instanceof PhotoError ? error.message : `Could not read that file: ${(error as Error).message}` });
      }
    } finally {
      setReading((n) => n - 1);
    }
  }, []);

  const loadSample = useCallback(async (file: string, label: string) => {
    let response: Response;
    try {
      response = await fetch(`${BASE}samples/${file}`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      const offline = navigator.onLine === false ? ' You seem to be offline: samples are downloaded when first used.' : '';
      setStatus({ kind: 'error', text: `The sample “${label}” could not be loaded (${(error as Error).message}).${offline}` });
      return;
    }
    await acceptFile(await response.blob(), file);
  }, [acceptFile]);

  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const item = Array.from(e.clipboardData?.items ?? []).find((i) => i.kind === 'file');
      if (item) acceptFile(item.getAsFile());
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, [acceptFile]);

  /** A gallery painting's shipped AdaIN statistics, fetched once. */
  const statsOf = useCallback((style: StyleEntry): Promise<StyleStatistics> => {
    let p = galleryStats.current.get(style.id);
    if (!p) {
      p = loadStyleStatistics(MODELS, style);
      p.catch(() => galleryStats.current.delete(style.id));
      galleryStats.current.set(style.id, p);
    }
    return p;
  }, []);

  /**
   * What paints a style choice: the gallery network with a style vector (two paintings blend by
   * mixing their normalisation parameters, Dumoulin et al. 2017), or the arbitrary-style network with
   * AdaIN statistics (a picture of one's own, alone or mixed with a painting's shipped statistics,
   * Huang & Belongie 2017 sec. 7.3).
   */
  const sourceFor = useCallback(async (id: string, partnerId: string, weight: number): Promise<Source> => {
    if (!manifest) throw new Error('the model list is not loaded yet');
    const style = manifest.styles.find((s) => s.id === id);
    const partner = manifest.styles.find((s) => s.id === partnerId && s.id !== id);
    const withOwn = partnerId === OWN && id !== OWN;
    if (style && !withOwn && (!partner || partner.model === style.model)) {
      const vector = partner ? styleVector(manifest, style.id, { [style.id]: 1 - weight, [partner.id]: weight })
        : styleVector(manifest, style.id);
      return { kind: 'gallery', model: await getModel(style.model), vector, name: style.title };
    }
    const statsFor = (sid: string) => (sid === OWN ? Promise.resolve(own!.statistics) : statsOf(manifest.styles.find((s) => s.id === sid)!));
    const main = await statsFor(id);
    const statistics = partnerId && partnerId !== id ? mixStatistics([main, await statsFor(partnerId)], [1 - weight, weight]) : main;
    const name = id === OWN ? own!.name : style!.title;
    return { kind: 'adain', models: await getAdain(), statistics, name };
  }, [manifest, getModel, getAdain, own, statsOf]);

  /**
   * A picture painted as the settings ask, each source by `one`: the style (blended with its partner
   * everywhere), or with a region, the style and its partner each whole, composited by the region
   * (cf. Huang & Belongie 2017, Fig. 8).
   */
  const paintAsSet = useCallback(async (region: Float32Array | null, one: (src: Source) => Promise<RGBAImage>) => {
    if (!region) return one(await sourceFor(styleId!, mixWhere === 'region' ? '' : blendWith, blend));
    const first = await one(await sourceFor(styleId!, '', 0));
    return composite(first, await one(await sourceFor(blendWith, '', 0)), region);
  }, [sourceFor, styleId, mixWhere, blendWith, blend]);

  const wanted = [idOf(photo), styleId, strength, keepColors, size, blendWith, blend, mixWhere, idOf(mask), idOf(own)].join(' ');
  const settled = reading === 0 && painting === 0 && (!photo || mode !== 'photo' || startedFor === wanted);

  // A square being painted for download is of the settings it was asked with: anything newer stops it.
  const squareRun = useRef<AbortController | null>(null);

  // Render whenever the photo, style or settings change.
  useEffect(() => {
    squareRun.current?.abort();
    if (mode !== 'photo' || !photo || !manifest || !styleId || !source.current || !output.current) return;
    if (styleId === OWN && !own) return;
    const ticket = ++run.current;
    // Stops this painting between passes once anything here changes (a newer painting, another mode).
    const controller = new AbortController();
    const { signal } = controller;
    const { width, height } = fitSize(photo.width, photo.height, size);
    const src = source.current;
    src.width = width;
    src.height = height;
    const ctx = src.getContext('2d', { willReadFrequently: true })!;
    ctx.fillStyle = '#fff'; // transparent pixels are painted as on white paper (as the command line does)
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(photo, 0, 0, width, height);
    const pixels = ctx.getImageData(0, 0, width, height);
    const mc = maskCanvas.current;
    if (mc && (mc.width !== width || mc.height !== height)) { // a new picture size: a new region
      mc.width = width;
      mc.height = height;
      if (preset) { // a preset half is made again at the new size (this effect runs again with it)
        const m = presetMask(preset, width, height);
        drawMask(mc, m);
        setMask(m);
        return () => controller.abort();
      }
      if (mask) { // a painted region no longer fits: forget it (this effect runs again without it)
        setMask(null);
        return () => controller.abort();
      }
    }
    // Until the new painting lands, the old one is not offered for download (it may be of another
    // style or photo); a painting of another size is cleared rather than stretched over the photo.
    setHasResult(false);
    const out = output.current;
    if (out.width !== width || out.height !== height) {
      out.width = width;
      out.height = height;
    }
    const region = mixWhere === 'region' && blendWith && mask && mask.length === width * height ? mask : null;
    const paint = async (): Promise<{ result: RGBAImage; note: string } | null> => {
      let note = '';
      const tile = tileParam();
      const run1 = async (src: Source): Promise<RGBAImage> => {
        if (ticket !== run.current) throw new Stale();
        setStatus({ kind: 'busy', text: `Painting in the style of ${src.name}…` });
        const tenths = inTenths((percent) => setStatus({ kind: 'busy', text: `Painting in tiles… ${percent}%` }));
        const progress = {
          onProgress: (done: number, total: number) => total > 1 && ticket === run.current && tenths(done, total),
          onRetry: (_: string, smaller: number) => {
            note = ` This device could not take larger passes, so it was painted in tiles of ${smaller} px.`;
            if (ticket === run.current) setStatus({ kind: 'busy', text: `Too big for this device's GPU in one pass: painting in tiles of ${smaller} px…` });
          },
        };
        return paintWith(src, pixels, { strength, keepColors, tile, signal, ...progress });
      };
      try {
        return { result: await paintAsSet(region, run1), note };
      } catch (error) {
        if (error instanceof Stale || isAbort(error)) return null;
        throw error;
      }
    };
    setPainting((n) => n + 1);
    setStartedFor(wanted);
    (async () => {
      // A slider being dragged asks for a painting per step: wait for it to rest a moment.
      await new Promise((resolve) => setTimeout(resolve, 80));
      if (signal.aborted) return;
      const started = performance.now();
      try {
        const { result: painted, recovered } = await retryAfterGpuReset(paint, recover,
          () => setStatus({ kind: 'busy', text: 'The GPU was reset while painting; starting again…' }));
        if (!painted || ticket !== run.current) return;
        const { result, note } = painted;
        out.width = width;
        out.height = height;
        out.getContext('2d')!.putImageData(new ImageData(result.data as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
        setHasResult(true);
        setMemory(memoryUse());
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        setStatus({ kind: 'done', text: `Done: ${width} × ${height} in ${seconds} s on ${currentBackend()}.${note}${recovered}` });
      } catch (error) {
        setMemory(memoryUse());
        if (ticket === run.current && !isAbort(error)) setStatus({ kind: 'error', text: (error as Error).message });
      }
    })().finally(() => setPainting((n) => n - 1));
    return () => controller.abort();
  }, [photo, manifest, styleId, strength, keepColors, size, blendWith, blend, own, recover, mode, mixWhere, mask, preset, paintAsSet, wanted]);

  // Live and video modes paint frames with whatever the settings say now: one painter, kept current.
  useEffect(() => {
    if (mode === 'photo' || !manifest || !styleId || (styleId === OWN && !own)) return;
    let stale = false;
    // A painted region belongs to a photo: frames blend the two styles everywhere.
    sourceFor(styleId, blendWith, blend).then((src) => {
      if (stale) return;
      liveError.current = ''; // a new painter: its failures are news
      painter.current = src.kind === 'gallery'
        ? (x) => paintTensor(src.model, x, src.vector, { strength, preserveColor: keepColors })
        : (x) => adainTensor(src.models, x, src.statistics, { alpha: strength, preserveColor: keepColors });
    }, (error) => setStatus({ kind: 'error', text: (error as Error).message }));
    return () => { stale = true; };
  }, [mode, manifest, styleId, strength, keepColors, blendWith, blend, own, sourceFor, setStatus, generation]);
  const styleName = styleId === OWN ? own?.name ?? 'your picture' : manifest?.styles.find((s) => s.id === styleId)?.title ?? '';
  const onMessage = useCallback((kind: Status['kind'], text: string) => setStatus({ kind, text }), [setStatus]);
  // A live frame failed: after a GPU loss (WebGL context, WebGPU device), rebuild the backend and the models; the painter
  // effect then makes a new painter and the loop, which never stopped, paints again.
  const liveError = useRef('');
  const onLiveError = useCallback((error: unknown) => {
    if (!(error instanceof ContextLostError || isContextLost())) {
      const text = `A frame could not be painted: ${(error as Error).message}`;
      if (liveError.current !== text) setStatus({ kind: 'error', text }); // said once, not for every frame
      liveError.current = text;
      return;
    }
    liveError.current = '';
    if (recovering.current) return; // already on it (every frame fails until it is done)
    painter.current = null;
    setStatus({ kind: 'busy', text: 'The GPU was reset; starting it again…' });
    const cause = lastLossCause();
    recover().then((name) => setStatus({ kind: 'done', text: `The GPU was reset (${cause}); live painting recovered on ${name}.` }),
      (e) => setStatus({ kind: 'error', text: `The GPU was reset and could not be started again: ${(e as Error).message}` }));
  }, [recover, setStatus]);

  const [squaring, setSquaring] = useState(false);
  const download = useCallback(async (square: boolean, share = false) => {
    const out = output.current;
    if (!out) return;
    const name = `${photoName}-${styleId}${square ? `-${SQUARE}` : ''}.png`;
    const save = (canvas: HTMLCanvasElement) => canvas.toBlob(async (blob) => {
      if (!blob) return;
      if (!share) return downloadBlob(blob, name);
      if (await shareOrDownload(blob, name) === 'downloaded') {
        setStatus({ kind: 'done', text: `Sharing did not work here, so ${name} was downloaded instead.` });
      }
    }, 'image/png');
    if (!square) return save(out);
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = SQUARE;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    const side = Math.min(out.width, out.height);
    if (side >= SQUARE || !photo || !styleId) { // the painting's centre, made smaller
      ctx.drawImage(out, (out.width - side) / 2, (out.height - side) / 2, side, side, 0, 0, SQUARE, SQUARE);
      return save(canvas);
    }
    // The painting is smaller than the square: rather than enlarge it (soft, its strokes blown up),
    // paint the photo's centre square at the square's own size, with the same settings and region.
    const controller = new AbortController();
    squareRun.current = controller;
    const { signal } = controller;
    setSquaring(true);
    setPainting((n) => n + 1);
    const started = performance.now();
    const saying = `Painting the ${SQUARE} × ${SQUARE} square`;
    const say = (status: Status) => !signal.aborted && setStatus(status);
    say({ kind: 'busy', text: `${saying}…` });
    try {
      const p = Math.min(photo.width, photo.height);
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, SQUARE, SQUARE);
      ctx.drawImage(photo, (photo.width - p) / 2, (photo.height - p) / 2, p, p, 0, 0, SQUARE, SQUARE);
      const pixels = ctx.getImageData(0, 0, SQUARE, SQUARE);
      let region: Float32Array | null = null;
      if (mixWhere === 'region' && blendWith && mask && mask.length === out.width * out.height) {
        // the region the painting on screen used, over the same centre square
        const whole = document.createElement('canvas');
        whole.width = out.width;
        whole.height = out.height;
        drawMask(whole, mask);
        const m = document.createElement('canvas');
        m.width = m.height = SQUARE;
        const mctx = m.getContext('2d', { willReadFrequently: true })!;
        mctx.drawImage(whole, (out.width - side) / 2, (out.height - side) / 2, side, side, 0, 0, SQUARE, SQUARE);
        region = maskFromPixels(mctx.getImageData(0, 0, SQUARE, SQUARE).data);
      }
      const tenths = inTenths((percent) => say({ kind: 'busy', text: `${saying}… ${percent}%` }));
      const options = { strength, keepColors, tile: tileParam(), signal, onProgress: (done: number, total: number) => total > 1 && tenths(done, total) };
      const { result } = await retryAfterGpuReset(() => paintAsSet(region, (src) => paintWith(src, pixels, options)), recover,
        () => say({ kind: 'busy', text: `The GPU was reset while painting the square; starting again…` }), signal);
      if (signal.aborted) return;
      ctx.putImageData(new ImageData(result.data as Uint8ClampedArray<ArrayBuffer>, SQUARE, SQUARE), 0, 0);
      save(canvas);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      say({ kind: 'done', text: `Done: the ${SQUARE} × ${SQUARE} square, painted in ${seconds} s on ${currentBackend()}.` });
    } catch (error) {
      if (!isAbort(error) && !signal.aborted) {
        say({ kind: 'error', text: `The ${SQUARE} × ${SQUARE} square could not be painted: ${(error as Error).message}` });
      }
    } finally {
      if (squareRun.current === controller) squareRun.current = null;
      setSquaring(false);
      setPainting((n) => n - 1);
      setMemory(memoryUse());
    }
  }, [photoName, styleId, photo, mixWhere, blendWith, mask, strength, keepColors, paintAsSet, setStatus, recover]);

  const current = manifest?.styles.find((s) => s.id === styleId);
  // What the current style can be blended with: paintings of the same network, one's own picture (via
  // the paintings' shipped AdaIN statistics), or for one's own picture any painting with statistics.
  const partners: { id: string; title: string }[] = !manifest ? [] : styleId === OWN
    ? (own ? manifest.styles.filter((s) => s.adain_statistics) : [])
    : [...manifest.styles.filter((s) => current && s.model === current.model && s.id !== current.id),
      ...(own && current?.adain_statistics ? [{ id: OWN, title: `your picture “${own.name}”` }] : [])];
  // A blend partner that is no longer offered (it became the main style, say) is dropped, not kept hidden.
  const partnerIds = partners.map((s) => s.id).join(' ');
  useEffect(() => {
    if (blendWith && !partnerIds.split(' ').includes(blendWith)) setBlendWith('');
  }, [blendWith, partnerIds]);

  // The paintings are one radio group (WAI-ARIA): Tab enters at the chosen one, arrow keys move and choose.
  const onGalleryKey = (e: React.KeyboardEvent<HTMLElement>) => {
    const step = ({ ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 } as Record<string, number>)[e.key];
    if (!step) return;
    const radios = [...e.currentTarget.querySelectorAll<HTMLElement>('[role=radio]')];
    const at = radios.indexOf(document.activeElement as HTMLElement);
    if (at < 0) return;
    e.preventDefault();
    const next = radios[(at + step + radios.length) % radios.length];
    next.focus();
    next.click();
  };

  const last = useRef<{ x: number; y: number } | null>(null);
  const brush = (e: React.PointerEvent<HTMLCanvasElement>, start: boolean) => {
    const c = e.currentTarget;
    const rect = c.getBoundingClientRect();
    const x = ((e.clientX - rect.left) * c.width) / rect.width;
    const y = ((e.clientY - rect.top) * c.height) / rect.height;
    const ctx = c.getContext('2d')!;
    const r = Math.max(4, 0.06 * Math.min(c.width, c.height));
    ctx.strokeStyle = ctx.fillStyle = 'rgb(255, 0, 128)';
    ctx.lineWidth = 2 * r;
    ctx.lineCap = 'round';
    ctx.beginPath();
    const from = start || !last.current ? { x, y } : last.current;
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(x, y);
    ctx.stroke();
    last.current = { x, y };
  };
  const commitMask = () => {
    const c = maskCanvas.current;
    if (!c || !c.width) return;
    last.current = null;
    setPreset(null); // painted on: no longer just a preset
    setMask(maskFromPixels(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data));
  };
  /** A region from a preset or the inverse of the painted one: shown on the mask canvas, then used. */
  const setRegion = (make: (width: number, height: number, painted: Float32Array) => Float32Array) => {
    const c = maskCanvas.current;
    if (!c || !c.width) return;
    const ctx = c.getContext('2d')!;
    const m = make(c.width, c.height, maskFromPixels(ctx.getImageData(0, 0, c.width, c.height).data));
    drawMask(c, m);
    last.current = null;
    setMask(m);
  };
  const clearMask = () => {
    const c = maskCanvas.current;
    c?.getContext('2d')!.clearRect(0, 0, c.width, c.height);
    setPreset(null);
    setMask(null);
  };

  return (
    <main onDragOver={(e) => e.preventDefault()} onDrop={(e) => { e.preventDefault(); acceptFile(e.dataTransfer.files[0]); }}>
      <header>
        <h1>Deep Style</h1>
        <p>Turn a photo into a painting. It happens on this device: your photo is never uploaded.</p>
      </header>

      <nav className="modes" aria-label="Mode">
        {(['photo', 'live', 'video'] as const).map((m) => (
          <button key={m} type="button" aria-pressed={mode === m} data-mode={m} onClick={() => setMode(m)}>
            {{ photo: 'Photo', live: 'Live camera', video: 'Video file' }[m]}
          </button>
        ))}
      </nav>

      <section aria-label="Photo" className="photo" hidden={mode !== 'photo'}>
        <label className="button">
          Choose a photo
          <input type="file" accept="image/*" data-testid="file" onChange={(e) => { acceptFile(e.target.files?.[0]); e.target.value = ''; }} />
        </label>
        <span className="hint">or drop or paste one here. Samples:</span>
        {SAMPLES.map((s) => (
          <button key={s.file} type="button" className="sample" title={s.credit} onClick={() => loadSample(s.file, s.label)}>{s.label}</button>
        ))}
      </section>

      <div aria-label="Paintings" className="gallery" role="radiogroup" onKeyDown={onGalleryKey}>
        {manifest?.styles.map((s, i) => (
          <button key={s.id} type="button" role="radio" aria-checked={s.id === styleId} data-style={s.id}
            tabIndex={s.id === styleId || (i === 0 && !manifest.styles.some((t) => t.id === styleId)) ? 0 : -1}
            className={s.id === styleId ? 'style selected' : 'style'} onClick={() => setStyleId(s.id)}>
            {/* the painting itself, with the network's sample in the corner (the whole card on hover or focus) */}
            <span className={s.painting ? 'thumbs' : 'thumbs sample-only'}>
              {s.painting && <img className="painting" src={`${MODELS}${s.painting.path}?v=${s.painting.sha256.slice(0, 16)}`}
                alt="" width={128} height={128} loading="lazy" />}
              <img className="sample" src={`${MODELS}${s.thumbnail.path}?v=${s.thumbnail.sha256.slice(0, 16)}`}
                alt="" width={128} height={128} loading="lazy" />
            </span>
            <span className="title">{s.title}</span>
            <span className="meta">{describe(s)}</span>
          </button>
        ))}
        {manifest?.models.some((m) => m.kind === 'adain-decoder') && (own ? (
          // once there is a picture: a choice like the paintings, and a separate way to change it
          <div className={styleId === OWN ? 'style own selected' : 'style own'} data-style={OWN}>
            <button type="button" role="radio" aria-checked={styleId === OWN} tabIndex={styleId === OWN ? 0 : -1}
              className="own-pick" onClick={() => setStyleId(OWN)} title="Your picture; it stays on this device">
              <img src={own.url} alt="" width={128} height={128} />
              <span className="title">{own.name}</span>
              <span className="meta">your picture</span>
            </button>
            <label className="own-change">Change picture…
              <input type="file" accept="image/*" data-testid="style-file"
                onChange={(e) => { acceptStyle(e.target.files?.[0]); e.target.value = ''; }} />
            </label>
          </div>
        ) : (
          <label className="style own" data-style={OWN} title="Any painting or picture of yours; it stays on this device">
            <span className="plus" aria-hidden="true">+</span>
            <span className="title">Your own style</span>
            <span className="meta">upload a painting</span>
            <input type="file" accept="image/*" data-testid="style-file"
              onChange={(e) => { acceptStyle(e.target.files?.[0]); e.target.value = ''; }} />
          </label>
        ))}
      </div>

      {/* on a phone the settings fold away under this button (elsewhere it is not shown and they are open) */}
      <button type="button" className="settings-toggle" aria-expanded={settingsOpen} aria-controls="settings"
        onClick={() => setSettingsOpen((open) => !open)}>Settings {settingsOpen ? '▴' : '▾'}</button>
      <section id="settings" aria-label="Settings" className={settingsOpen ? 'controls' : 'controls folded'}>
        <label>Strength <input type="range" min={0} max={1} step={0.05} value={strength} onChange={(e) => setStrength(Number(e.target.value))} /> {Math.round(strength * 100)}%</label>
        <label><input type="checkbox" checked={keepColors} onChange={(e) => setKeepColors(e.target.checked)} /> Keep the photo's colours</label>
        {partners.length > 0 && (
          <label>Blend with <select data-testid="blend-with" value={blendWith} onChange={(e) => setBlendWith(e.target.value)}>
            <option value="">nothing</option>
            {partners.map((s) => <option key={s.id} value={s.id}>{s.title}</option>)}
          </select></label>
        )}
        {blendWith && mode === 'photo' && (
          <label>Where <select data-testid="mix-where" value={mixWhere} onChange={(e) => setMixWhere(e.target.value as 'everywhere' | 'region')}>
            <option value="everywhere">everywhere, blended</option>
            <option value="region">only in a region I paint</option>
          </select></label>
        )}
        {blendWith && (mixWhere === 'everywhere' || mode !== 'photo') && (
          <label>Blend <input type="range" data-testid="blend" min={0} max={1} step={0.05} value={blend} onChange={(e) => setBlend(Number(e.target.value))} /> {Math.round(blend * 100)}%</label>
        )}
        {blendWith && mixWhere === 'region' && mode === 'photo' && (
          <span className="hint region" role="group" aria-label="Region for the second style">
            Paint the region on the picture (mouse, pen or finger), or take
            {(['left', 'right', 'top', 'bottom'] as Half[]).map((half) => (
              <button key={half} type="button" data-region={half} disabled={!photo} aria-pressed={preset?.half === half}
                onClick={() => { setPreset({ half, swapped: false }); setRegion((w, h) => halfMask(half, w, h)); }}>{{ left: 'Left half', right: 'Right half', top: 'Top half', bottom: 'Bottom half' }[half]}</button>
            ))}
            <button type="button" data-region="swap" disabled={!photo} title="The second style where the first was, and the other way round"
              onClick={() => { setPreset(preset && { ...preset, swapped: !preset.swapped }); setRegion((_w, _h, painted) => invertMask(painted)); }}>Swap</button>
            <button type="button" onClick={clearMask}>Clear</button>
          </span>
        )}
        {mode === 'photo' && (
          <label>Size <select data-testid="size" value={size} onChange={(e) => setSize(Number(e.target.value))}>
            {SIZES.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </select></label>
        )}
      </section>

      <p role="status" aria-live="polite" className={`status ${status.kind}`} data-testid="status" data-seq={status.seq}>{status.text}</p>

      {mode === 'live' && <Live painter={painter} styleName={styleName} onMessage={onMessage} onError={onLiveError} />}
      {mode === 'video' && <Video painter={painter} styleName={styleName} onMessage={onMessage} />}

      <section aria-label="Result" className="result" hidden={!photo || mode !== 'photo'} aria-busy={!settled}
        data-testid="result" data-settled={settled}>
        <div className="compare" data-testid="compare"
          style={{ ['--split' as string]: `${compare}%`, ['--aspect' as string]: photo ? photo.width / photo.height : 1.5 }}
          onPointerDown={(e) => {
            if (e.target !== e.currentTarget && (e.target as Element).classList.contains('mask')) return; // painting a region
            dividing.current = true; e.currentTarget.setPointerCapture(e.pointerId); setCompare(splitAt(e));
          }}
          onPointerMove={(e) => dividing.current && setCompare(splitAt(e))}
          onPointerUp={() => { dividing.current = false; }} onPointerCancel={() => { dividing.current = false; }}>
          <canvas ref={source} className="before" role="img" aria-label="Your photo" />
          <canvas ref={output} className={hasResult ? 'after' : 'after pending'} data-testid="output" role="img"
            aria-label={hasResult ? 'The painting' : 'The painting (being painted)'} />
          <canvas ref={maskCanvas} className="mask" data-testid="mask" hidden={!(blendWith && mixWhere === 'region')}
            aria-label="Region for the second style: paint on it"
            onPointerDown={(e) => { drawing.current = true; e.currentTarget.setPointerCapture(e.pointerId); brush(e, true); }}
            onPointerMove={(e) => drawing.current && brush(e, false)}
            onPointerUp={() => { drawing.current = false; commitMask(); }}
            onPointerCancel={() => { drawing.current = false; commitMask(); }} />
          <span className="divider" aria-hidden="true" />
        </div>
        <label className="split">Before / after <input type="range" min={0} max={100} value={compare} onChange={(e) => setCompare(Number(e.target.value))} /></label>
        <div className="downloads">
          <button type="button" disabled={!hasResult || squaring} onClick={() => download(false)}>Download PNG</button>
          <button type="button" disabled={!hasResult || squaring} onClick={() => download(true)}
            title={`The centre square at ${SQUARE} px, painted at that size when the painting is smaller`}>Download {SQUARE} × {SQUARE}</button>
          {canShare && <>
            <button type="button" data-testid="share" disabled={!hasResult || squaring} onClick={() => download(false, true)}>Share</button>
            <button type="button" data-testid="share-square" disabled={!hasResult || squaring} onClick={() => download(true, true)}
              title={`The centre square at ${SQUARE} px, for a profile picture`}>Share {SQUARE} × {SQUARE}</button>
          </>}
        </div>
        <p className="credit">Painted on this device: nothing was uploaded to make it.</p>
        {styleId === OWN && own && <p className="credit">Style: your picture “{own.name}”, by the arbitrary-style network (AdaIN).</p>}
        {current && <p className="credit">Style: {current.title}{describe(current) ? ` (${describe(current)})` : ''}; {current.licence}.</p>}
      </section>

      <footer>
        <p>Running on {backend ?? '…'}
          <span data-testid="memory" data-tensors={memory.tensors} data-bytes={memory.bytes}> ({memory.tensors} tensors, {megabytes(memory.bytes)} held)</span>.
          Paintings are public domain; sample photos from scikit-image and matplotlib.</p>
      </footer>
    </main>
  );
}
