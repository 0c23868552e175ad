import { useRef, useState } from 'react';
import { RegionEditor, type Region } from './RegionEditor';
import { SQUARE } from './square';

interface Props {
  hidden: boolean;
  /** The painting is what the settings ask for, and nothing is in flight (aria-busy; tests wait on it). */
  settled: boolean;
  hasResult: boolean;
  /** The download square is being painted. */
  squaring: boolean;
  /** width / height of the picture, for the space it takes before it is drawn. */
  aspect: number;
  before: React.RefObject<HTMLCanvasElement | null>;
  after: React.RefObject<HTMLCanvasElement | null>;
  /** The picture's size, the region on it, and whether it is being edited. */
  width: number;
  height: number;
  region: Region | null;
  editingRegion: boolean;
  onPaintRegion: (region: Region) => void;
  /** The Web Share API takes files here. */
  canShare: boolean;
  onSave: (square: boolean, share: boolean) => void;
  /** A line on the style and its licence. */
  credit: string;
}

/** Where a pointer is across the before/after picture, in percent of its width (0-100). */
function splitAt(e: { clientX: number; currentTarget: Element }): number {
  const box = e.currentTarget.getBoundingClientRect();
  return Math.round(Math.min(100, Math.max(0, (100 * (e.clientX - box.left)) / Math.max(1, box.width))));
}

/** The photo and its painting under a before/after divider dragged on the picture, and what to do with it. */
export function Result(p: Props) {
  const [compare, setCompare] = useState(50);
  const dividing = useRef(false);
  const off = !p.hasResult || p.squaring;
  return (
    <section aria-label="Result" className="result" hidden={p.hidden} aria-busy={!p.settled}
      data-testid="result" data-settled={p.settled}>
      <div className="compare" data-testid="compare" style={{ ['--split' as string]: `${compare}%`, ['--aspect' as string]: p.aspect }}
        onPointerDown={(e) => {
          if (e.target !== e.currentTarget && (e.target as Element).classList.contains('mask')) return; // painting a region
          dividing.current = true;
          e.currentTarget.setPointerCapture(e.pointerId);
          setCompare(splitAt(e));
        }}
        onPointerMove={(e) => dividing.current && setCompare(splitAt(e))}
        onPointerUp={() => { dividing.current = false; }} onPointerCancel={() => { dividing.current = false; }}>
        <canvas ref={p.before} className="before" role="img" aria-label="Your photo" />
        <canvas ref={p.after} className={p.hasResult ? 'after' : 'after pending'} data-testid="output" role="img"
          aria-label={p.hasResult ? 'The painting' : 'The painting (being painted)'} />
        <RegionEditor width={p.width} height={p.height} region={p.region} hidden={!p.editingRegion} onPaint={p.onPaintRegion} />
        <span className="divider" aria-hidden="true" />
      </div>
      <label className="split">Before / after <input type="range" min={0} max={100} value={compare} onChange={(e) => setCompare(Number(e.target.value))} /></label>
      <div className="downloads">
        <button type="button" disabled={off} onClick={() => p.onSave(false, false)}>Download PNG</button>
        <button type="button" disabled={off} onClick={() => p.onSave(true, false)}
          title={`The centre square at ${SQUARE} px, painted at that size when the painting is smaller`}>Download {SQUARE} × {SQUARE}</button>
        {p.canShare && <>
          <button type="button" data-testid="share" disabled={off} onClick={() => p.onSave(false, true)}>Share</button>
          <button type="button" data-testid="share-square" disabled={off} onClick={() => p.onSave(true, true)}
            title={`The centre square at ${SQUARE} px, for a profile picture`}>Share {SQUARE} × {SQUARE}</button>
        </>}
      </div>
      <p className="credit">Painted on this device: nothing was uploaded to make it.</p>
      {p.credit && <p className="credit">{p.credit}</p>}
    </section>
  );
}
