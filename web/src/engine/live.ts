/**
 * The live loop: paint a playing video (a camera) frame after frame, as fast as the device allows.
 *
 * - One frame in flight at a time. A camera frame that arrives while the previous one is still
 *   being painted is dropped, never queued, so latency stays one frame's work.
 * - Per frame, everything is inside tf.tidy except the output, which is disposed as soon as it is
 *   drawn: no tensor outlives its frame. The only read from the GPU is the asynchronous one inside
 *   tf.browser.toPixels, so the page never blocks on the GPU.
 * - Adaptive resolution: the processing size (longer side) shrinks when frames take longer than the
 *   target frame time and grows when there is headroom, between minSide and maxSide.
 * - It pauses while the tab is hidden and stops cleanly (stop() waits for the frame in flight).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ContextLostError, isContextLost, whenContextLost } from './backend';
import { fitSize } from './tiles';

/** Paints one frame [1, h, w, 3] in 0-255 (called inside tf.tidy). */
export type FramePainter = (frame: tf.Tensor4D) => tf.Tensor4D;

export interface LiveStats {
  /** Frames painted since start. */
  frames: number;
  /** Camera frames skipped because the previous one was still being painted. */
  dropped: number;
  /** Frames painted per second over the last second. */
  fps: number;
  /** Time to paint the last frame, from grabbing it to drawing it (smoothed), in ms. */
  latencyMs: number;
  /** The processing size now: the longer side, in pixels. */
  side: number;
  width: number;
  height: number;
}

export interface LiveOptions {
  /** Frame rate to hold (default 15). */
  targetFps?: number;
  minSide?: number;
  maxSide?: number;
  /** Processing size to start at (default 256). */
  startSide?: number;
  onStats?: (stats: LiveStats) => void;
  /** A frame failed (e.g. the WebGL context was lost): the loop goes on; the next frames may work once
   * the caller has rebuilt what it needs (a new painter). */
  onError?: (error: unknown) => void;
}

/** Pure: the next processing size given the smoothed frame time, the target and the current size. */
export function adaptSide(side: number, latencyMs: number, targetMs: number, minSide: number, maxSide: number): number {
  let next = side;
  if (latencyMs > 1.2 * targetMs) next = side * Math.max(0.6, Math.sqrt(targetMs / latencyMs));
  else if (latencyMs < 0.6 * targetMs) next = side * 1.15;
  next = Math.round(next / 8) * 8;
  return Math.min(maxSide, Math.max(minSide, next));
}

type VideoWithCallback = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: () => void) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

export class LiveLoop {
  private running = false;
  private busy: Promise<void> | null = null;
  private handle = 0;
  private side: number;
  private latency = 0;
  private recent: number[] = [];
  private sinceChange = 0;
  private readonly stats: LiveStats;
  private readonly options: Required<Omit<LiveOptions, 'onStats' | 'onError'>> & Pick<LiveOptions, 'onStats' | 'onError'>;

  constructor(private readonly video: HTMLVideoElement, private readonly canvas: HTMLCanvasElement,
    private readonly painter: () => FramePainter | null, options: LiveOptions = {}) {
    this.options = { targetFps: 15, minSide: 96, maxSide: 640, startSide: 256, ...options };
    this.side = this.options.startSide;
    this.stats = { frames: 0, dropped: 0, fps: 0, latencyMs: 0, side: this.side, width: 0, height: 0 };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    document.addEventListener('visibilitychange', this.onVisibility);
    this.schedule();
  }

  /** Stop after the frame in flight (if any) is drawn. */
  async stop(): Promise<void> {
    this.running = false;
    document.removeEventListener('visibilitychange', this.onVisibility);
    const v = this.video as VideoWithCallback;
    if (v.cancelVideoFrameCallback) v.cancelVideoFrameCallback(this.handle);
    else cancelAnimationFrame(this.handle);
    await this.busy;
  }

  private onVisibility = () => {
    if (document.hidden) {
      const v = this.video as VideoWithCallback;
      if (v.cancelVideoFrameCallback) v.cancelVideoFrameCallback(this.handle);
      else cancelAnimationFrame(this.handle);
    } else if (this.running) {
      this.schedule();
    }
  };

  private schedule(): void {
    if (!this.running || document.hidden) return;
    const v = this.video as VideoWithCallback;
    // A new camera frame, where the browser says so; else the next display frame.
    this.handle = v.requestVideoFrameCallback ? v.requestVideoFrameCallback(this.tick) : requestAnimationFrame(this.tick);
  }

  private tick = () => {
    this.schedule();
    if (this.busy) {
      this.stats.dropped++;
      return;
    }
    this.busy = this.paintFrame().catch((error) => this.options.onError?.(error)).finally(() => { this.busy = null; });
  };

  private async paintFrame(): Promise<void> {
    const video = this.video;
    if (video.readyState < 2 || !video.videoWidth) return;
    const started = performance.now();
    const { width, height } = fitSize(video.videoWidth, video.videoHeight, this.side);
    const paint = this.painter();
    if (!paint) return; // nothing to paint with yet (models loading, or being rebuilt): keep the last frame
    if (isContextLost()) throw new ContextLostError();
    const out = tf.tidy(() => {
      const frame = tf.image.resizeBilinear(tf.expandDims(tf.cast(tf.browser.fromPixels(video), 'float32'), 0) as tf.Tensor4D,
        [height, width], true);
      return tf.div(tf.squeeze(paint(frame), [0]), 255) as tf.Tensor3D;
    });
    try {
      // toPixels reads asynchronously, but a lost context never answers: race it (see backend.ts)
      await Promise.race([tf.browser.toPixels(out, this.canvas), whenContextLost()]);
    } finally {
      out.dispose();
    }
    const now = performance.now();
    const took = now - started;
    this.latency = this.stats.frames ? 0.7 * this.latency + 0.3 * took : took;
    this.recent = [...this.recent.filter((t) => now - t < 1000), now];
    this.stats.frames++;
    this.stats.fps = this.recent.length;
    this.stats.latencyMs = Math.round(this.latency);
    this.stats.width = width;
    this.stats.height = height;
    if (++this.sinceChange >= 3) {
      const next = adaptSide(this.side, this.latency, 1000 / this.options.targetFps, this.options.minSide,
        Math.min(this.options.maxSide, Math.max(video.videoWidth, video.videoHeight)));
      if (next !== this.side) {
        this.side = next;
        this.sinceChange = 0;
      }
    }
    this.stats.side = this.side;
    this.options.onStats?.({ ...this.stats });
  }
}
