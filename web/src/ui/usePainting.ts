/**
 * Painting the photo as the settings ask, again whenever they change: the photo drawn on the
 * `before` canvas at the chosen size, its painting on the `after` one. A newer request stops the one
 * in flight between two passes; the last to start is the one shown.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { FrameOptions, Style, Stylizer } from '../engine';
import { inTenths, type Say } from './status';

export interface PhotoSettings extends FrameOptions {
  /** Where `blendWith` paints instead of `style` (width x height values), or none: blended everywhere. */
  region?: Float32Array;
  /** Largest pass, when forced (`?tile=N`: tests paint in tiles on any backend). */
  tile?: number;
}

export interface PaintingRequest {
  stylizer: Stylizer | null;
  photo: ImageBitmap | null;
  /** The size to paint at; the photo is scaled to it. */
  width: number;
  height: number;
  /** null: nothing to paint (another mode, no style, or settings still being made consistent). */
  settings: PhotoSettings | null;
  /** Names all of the above: a request is new when its key is. */
  key: string;
  before: React.RefObject<HTMLCanvasElement | null>;
  after: React.RefObject<HTMLCanvasElement | null>;
  nameOf: (style: Style) => string;
  say: Say;
  /** After each painting that ended, shown or not. */
  onEnded?: () => void;
}

export function usePainting(r: PaintingRequest) {
  const [hasResult, setHasResult] = useState(false);
  const [inFlight, setInFlight] = useState(0); // paintings started, until they stop (at a pass boundary)
  const [startedFor, setStartedFor] = useState('');
  const run = useRef(0);
  const latest = useRef(r);
  latest.current = r;

  /** Counts `work` as a painting in flight (the download square paints too) until it settles. */
  const track = useCallback(<T>(work: () => Promise<T>): Promise<T> => {
    setInFlight((n) => n + 1);
    return work().finally(() => setInFlight((n) => n - 1));
  }, []);

  const { stylizer, photo, width, height, settings, key } = r;
  useEffect(() => {
    const { before, after, nameOf, say, onEnded } = latest.current;
    if (!stylizer || !photo || !settings || !before.current || !after.current) return;
    const ticket = ++run.current;
    const controller = new AbortController();
    const { signal } = controller;
    const src = before.current;
    src.width = width;
    src.height = height;
    const ctx = src.getContext('2d', { willReadFrequently: true })!;
    ctx.fillStyle = '#fff'; // transparent pixels are painted as on white paper (as the command line does)
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(photo, 0, 0, width, height);
    const pixels = ctx.getImageData(0, 0, width, height);
    // Until the new painting lands, the old one is not offered for download (it may be of another
    // style or photo); a painting of another size is cleared rather than stretched over the photo.
    setHasResult(false);
    const out = after.current;
    if (out.width !== width || out.height !== height) {
      out.width = width;
      out.height = height;
    }
    setStartedFor(key);
    track(async () => {
      // A slider being dragged asks for a painting per step: wait for it to rest a moment.
      await new Promise((resolve) => setTimeout(resolve, 80));
      if (signal.aborted) return;
      const started = performance.now();
      const current = () => ticket === run.current;
      let note = '';
      let reset = '';
      const tenths = inTenths((percent) => say({ kind: 'busy', text: `Painting in tiles… ${percent}%` }));
      try {
        const result = await stylizer.paint(pixels, {
          ...settings, signal,
          onStyle: (style) => current() && say({ kind: 'busy', text: `Painting in the style of ${nameOf(style)}…` }),
          onProgress: (done, total) => total > 1 && current() && tenths(done, total),
          onRetry: (_, smaller) => {
            note = ` This device could not take larger passes, so it was painted in tiles of ${smaller} px.`;
            if (current()) say({ kind: 'busy', text: `Too big for this device's GPU in one pass: painting in tiles of ${smaller} px…` });
          },
          onGpuReset: (cause) => {
            reset = cause;
            say({ kind: 'busy', text: 'The GPU was reset while painting; starting again…' });
          },
        });
        if (!current()) return;
        out.width = width;
        out.height = height;
        out.getContext('2d')!.putImageData(new ImageData(result.data as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
        setHasResult(true);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const recovered = reset ? ` The GPU was reset during painting (${reset}); recovered on ${stylizer.backend}.` : '';
        say({ kind: 'done', text: `Done: ${width} × ${height} in ${seconds} s on ${stylizer.backend}.${note}${recovered}` });
      } catch (error) {
        if (current() && !signal.aborted) say({ kind: 'error', text: (error as Error).message });
      } finally {
        onEnded?.();
      }
    });
    return () => controller.abort();
    // the key names the settings, photo and size: the effect runs when it changes
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stylizer, key, settings === null]);

  return { hasResult, inFlight, startedFor, track };
}
