import { useCallback, useEffect, useRef, useState } from 'react';
import { isAbort, memoryUse, type Style } from '../engine';
import { Controls, type Settings } from './Controls';
import { describe, Gallery, OWN, type OwnStyle } from './Gallery';
import { Live } from './Live';
import { fitSize, PhotoError, readPhoto } from './photo';
import { halfMask, invertMask, presetMask, type Half, type Preset } from './region';
import type { Region } from './RegionEditor';
import { Result } from './Result';
import { SAMPLES } from './samples';
import { canShareImages, downloadBlob, shareOrDownload } from './share';
import { cutSquare, cutsFromPainting, paintSquare, SQUARE } from './square';
import { inTenths, useStatus, type Status } from './status';
import { useFramePainter } from './useFramePainter';
import { usePainting } from './usePainting';
import { MODELS, useStylizer } from './useStylizer';
import { Video } from './Video';

const BASE = import.meta.env.BASE_URL;

/** `?tile=N` forces the largest pass (tests use it to paint in tiles on any backend). */
function tileParam(): number | undefined {
  return Number(new URLSearchParams(location.search).get('tile')) || undefined;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A small number naming an object (a photo, a region, a picture of one's own) for as long as it lives. */
const objectIds = new WeakMap<object, number>();
let lastObjectId = 0;
function idOf(o: object | null | undefined): number {
  if (!o) return 0;
  if (!objectIds.has(o)) objectIds.set(o, ++lastObjectId);
  return objectIds.get(o)!;
}

/** A picture file drawn on white at most 512 px a side: the form a style picture is kept in. */
async function readStylePicture(file: File): Promise<{ pixels: ImageData; url: string }> {
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
  return { pixels: ctx.getImageData(0, 0, width, height), url: canvas.toDataURL('image/jpeg', 0.8) };
}

export function App() {
  const [status, say] = useStatus();
  const { stylizer, backend, generation } = useStylizer(say);
  const [mode, setMode] = useState<'photo' | 'live' | 'video'>('photo');
  const [styleId, setStyleId] = useState<string | null>(null);
  const [own, setOwn] = useState<OwnStyle | null>(null);
  const [photo, setPhoto] = useState<ImageBitmap | null>(null);
  const [photoName, setPhotoName] = useState('photo');
  const [reading, setReading] = useState(0); // photos being decoded
  const [settings, setSettings] = useState<Settings>({ strength: 1, keepColours: false, blendWith: '', blend: 0.5, mixWhere: 'everywhere', size: 512 });
  const change = useCallback((c: Partial<Settings>) => setSettings((s) => ({ ...s, ...c })), []);
  const [region, setRegion] = useState<Region | null>(null);
  const [preset, setPreset] = useState<Preset | null>(null); // the region is a preset half (else painted)
  const [memory, setMemory] = useState(memoryUse);
  const [canShare] = useState(canShareImages); // the Web Share API takes files here (phones, mostly)
  const before = useRef<HTMLCanvasElement>(null);
  const after = useRef<HTMLCanvasElement>(null);

  useEffect(() => { if (stylizer && styleId === null) setStyleId(stylizer.styles[0]?.id ?? null); }, [stylizer, styleId]);

  const styleOf = (id: string): Style | undefined => (id === OWN ? own?.pixels : id);
  const nameOf = useCallback((s: Style) => (typeof s === 'string' ? stylizer?.styles.find((e) => e.id === s)?.title ?? s : own?.name ?? 'your picture'),
    [stylizer, own]);
  const current = stylizer?.styles.find((s) => s.id === styleId);
  const style = styleId ? styleOf(styleId) : undefined;
  // What the chosen style can be blended with: the gallery's styles it mixes with, and one's own picture.
  const partners = !stylizer || style === undefined ? [] : [
    ...stylizer.styles.filter((s) => stylizer.canBlend(style, s.id)),
    ...(own && styleId !== OWN && stylizer.canBlend(style, own.pixels) ? [{ id: OWN, title: `your picture “${own.name}”` }] : [])];
  // A blend partner that is no longer offered (it became the main style, say) is dropped, not kept hidden.
  const partnerIds = partners.map((s) => s.id).join(' ');
  useEffect(() => {
    if (settings.blendWith && !partnerIds.split(' ').includes(settings.blendWith)) change({ blendWith: '' });
  }, [settings.blendWith, partnerIds, change]);

  const { width, height } = photo ? fitSize(photo.width, photo.height, settings.size) : { width: 0, height: 0 };
  // A new picture size: a preset half is made again at it, a painted region (which no longer fits) is forgotten.
  useEffect(() => {
    if (region && (region.width !== width || region.height !== height)) {
      setRegion(preset ? { mask: presetMask(preset, width, height), width, height } : null);
    }
  }, [width, height, region, preset]);
  const onRegion = (action: Half | 'swap' | 'clear') => {
    if (action === 'clear') {
      setPreset(null);
      setRegion(null);
    } else if (action === 'swap') {
      setPreset(preset && { ...preset, swapped: !preset.swapped });
      setRegion({ mask: invertMask(region?.mask ?? new Float32Array(width * height)), width, height });
    } else {
      setPreset({ half: action, swapped: false });
      setRegion({ mask: halfMask(action, width, height), width, height });
    }
  };

  const blendWith = settings.blendWith ? styleOf(settings.blendWith) : undefined;
  const inRegion = settings.mixWhere === 'region' && blendWith !== undefined;
  const regionFits = !region || (region.width === width && region.height === height);
  const frame = { style: style!, blendWith, blend: settings.blend, strength: settings.strength, keepColours: settings.keepColours };
  const key = [idOf(photo), styleId, settings.strength, settings.keepColours, settings.size, settings.blendWith, settings.blend,
    settings.mixWhere, idOf(region), idOf(own)].join(' ');
  const photoSettings = mode !== 'photo' || style === undefined || !regionFits ? null
    : { ...frame, region: inRegion ? region?.mask : undefined, tile: tileParam() };
  const refreshMemory = useCallback(() => setMemory(memoryUse()), []);
  const { hasResult, inFlight, startedFor, track } = usePainting({ stylizer, photo, width, height, settings: photoSettings, key,
    before, after, nameOf, say, onEnded: refreshMemory });
  const settled = reading === 0 && inFlight === 0 && (!photo || mode !== 'photo' || startedFor === key);
  const { painter, onFrameError } = useFramePainter(stylizer, generation, mode !== 'photo' && style !== undefined ? frame : null, say);

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
    } catch (error) {
      if (ticket === photoTicket.current) {
        say({ kind: 'error', text: error instanceof PhotoError ? error.message : `Could not read that file: ${(error as Error).message}` });
      }
    } finally {
      setReading((n) => n - 1);
    }
  }, [say]);

  const loadSample = async (file: string, label: string) => {
    let response: Response;
    try {
      response = await fetch(`${BASE}samples/${file}`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      const offline = navigator.onLine === false ? ' You seem to be offline: samples are downloaded when first used.' : '';
      say({ kind: 'error', text: `The sample “${label}” could not be loaded (${(error as Error).message}).${offline}` });
      return;
    }
    await acceptFile(await response.blob(), file);
  };

  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const item = Array.from(e.clipboardData?.items ?? []).find((i) => i.kind === 'file');
      if (item) acceptFile(item.getAsFile());
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, [acceptFile]);

  const acceptStyle = async (file: File | undefined) => {
    if (!file || !stylizer) return;
    try {
      const { pixels, url } = await readStylePicture(file);
      say({ kind: 'busy', text: 'Reading your painting…' });
      await stylizer.prepare(pixels);
      setOwn({ name: file.name.replace(/\.[^.]+$/, ''), url, pixels });
      setStyleId(OWN);
      if (mode !== 'photo') say({ kind: 'done', text: `Style: your picture “${file.name}”.` });
      else if (!photo) say({ kind: 'idle', text: 'Now choose a photo.' });
    } catch (error) {
      say({ kind: 'error', text: error instanceof PhotoError ? error.message : `Could not use that style: ${(error as Error).message}` });
    }
  };

  // A square being painted for download is of the settings it was asked with: anything newer stops it.
  const squareRun = useRef<AbortController | null>(null);
  useEffect(() => () => squareRun.current?.abort(), [key, mode]);
  const [squaring, setSquaring] = useState(false);
  const save = (square: boolean, share: boolean) => {
    const out = after.current;
    if (!out) return;
    const name = `${photoName}-${styleId}${square ? `-${SQUARE}` : ''}.png`;
    const deliver = (canvas: HTMLCanvasElement) => canvas.toBlob(async (blob) => {
      if (!blob) return;
      if (!share) return downloadBlob(blob, name);
      if (await shareOrDownload(blob, name) === 'downloaded') say({ kind: 'done', text: `Sharing did not work here, so ${name} was downloaded instead.` });
    }, 'image/png');
    if (!square) return deliver(out);
    if (cutsFromPainting(out.width, out.height) || !photo || !stylizer || !photoSettings) return deliver(cutSquare(out));
    const controller = new AbortController();
    squareRun.current = controller;
    const { signal } = controller;
    const tell = (s: Status) => !signal.aborted && say(s);
    const saying = `Painting the ${SQUARE} × ${SQUARE} square`;
    const tenths = inTenths((percent) => tell({ kind: 'busy', text: `${saying}… ${percent}%` }));
    const started = performance.now();
    setSquaring(true);
    tell({ kind: 'busy', text: `${saying}…` });
    track(async () => {
      try {
        const canvas = await paintSquare(stylizer, photo, {
          ...photoSettings, signal, onProgress: (done, total) => total > 1 && tenths(done, total),
          onGpuReset: () => tell({ kind: 'busy', text: 'The GPU was reset while painting the square; starting again…' }),
        }, photoSettings.region && region ? region : undefined);
        if (signal.aborted) return;
        deliver(canvas);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        tell({ kind: 'done', text: `Done: the ${SQUARE} × ${SQUARE} square, painted in ${seconds} s on ${stylizer.backend}.` });
      } catch (error) {
        if (!isAbort(error) && !signal.aborted) tell({ kind: 'error', text: `The ${SQUARE} × ${SQUARE} square could not be painted: ${(error as Error).message}` });
      } finally {
        if (squareRun.current === controller) squareRun.current = null;
        setSquaring(false);
        refreshMemory();
      }
    });
  };

  const styleName = style === undefined ? '' : nameOf(style);
  const onMessage = useCallback((kind: Status['kind'], text: string) => say({ kind, text }), [say]);
  const credit = styleId === OWN && own ? `Style: your picture “${own.name}”, by the arbitrary-style network (AdaIN).`
    : current ? `Style: ${current.title}${describe(current) ? ` (${describe(current)})` : ''}; ${current.licence}.` : '';

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

      <Gallery styles={stylizer?.styles ?? []} base={MODELS} selected={styleId} own={own} ownAllowed={stylizer?.arbitrary ?? false}
        onSelect={setStyleId} onOwnFile={acceptStyle} />
      <Controls settings={settings} onChange={change} partners={partners} photoMode={mode === 'photo'} hasPhoto={!!photo}
        preset={preset} onRegion={onRegion} />

      <p role="status" aria-live="polite" className={`status ${status.kind}`} data-testid="status" data-seq={status.seq}>{status.text}</p>

      {mode === 'live' && <Live painter={painter} styleName={styleName} onMessage={onMessage} onError={onFrameError} />}
      {mode === 'video' && <Video painter={painter} styleName={styleName} onMessage={onMessage} />}

      <Result hidden={!photo || mode !== 'photo'} settled={settled} hasResult={hasResult} squaring={squaring}
        aspect={photo ? photo.width / photo.height : 1.5} before={before} after={after} width={width} height={height}
        region={region} editingRegion={inRegion} onPaintRegion={(r) => { setPreset(null); setRegion(r); }}
        canShare={canShare} onSave={save} credit={credit} />

      <footer>
        <p>Running on {backend ?? '…'}
          <span data-testid="memory" data-tensors={memory.tensors} data-bytes={memory.bytes}> ({memory.tensors} tensors, {megabytes(memory.bytes)} held)</span>.
          Paintings are public domain; sample photos from scikit-image and matplotlib.</p>
      </footer>
    </main>
  );
}
