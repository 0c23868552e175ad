import { useCallback, useEffect, useRef, useState } from 'react';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import {
  adainTensor, ContextLostError, currentBackend, initBackend, isContextLost, loadManifest, loadModel, memoryUse, paintTensor,
  recoverBackend, styleStatistics, stylize, stylizeAdain, styleVector, type AdainModels, type BackendName, type BackendOptions,
  type FramePainter, type Manifest, type RGBAImage, type StyleEntry, type StyleModel, type StyleStatistics,
} from '../engine';
import { Live } from './Live';
import { Video } from './Video';
import { fitSize, PhotoError, readPhoto } from './photo';
import { SAMPLES } from './samples';

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

function backendOptions(): BackendOptions {
  const params = new URLSearchParams(location.search);
  return {
    prefer: params.get('backend') as BackendName | null,
    exclude: params.get('nowebgl') !== null ? ['webgl'] : [],
    wasmPaths: {
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    },
  };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

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
  const [status, setStatusRaw] = useState<Status>({ kind: 'busy', text: 'Starting…', seq: 0 });
  const statusSeq = useRef(0);
  // Every message gets a sequence number (data-seq), so tests and assistive tech see each new one.
  const setStatus = useCallback((s: Status) => setStatusRaw({ ...s, seq: ++statusSeq.current }), []);
  const [hasResult, setHasResult] = useState(false);
  const [own, setOwn] = useState<OwnStyle | null>(null);
  const [blendWith, setBlendWith] = useState('');
  const [blend, setBlend] = useState(0.5);
  const [memory, setMemory] = useState(memoryUse);
  const [mode, setMode] = useState<'photo' | 'live' | 'video'>('photo');
  const painter = useRef<FramePainter | null>(null);
  const models = useRef(new Map<string, Promise<StyleModel>>());
  const source = useRef<HTMLCanvasElement>(null);
  const output = useRef<HTMLCanvasElement>(null);
  const run = useRef(0);

  useEffect(() => {
    (async () => {
      try {
        const name = await initBackend(backendOptions());
        setBackend(name);
        const m = await loadManifest(`${MODELS}manifest.json`);
        setManifest(m);
        setStyleId(m.styles[0]?.id ?? null);
        setStatus({ kind: 'idle', text: 'Choose a photo (or a sample) and a painting.' });
      } catch (error) {
        setStatus({ kind: 'error', text: (error as Error).message });
      }
    })();
  }, []);

  const getModel = useCallback((id: string) => {
    if (!manifest) throw new Error('the model list is not loaded yet');
    let p = models.current.get(id);
    if (!p) {
      p = loadModel(MODELS, manifest, id, (loaded, total) =>
        setStatus({ kind: 'busy', text: `Downloading the style network… ${Math.round((100 * loaded) / total)}%` }));
      p.catch(() => models.current.delete(id));
      models.current.set(id, p);
    }
    return p;
  }, [manifest]);

  // After a WebGL context loss: a new backend (WebGL on a new context, else WASM), and every model
  // built again on it from the bytes already downloaded and verified.
  const recovering = useRef<Promise<string> | null>(null);
  const recover = useCallback((): Promise<string> => {
    recovering.current ??= rebuildAll().finally(() => { recovering.current = null; });
    return recovering.current;
  }, []);
  const rebuildAll = async (): Promise<string> => {
    const name = await recoverBackend(backendOptions());
    const rebuilt = new Map<string, Promise<StyleModel>>();
    for (const [id, p] of models.current) {
      rebuilt.set(id, p.then(async (old) => {
        const fresh = await old.rebuild();
        old.dispose();
        return fresh;
      }));
    }
    models.current = rebuilt;
    setBackend(name);
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

  const acceptFile = useCallback(async (file: File | Blob | null | undefined, name = 'photo') => {
    if (!file) return;
    try {
      const bitmap = await readPhoto(file as File);
      setPhoto((old) => {
        old?.close();
        return bitmap;
      });
      setPhotoName(((file as File).name || name).replace(/\.[^.]+$/, ''));
      setHasResult(false);
    } catch (error) {
      setStatus({ kind: 'error', text: error instanceof PhotoError ? error.message : `Could not read that file: ${(error as Error).message}` });
    }
  }, []);

  const loadSample = useCallback(async (file: string) => {
    const response = await fetch(`${BASE}samples/${file}`);
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

  // Render whenever the photo, style or settings change.
  useEffect(() => {
    if (mode !== 'photo' || !photo || !manifest || !styleId || !source.current || !output.current) return;
    if (styleId === OWN && !own) return;
    const ticket = ++run.current;
    const style = manifest.styles.find((s) => s.id === styleId);
    const { width, height } = fitSize(photo.width, photo.height, size);
    const src = source.current;
    src.width = width;
    src.height = height;
    const ctx = src.getContext('2d', { willReadFrequently: true })!;
    ctx.fillStyle = '#fff'; // transparent pixels are painted as on white paper (as the command line does)
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(photo, 0, 0, width, height);
    const pixels = ctx.getImageData(0, 0, width, height);
    const paint = async (): Promise<{ result: RGBAImage; note: string } | null> => {
      let note = '';
      if (style) {
        const model = await getModel(style.model);
        if (ticket !== run.current) return null;
        setStatus({ kind: 'busy', text: `Painting in the style of ${style.title}…` });
        const tile = Number(new URLSearchParams(location.search).get('tile')) || undefined;
        const partner = manifest.styles.find((s) => s.id === blendWith && s.model === style.model && s.id !== style.id);
        // Blending two paintings mixes their normalisation parameters (Dumoulin et al. 2017).
        const vector = partner ? styleVector(manifest, style.id, { [style.id]: 1 - blend, [partner.id]: blend })
          : styleVector(manifest, style.id);
        const result = await stylize(model, pixels, vector, {
          strength, preserveColor: keepColors, tile,
          onProgress: (done, total) => total > 1 && ticket === run.current
            && setStatus({ kind: 'busy', text: `Painting… tile ${Math.min(done + 1, total)} of ${total}` }),
          onRetry: (_, smaller) => {
            note = ` This device could not take larger passes, so it was painted in tiles of ${smaller} px.`;
            if (ticket === run.current) setStatus({ kind: 'busy', text: `Too big for this device's GPU in one pass: painting in tiles of ${smaller} px…` });
          },
        });
        return { result, note };
      }
      const models = await getAdain();
      if (ticket !== run.current) return null;
      setStatus({ kind: 'busy', text: `Painting in the style of ${own!.name}…` });
      return { result: await stylizeAdain(models, pixels, own!.statistics, { alpha: strength, preserveColor: keepColors }), note };
    };
    (async () => {
      const started = performance.now();
      try {
        let painted;
        let recovered = '';
        try {
          painted = await paint();
        } catch (error) {
          if (!(error instanceof ContextLostError || isContextLost())) throw error;
          // The GPU was taken away mid-run (driver reset, memory, another tab): rebuild and retry once.
          setStatus({ kind: 'busy', text: 'The GPU was reset while painting; starting again…' });
          const name = await recover();
          recovered = ` The GPU was reset during painting (WebGL context lost); recovered on ${name}.`;
          painted = await paint();
        }
        if (!painted || ticket !== run.current) return;
        const { result, note } = painted;
        const out = output.current!;
        out.width = width;
        out.height = height;
        out.getContext('2d')!.putImageData(new ImageData(result.data as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
        setHasResult(true);
        setMemory(memoryUse());
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        setStatus({ kind: 'done', text: `Done: ${width} × ${height} in ${seconds} s on ${currentBackend()}.${note}${recovered}` });
      } catch (error) {
        setMemory(memoryUse());
        if (ticket === run.current) setStatus({ kind: 'error', text: (error as Error).message });
      }
    })();
  }, [photo, manifest, styleId, strength, keepColors, size, blendWith, blend, getModel, getAdain, own, recover, mode]);

  // Live and video modes paint frames with whatever the settings say now: one painter, kept current.
  useEffect(() => {
    if (mode === 'photo' || !manifest || !styleId) return;
    let stale = false;
    (async () => {
      try {
        const style = manifest.styles.find((s) => s.id === styleId);
        if (style) {
          const model = await getModel(style.model);
          const partner = manifest.styles.find((s) => s.id === blendWith && s.model === style.model && s.id !== style.id);
          const vector = partner ? styleVector(manifest, style.id, { [style.id]: 1 - blend, [partner.id]: blend })
            : styleVector(manifest, style.id);
          if (!stale) painter.current = (x) => paintTensor(model, x, vector, { strength, preserveColor: keepColors });
        } else if (styleId === OWN && own) {
          const models = await getAdain();
          if (!stale) painter.current = (x) => adainTensor(models, x, own.statistics, { alpha: strength, preserveColor: keepColors });
        }
      } catch (error) {
        setStatus({ kind: 'error', text: (error as Error).message });
      }
    })();
    return () => { stale = true; };
  }, [mode, manifest, styleId, strength, keepColors, blendWith, blend, own, getModel, getAdain]);
  const styleName = styleId === OWN ? own?.name ?? 'your picture' : manifest?.styles.find((s) => s.id === styleId)?.title ?? '';
  const onMessage = useCallback((kind: Status['kind'], text: string) => setStatus({ kind, text }), [setStatus]);

  const download = useCallback((square: boolean) => {
    const out = output.current;
    if (!out) return;
    let canvas = out;
    if (square) {
      canvas = document.createElement('canvas');
      canvas.width = canvas.height = 1080;
      const side = Math.min(out.width, out.height);
      canvas.getContext('2d')!.drawImage(out, (out.width - side) / 2, (out.height - side) / 2, side, side, 0, 0, 1080, 1080);
    }
    canvas.toBlob((blob) => {
      if (!blob) return;
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `${photoName}-${styleId}${square ? '-1080' : ''}.png`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    }, 'image/png');
  }, [photoName, styleId]);

  const current = manifest?.styles.find((s) => s.id === styleId);
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
          <button key={s.file} type="button" className="sample" title={s.credit} onClick={() => loadSample(s.file)}>{s.label}</button>
        ))}
      </section>

      <section aria-label="Paintings" className="gallery" role="radiogroup">
        {manifest?.styles.map((s) => (
          <button key={s.id} type="button" role="radio" aria-checked={s.id === styleId} data-style={s.id}
            className={s.id === styleId ? 'style selected' : 'style'} onClick={() => setStyleId(s.id)}>
            <img src={`${MODELS}${s.thumbnail.path}?v=${s.thumbnail.sha256.slice(0, 16)}`} alt="" width={128} height={128} loading="lazy" />
            <span className="title">{s.title}</span>
            <span className="meta">{describe(s)}</span>
          </button>
        ))}
        {manifest?.models.some((m) => m.kind === 'adain-decoder') && (
          <label className={styleId === OWN ? 'style own selected' : 'style own'} data-style={OWN}
            title="Any painting or picture of yours; it stays on this device">
            {own ? <img src={own.url} alt="" width={128} height={128} /> : <span className="plus" aria-hidden="true">+</span>}
            <span className="title">{own ? own.name : 'Your own style'}</span>
            <span className="meta">{own ? 'your picture' : 'upload a painting'}</span>
            <input type="file" accept="image/*" data-testid="style-file"
              onChange={(e) => { acceptStyle(e.target.files?.[0]); e.target.value = ''; }}
              onClick={() => own && setStyleId(OWN)} />
          </label>
        )}
      </section>

      <section aria-label="Settings" className="controls">
        <label>Strength <input type="range" min={0} max={1} step={0.05} value={strength} onChange={(e) => setStrength(Number(e.target.value))} /> {Math.round(strength * 100)}%</label>
        <label><input type="checkbox" checked={keepColors} onChange={(e) => setKeepColors(e.target.checked)} /> Keep the photo's colours</label>
        {current && (
          <label>Blend with <select data-testid="blend-with" value={blendWith} onChange={(e) => setBlendWith(e.target.value)}>
            <option value="">nothing</option>
            {manifest!.styles.filter((s) => s.model === current.model && s.id !== current.id).map((s) => <option key={s.id} value={s.id}>{s.title}</option>)}
          </select></label>
        )}
        {current && blendWith && blendWith !== current.id && (
          <label>Blend <input type="range" data-testid="blend" min={0} max={1} step={0.05} value={blend} onChange={(e) => setBlend(Number(e.target.value))} /> {Math.round(blend * 100)}%</label>
        )}
        <label>Size <select data-testid="size" value={size} onChange={(e) => setSize(Number(e.target.value))}>
          {SIZES.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
        </select></label>
      </section>

      <p role="status" aria-live="polite" className={`status ${status.kind}`} data-testid="status" data-seq={status.seq}>{status.text}</p>

      {mode === 'live' && <Live painter={painter} styleName={styleName} onMessage={onMessage} />}
      {mode === 'video' && <Video painter={painter} styleName={styleName} onMessage={onMessage} />}

      <section aria-label="Result" className="result" hidden={!photo || mode !== 'photo'}>
        <div className="compare" style={{ ['--split' as string]: `${compare}%` }}>
          <canvas ref={source} className="before" aria-label="Your photo" />
          <canvas ref={output} className="after" data-testid="output" aria-label="The painting" />
        </div>
        <label className="split">Before / after <input type="range" min={0} max={100} value={compare} onChange={(e) => setCompare(Number(e.target.value))} /></label>
        <div className="downloads">
          <button type="button" disabled={!hasResult} onClick={() => download(false)}>Download PNG</button>
          <button type="button" disabled={!hasResult} onClick={() => download(true)}>Download 1080 × 1080</button>
        </div>
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
