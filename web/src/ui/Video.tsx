import { useEffect, useRef, useState } from 'react';
import { stylizeVideo, VideoError, type FramePainter, type VideoResult } from '../engine';

interface Props {
  painter: React.MutableRefObject<FramePainter | null>;
  styleName: string;
  onMessage: (kind: 'busy' | 'error' | 'done' | 'idle', text: string) => void;
}

const SIDES = [240, 360, 480, 720];

/** Video files: pick a clip, paint every frame, play and save the WebM. */
export function Video({ painter, styleName, onMessage }: Props) {
  const [file, setFile] = useState<File | null>(null);
  const [side, setSide] = useState(360);
  const [steady, setSteady] = useState(true);
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<(VideoResult & { url: string; name: string }) | null>(null);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => () => { abort.current?.abort(); }, []);
  useEffect(() => () => { if (result) URL.revokeObjectURL(result.url); }, [result]);

  const paint = async () => {
    if (!file) return;
    const controller = new AbortController();
    abort.current = controller;
    setResult(null);
    setProgress(0);
    onMessage('busy', `Painting “${file.name}” in the style of ${styleName}…`);
    const started = performance.now();
    try {
      const r = await stylizeVideo(file, () => painter.current, {
        maxSide: side, signal: controller.signal, steady,
        onProgress: (fraction, frames) => {
          setProgress(fraction);
          onMessage('busy', `Painting the video… ${Math.round(100 * fraction)}% (${frames} frames)`);
        },
      });
      const name = `${file.name.replace(/\.[^.]+$/, '')}-${styleName.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.webm`;
      setResult({ ...r, url: URL.createObjectURL(r.blob), name });
      const sound = r.audio ? ', with its sound' : r.audioDropped ? ` (its sound could not be kept: ${r.audioDropped})` : '';
      onMessage('done', `Done: ${r.frames} frames at ${r.width} × ${r.height}${sound} in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    } catch (error) {
      onMessage('error', error instanceof VideoError ? `“${file.name}” ${error.message}.` : `The video could not be painted: ${(error as Error).message}`);
    } finally {
      setProgress(null);
      abort.current = null;
    }
  };

  return (
    <section aria-label="Video file" className="video">
      <label className="button">
        Choose a video
        <input type="file" accept="video/*" data-testid="video-file" disabled={progress !== null} onChange={(e) => { setFile(e.target.files?.[0] ?? null); setResult(null); e.target.value = ''; }} />
      </label>
      <span className="hint">{file ? file.name : 'a short clip (up to 2 minutes); it stays on this device'}</span>
      <label>Size <select data-testid="video-size" value={side} disabled={progress !== null} onChange={(e) => setSide(Number(e.target.value))}>
        {SIDES.map((s) => <option key={s} value={s}>{s} px</option>)}
      </select></label>
      <label><input type="checkbox" data-testid="video-steady" checked={steady} disabled={progress !== null} onChange={(e) => setSteady(e.target.checked)} /> Reduce flicker</label>
      <button type="button" data-testid="video-paint" disabled={!file || progress !== null} onClick={paint}>Paint the video</button>
      {progress !== null && (
        <>
          <progress max={1} value={progress} />
          <button type="button" data-testid="video-cancel" onClick={() => abort.current?.abort()}>Cancel</button>
        </>
      )}
      {result && (
        <div className="video-result">
          <video src={result.url} controls loop data-testid="video-result" />
          <a href={result.url} download={result.name} className="button" data-testid="video-download">Download WebM</a>
        </div>
      )}
    </section>
  );
}
