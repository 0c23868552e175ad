/**
 * Backend choice: the fastest that works on this device, never the plain JavaScript cpu backend
 * (40-100x slower than WASM: ../../README.md). WebGPU first where the browser has an adapter, then
 * WebGL (the visitor's GPU through WebGL 2), then WASM (SIMD). WebGPU is loaded only when the browser
 * has it (a separate chunk), and a model must pass a self-test on it (stylize.selfTest) before the
 * page trusts it: where it fails, abandonBackend() moves to the next (on this machine's software
 * WebGPU, graph models lose the device: ../../README.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'webgpu' | 'webgl' | 'wasm';

export const PREFERENCE: readonly BackendName[] = ['webgpu', 'webgl', 'wasm'];

/** Pure: the order to try backends in, given an optional preference and backends ruled out. */
export function backendOrder(prefer?: BackendName | null, exclude: readonly string[] = []): BackendName[] {
  const order = prefer ? [prefer, ...PREFERENCE.filter((b) => b !== prefer)] : [...PREFERENCE];
  return order.filter((b) => !exclude.includes(b));
}

export interface BackendOptions {
  prefer?: BackendName | null;
  exclude?: string[];
  /** Where the .wasm files are: a prefix or a map {'tfjs-backend-wasm.wasm': url, ...} (see setWasmPaths). */
  wasmPaths?: string | Record<string, string>;
}

/** Load the WebGPU backend (its own chunk) only where the browser offers a WebGPU adapter. */
async function registerWebGPU(): Promise<void> {
  const gpu = typeof navigator === 'undefined' ? undefined : (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) throw new Error('not in this browser');
  if (!(await gpu.requestAdapter())) throw new Error('no WebGPU adapter on this device');
  if (!tf.findBackendFactory('webgpu')) await import('@tensorflow/tfjs-backend-webgpu');
}

