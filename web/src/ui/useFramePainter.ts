/**
 * The frame painter for live and video modes, kept current: whenever the settings change (or the
 * backend was rebuilt) a new one is made, and frames painted meanwhile use the last. A frame that
 * fails because the GPU was lost starts a recovery; the loop, which never stops, then paints again.
 */
import { useCallback, useEffect, useRef } from 'react';
import type { FrameOptions, FramePainter, Stylizer } from '../engine';
import type { Say } from './status';

export function useFramePainter(stylizer: Stylizer | null, generation: number, settings: FrameOptions | null, say: Say) {
  const painter = useRef<FramePainter | null>(null);
  const lastError = useRef(''); // said once, not for every frame that fails the same way
  const recovering = useRef(false);
  const { style, blendWith, blend, strength, keepColours } = settings ?? {};

  useEffect(() => {
    if (!stylizer || style === undefined) return;
    let stale = false;
    stylizer.framePainter({ style, blendWith, blend, strength, keepColours }).then((made) => {
      if (stale) return;
      lastError.current = ''; // a new painter: its failures are news
      painter.current = made;
    }, (error) => say({ kind: 'error', text: (error as Error).message }));
    return () => { stale = true; };
  }, [stylizer, generation, style, blendWith, blend, strength, keepColours, say]);

  const onFrameError = useCallback((error: unknown) => {
    if (!stylizer?.isGpuLoss(error)) {
      const text = `A frame could not be painted: ${(error as Error).message}`;
      if (lastError.current !== text) say({ kind: 'error', text });
      lastError.current = text;
      return;
    }
    lastError.current = '';
    if (recovering.current) return; // already on it (every frame fails until it is done)
    recovering.current = true;
    painter.current = null;
    say({ kind: 'busy', text: 'The GPU was reset; starting it again…' });
    const cause = stylizer.lastGpuLoss;
    stylizer.recover().then((name) => say({ kind: 'done', text: `The GPU was reset (${cause}); live painting recovered on ${name}.` }),
      (e) => say({ kind: 'error', text: `The GPU was reset and could not be started again: ${(e as Error).message}` }))
      .finally(() => { recovering.current = false; });
  }, [stylizer, say]);

  return { painter, onFrameError };
}
