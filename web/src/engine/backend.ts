/**
 * Backend choice: the fastest that works on this device, never the plain JavaScript cpu backend
 * (40-100x slower than WASM: ../../README.md). WebGL first (the visitor's GPU), then WASM (SIMD).
 * WebGPU is not bundled yet: graph models failed on it in our tests (see README).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'webgl' | 'wasm';

export const PREFERENCE: readonly BackendName[] = ['webgl', 'wasm'];

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

/** Try each backend in order with a small computation; returns the one now in use. */
export async function initBackend(options: BackendOptions = {}): Promise<BackendName> {
  if (options.wasmPaths) setWasmPaths(options.wasmPaths as never);
  const failures: string[] = [];
  for (const name of backendOrder(options.prefer, options.exclude)) {
    try {
      if (!(await tf.setBackend(name))) throw new Error('not available');
      await tf.ready();
      const probe = tf.tidy(() => tf.sum(tf.add(tf.ones([2, 2]), 1)));
      const value = (await probe.data())[0];
      probe.dispose();
      if (value !== 8) throw new Error(`computed ${value} instead of 8`);
      return name;
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`no usable backend (WebGL or WebAssembly) in this browser: ${failures.join('; ')}`);
}

export function currentBackend(): string {
  return tf.getBackend();
}
