import { useEffect, useRef } from 'react';
import { maskFromPixels, maskPixels } from './region';

/** A region of a width x height picture: one value in [0, 1] per pixel. */
export interface Region {
  mask: Float32Array;
  width: number;
  height: number;
}

interface Props {
  width: number;
  height: number;
  region: Region | null;
  hidden: boolean;
  /** A stroke ended: the region as painted now. */
  onPaint: (region: Region) => void;
}

/**
 * The region for the second style, shown over the picture in the brush's colour and painted on with
 * a mouse, pen or finger (Huang & Belongie 2017, Fig. 8). What it shows follows `region`.
 */
export function RegionEditor({ width, height, region, hidden, onPaint }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const last = useRef<{ x: number; y: number } | null>(null);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    if (c.width !== width || c.height !== height) {
      c.width = width;
      c.height = height;
    }
    const ctx = c.getContext('2d', { willReadFrequently: true })!;
    if (region && region.width === width && region.height === height) {
      ctx.putImageData(new ImageData(maskPixels(region.mask) as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
    } else {
      ctx.clearRect(0, 0, width, height);
    }
  }, [width, height, region]);

  const brush = (e: React.PointerEvent<HTMLCanvasElement>, start: boolean) => {
    const c = e.currentTarget;
    const rect = c.getBoundingClientRect();
    const x = ((e.clientX - rect.left) * c.width) / rect.width;
    const y = ((e.clientY - rect.top) * c.height) / rect.height;
    const ctx = c.getContext('2d', { willReadFrequently: true })!;
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
  const commit = () => {
    const c = canvas.current;
    drawing.current = false;
    last.current = null;
    if (!c || !c.width) return;
    onPaint({ mask: maskFromPixels(c.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, c.width, c.height).data), width: c.width, height: c.height });
  };

  return (
    <canvas ref={canvas} className="mask" data-testid="mask" hidden={hidden} aria-label="Region for the second style: paint on it"
      onPointerDown={(e) => { drawing.current = true; e.currentTarget.setPointerCapture(e.pointerId); brush(e, true); }}
      onPointerMove={(e) => drawing.current && brush(e, false)}
      onPointerUp={commit} onPointerCancel={commit} />
  );
}
