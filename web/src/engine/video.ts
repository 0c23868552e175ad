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

/** Paint every frame of `file` with the painter of the moment (live style changes apply too). */
export async function stylizeVideo(file: Blob, painter: () => FramePainter | null, options: VideoOptions = {}): Promise<VideoResult> {
  const mb = await import('mediabunny');
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
  const fitted = fitSize(await track.getDisplayWidth(), await track.getDisplayHeight(), options.maxSide ?? 480);
  const width = Math.max(2, fitted.width & ~1);
  const height = Math.max(2, fitted.height & ~1);

  const scratch = document.createElement('canvas');
  scratch.width = width;
  scratch.height = height;
  const scratchContext = scratch.getContext('2d', { willReadFrequently: true })!;
  const canvas = document.createElement('canvas');
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
        const paint = painter();
        const out = tf.tidy(() => {
          const frame = tf.expandDims(tf.cast(tf.browser.fromPixels(pixels), 'float32'), 0) as tf.Tensor4D;
          return tf.div(tf.squeeze(paint ? paint(frame) : frame, [0]), 255) as tf.Tensor3D;
        });
        try {
          await tf.browser.toPixels(out, canvas);
        } finally {
          out.dispose();
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
  options.signal?.addEventListener('abort', cancel, { once: true });
  try {
    await conversion.execute();
  } catch (error) {
    if (options.signal?.aborted || error instanceof mb.ConversionCanceledError) throw new VideoError('was cancelled');
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', cancel);
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
