/**
 * Video files: every frame of a clip painted and saved as WebM (VP8 video, Opus audio), the original
 * sound kept where the browser can decode it. Demuxing, decoding, encoding and muxing are Mediabunny's
 * (WebCodecs underneath), loaded only when a video is painted, so the first view stays small.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FramePainter } from './live';
import { fitSize } from './tiles';

export class VideoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VideoError';
  }
}

export interface VideoOptions {
  /** Longer side of the output, never enlarging (default 480). Rounded down to even numbers. */
  maxSide?: number;
  /** Longest clip accepted, in seconds (default 120). */
  maxSeconds?: number;
  onProgress?: (fraction: number, frames: number) => void;
  signal?: AbortSignal;
  /**
   * Reduce flicker (default true): where a pixel of the clip did not change since the previous frame,
   * the painting there is blended with the previous painted frame, so still parts of the scene do not
   * shimmer from frame to frame; where the clip moves, the new painting is used as it is.
   */
  steady?: boolean;
}

/** How much of the previous painted frame a still pixel keeps (0: none). */
export const STEADY_KEEP = 0.7;
/** A pixel whose colour moved by this much (0-255, mean of R, G, B) or more counts as moving. */
export const STEADY_MOTION = 12;

/**
 * One frame of flicker reduction (inside tf.tidy): `painted` [h, w, 3] 0-255 blended with
 * `previousOut` where `frame` equals `previousFrame`, fading out as the pixel's change nears STEADY_MOTION.
 */
export function steadyFrame(painted: tf.Tensor3D, frame: tf.Tensor3D, previousOut: tf.Tensor3D | null,
  previousFrame: tf.Tensor3D | null): tf.Tensor3D {
  if (!previousOut || !previousFrame) return painted;
  const change = tf.mean(tf.abs(tf.sub(frame, previousFrame)), -1, true);
  const still = tf.mul(tf.clipByValue(tf.sub(1, tf.div(change, STEADY_MOTION)), 0, 1), STEADY_KEEP);
  return tf.add(painted, tf.mul(still, tf.sub(previousOut, painted)));
}

export interface VideoResult {
  blob: Blob;
  width: number;
  height: number;
  frames: number;
  seconds: number;
  /** Whether the clip had sound and it was kept. */
  audio: boolean;
  /** Why the sound was not kept, if the clip had some. */
  audioDropped?: string;
}

/** How long a frame waits for a painter (the style network still downloading, or being rebuilt after a GPU reset). */
export const PAINTER_WAIT_MS = 60_000;

/** The painter once there is one, checked every 50 ms; a VideoError after `ms` or once `signal` aborts. */
export async function painterWithin(painter: () => FramePainter | null, ms: number, signal?: AbortSignal): Promise<FramePainter> {
  const until = performance.now() + ms;
  for (;;) {
    const p = painter();
    if (p) return p;
    if (signal?.aborted) throw new VideoError('was cancelled');
    if (performance.now() > until) throw new VideoError(`could not be painted: the style network was not ready within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Paint every frame of `file` with the painter of the moment (live style changes apply too). */
export async function stylizeVideo(file: Blob, painter: () => FramePainter | null, options: VideoOptions = {}): Promise<VideoResult> {
  // Cancelling works from the first moment: every wait before the conversion starts is checked.
  const stop = () => { if (options.signal?.aborted) throw new VideoError('was cancelled'); };
  const mb = await import('mediabunny');
  stop();
  const input = new mb.Input({ source: new mb.BlobSource(file), formats: mb.ALL_FORMATS });
  let track;
  try {
    track = await input.getPrimaryVideoTrack();
  } catch {
    throw new VideoError('is not a video this page can read (WebM, MP4 or MOV)');
  }
  if (!track) throw new VideoError('has no video in it');
  if (!(await track.canDecode())) throw new VideoError(`uses a video codec this browser cannot decode (${track.codec ?? 'unknown'})`);
  const seconds = await input.computeDuration();
  const limit = options.maxSeconds ?? 120;
  if (seconds > limit) throw new VideoError(`is ${Math.round(seconds)} s long; the limit is ${limit} s. Trim it first.`);
  stop();
  const fitted = fitSize(await track.getDisplayWidth(), await track.getDisplayHeight(), options.maxSide ?? 480);
  const width = Math.max(2, fitted.width & ~1);
  const height = Math.max(2, fitted.height & ~1);

  const scratch = document.createElement('canvas');
  scratch.width = width;
  scratch.height = height;
  const scratchContext = scratch.getContext('2d', { willReadFrequently: true })!;
  const canvas = document.createElement('canvas');
  const steady = options.steady ?? true;
  const kept: { previous: { out: tf.Tensor3D; frame: tf.Tensor3D } | null } = { previous: null }; // between frames; freed at the end
  let frames = 0;
  const output = new mb.Output({ format: new mb.WebMOutputFormat(), target: new mb.BufferTarget() });
  const conversion = await mb.Conversion.init({
    input,
    output,
    showWarnings: false,
    video: {
      width, height, fit: 'fill', codec: 'vp8', forceTranscode: true, processedWidth: width, processedHeight: height,
      process: async (sample) => {
        sample.draw(scratchContext, 0, 0, width, height);
        const pixels = scratchContext.getImageData(0, 0, width, height);
        const paint = painter() ?? await painterWithin(painter, PAINTER_WAIT_MS, options.signal);
        const next = tf.tidy(() => {
          const frame = tf.cast(tf.browser.fromPixels(pixels), 'float32') as tf.Tensor3D;
          const painted = tf.squeeze(paint(tf.expandDims(frame, 0) as tf.Tensor4D), [0]) as tf.Tensor3D;
          const out = steady ? steadyFrame(painted, frame, kept.previous?.out ?? null, kept.previous?.frame ?? null) : painted;
          return { out, frame, shown: tf.div(out, 255) as tf.Tensor3D };
        });
        try {
          await tf.browser.toPixels(next.shown, canvas);
        } finally {
          next.shown.dispose();
          if (kept.previous) tf.dispose([kept.previous.out, kept.previous.frame]);
          kept.previous = { out: next.out, frame: next.frame };
        }
        frames++;
        return canvas;
      },
    },
    audio: { codec: 'opus' },
  });
  if (!conversion.isValid) {
    throw new VideoError(`cannot be converted here (${conversion.discardedTracks.map((d) => `${d.track.type}: ${d.reason}`).join(', ')})`);
  }
  const hadAudio = Boolean(await input.getPrimaryAudioTrack());
  const droppedAudio = conversion.discardedTracks.find((d) => d.track.type === 'audio');
  conversion.onProgress = (fraction) => options.onProgress?.(fraction, frames);
  const cancel = () => { conversion.cancel(); };
  stop();
  options.signal?.addEventListener('abort', cancel, { once: true });
  try {
    await conversion.execute();
  } catch (error) {
    if (options.signal?.aborted || error instanceof mb.ConversionCanceledError) throw new VideoError('was cancelled');
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', cancel);
    if (kept.previous) tf.dispose([kept.previous.out, kept.previous.frame]);
    kept.previous = null;
  }
  const buffer = output.target.buffer;
  if (!buffer) throw new VideoError('produced no output');
  return {
    blob: new Blob([buffer], { type: 'video/webm' }),
    width, height, frames, seconds,
    audio: hadAudio && !droppedAudio,
    audioDropped: hadAudio && droppedAudio ? droppedAudio.reason : undefined,
  };
}