/** Try each backend in order with a small computation; returns the one now in use. */
export async function initBackend(options: BackendOptions = {}): Promise<BackendName> {
  if (options.wasmPaths) setWasmPaths(options.wasmPaths as never);
  const failures: string[] = [];
  for (const name of backendOrder(options.prefer, options.exclude)) {
    try {
      if (name === 'webgpu') await registerWebGPU();
      if (!(await tf.setBackend(name))) throw new Error('not available');
      await tf.ready();
      const probe = tf.tidy(() => tf.sum(tf.add(tf.ones([2, 2]), 1)));
      const value = (await probe.data())[0];
      probe.dispose();
      if (value !== 8) throw new Error(`computed ${value} instead of 8`);
      watchContext();
      return name;
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`no usable backend (WebGPU, WebGL or WebAssembly) in this browser: ${failures.join('; ')}`);
}

/**
 * Give up a backend that failed (a model's self-test, say): free what it can and choose again
 * without it. Models must be rebuilt afterwards (StyleModel.rebuild). Returns the backend now in use.
 */
export async function abandonBackend(name: BackendName, options: BackendOptions = {}): Promise<BackendName> {
  try {
    tf.removeBackend(name);
  } catch {
    // a lost device may fail to free its buffers; nothing more to free
  }
  return initBackend({ ...options, exclude: [...(options.exclude ?? []), name] });
}

export function currentBackend(): string {
  return tf.getBackend();
}

/** Live tensors and their bytes (tf.memory()): what a leak would make grow. */
export function memoryUse(): { tensors: number; bytes: number } {
  const m = tf.memory();
  return { tensors: m.numTensors, bytes: m.numBytes };
}

/**
 * GPU loss: the browser may take the GPU away at any time (driver reset, too much memory, another
 * tab, sleep). A lost WebGL context makes every later WebGL call a no-op and a lost WebGPU device
 * fails every later call, so a pending read could wait forever; the engine watches the canvas (WebGL)
 * or the device's `lost` promise (WebGPU) instead and fails the read with ContextLostError.
 */
const WEBGL_LOST = 'WebGL context lost';
/** What was lost last, as the status line names it ('WebGL context lost', 'WebGPU device lost: ...'). */
let lostCause = WEBGL_LOST;

export function lastLossCause(): string {
  return lostCause;
}

export class ContextLostError extends Error {
  constructor(message = `the GPU was reset (${lostCause})`) {
    super(message);
    this.name = 'ContextLostError';
  }
}

let lost = false;
/** How many times this page has lost its GPU (kept.defaultKeepBytes keeps nothing on a GPU after one). */
let losses = 0;
let context: WebGLRenderingContext | WebGL2RenderingContext | null = null;
let lostPromise: Promise<never> = new Promise(() => {});
let rejectLost: (e: Error) => void = () => {};
/** The backend being watched, and a count that tells a stale device's `lost` from the current one's. */
let watched: string | null = null;
let watchCount = 0;

function watchContext(): void {
  lost = false;
  lostPromise = new Promise<never>((_, reject) => { rejectLost = reject; });
  lostPromise.catch(() => {}); // nobody need be waiting
  context = null;
  lostCause = WEBGL_LOST;
  watched = tf.getBackend();
  const count = ++watchCount;
  const onLost = (cause = WEBGL_LOST) => {
    if (count !== watchCount) return; // a device given up earlier (its `lost` resolves when destroyed)
    lostCause = cause;
    markLost();
  };
  if (watched === 'webgpu') {
    const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device;
    device?.lost?.then((info) => {
      if (info?.reason === 'destroyed') return; // destroyed on purpose: the backend was removed
      onLost(`WebGPU device lost${info?.message ? `: ${info.message}` : ''}`);
    });
    return;
  }
  if (watched !== 'webgl') return;
  const gl = (tf.backend() as MathBackendWebGL).gpgpu.gl;
  context = gl;
  if (gl.isContextLost()) onLost();
  else (gl.canvas as EventTarget).addEventListener('webglcontextlost', () => onLost(), { once: true });
}

/** Whether the GPU context in use is lost. Asks WebGL itself: the event comes a task later, and in
 * between a lost context yields wrong values that can surface as any kind of error. */
export function isContextLost(): boolean {
  if (!lost && context?.isContextLost()) markLost();
  return lost;
}

/** The context in use is lost: counted once, and whatever waits on whenContextLost fails. */
function markLost(): void {
  if (!lost) losses++;
  lost = true;
  rejectLost(new ContextLostError());
}

/** How many times the GPU has been lost since the page loaded, across recoveries. */
export function gpuLosses(): number {
  return losses;
}

/** Rejects with ContextLostError when the GPU context in use is lost; never resolves otherwise. */
export function whenContextLost(): Promise<never> {
  return lostPromise;
}

/**
 * `error` as it should be thrown: ContextLostError if the GPU is lost. WebGL is asked at once; a lost
 * WebGPU device can make a call fail before its `lost` promise settles, so on WebGPU the loss is
 * waited for up to `graceMs` before the error is taken as it is.
 */
export async function lossOr(error: unknown, graceMs = 500): Promise<unknown> {
  if (error instanceof ContextLostError) return error;
  if (isContextLost()) return new ContextLostError();
  if (watched !== 'webgpu') return error;
  const settled = await Promise.race([lostPromise.then(() => false, () => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs))]);
  return settled ? new ContextLostError() : error;
}

/** Read a tensor's values, or throw ContextLostError if the GPU context is lost before they arrive. */
export async function readValues(t: tf.Tensor): Promise<Float32Array> {
  if (isContextLost()) throw new ContextLostError();
  try {
    return (await Promise.race([t.data(), lostPromise])) as Float32Array;
  } catch (error) {
    throw await lossOr(error);
  }
}

/** Read a tensor's values (as readValues) and free it, whatever happens. */
export async function takeValues(t: tf.Tensor): Promise<Float32Array> {
  try {
    return await readValues(t);
  } finally {
    t.dispose();
  }
}

/**
 * After a GPU loss: drop the dead WebGL backend and build a new one on a new canvas (with its own
 * shader cache: programs of the lost context are useless), else fall back to WASM. A lost WebGPU
 * device is not trusted again in this page: the next backend in order (WebGL, else WASM) takes over.
 * Models must be rebuilt afterwards (their weights lived on the old backend). Returns the backend now
 * in use.
 */
export async function recoverBackend(options: BackendOptions = {}): Promise<BackendName> {
  if (watched === 'webgpu') return abandonBackend('webgpu', options);
  if (tf.findBackendFactory('webgl')) {
    try {
      tf.removeBackend('webgl');
    } catch {
      // a dead context may fail to free its textures; nothing more to free
    }
  }
  const canvas = () => (typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(300, 150) : document.createElement('canvas'));
  tf.registerBackend('webgl', () => new MathBackendWebGL(canvas()), 2);
  return initBackend(options);
}
