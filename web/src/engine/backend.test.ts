import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { abandonBackend, backendOrder, ContextLostError, gpuLosses, initBackend, isContextLost, lastLossCause, lossOr, recoverBackend, whenContextLost } from './backend';
import { defaultKeepBytes } from './kept';

describe('backend choice', () => {
  it('prefers WebGPU, then WebGL, then WASM, never cpu', () => {
    expect(backendOrder()).toEqual(['webgpu', 'webgl', 'wasm']);
    expect(backendOrder('wasm')).toEqual(['wasm', 'webgpu', 'webgl']);
    expect(backendOrder(null, ['webgl', 'webgpu'])).toEqual(['wasm']);
    expect(backendOrder()).not.toContain('cpu');
  });
});

describe('GPU loss', () => {
  type LostInfo = { reason: string; message: string };
  /** A stand-in GPU backend (the cpu kernels under another name) whose device can be "lost". */
  function fakeBackend(name: string): { lose: (info: LostInfo) => void } {
    let lose: (info: LostInfo) => void = () => {};
    const lost = new Promise<LostInfo>((resolve) => { lose = resolve; });
    if (!tf.getKernelsForBackend(name).length) {
      for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: name });
    }
    tf.registerBackend(name, () => Object.assign(new MathBackendCPU(), { device: { lost } }), 0);
    return { lose: (info) => lose(info) };
  }

  it('notices a lost WebGPU device, fails what waits on it, and moves to the next backend', async () => {
    const g = globalThis as { navigator?: unknown };
    const navigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => ({}) } }, configurable: true });
    try {
      const first = fakeBackend('webgpu'); // the real wasm backend (backend.ts imports it) comes next
      expect(await initBackend({ exclude: ['webgl'] })).toBe('webgpu');
      const waiting = whenContextLost();
      expect(isContextLost()).toBe(false);
      expect(gpuLosses()).toBe(0);
      expect(defaultKeepBytes()).toBe(256 * 2 ** 20); // tiled paintings keep features on the GPU
      // A call can fail before the device's `lost` settles: that error is held back briefly and
      // becomes ContextLostError when the loss follows; an error with no loss behind it stays itself.
      const plain = new Error('out of memory');
      expect(await lossOr(plain, 10)).toBe(plain);
      const failed = lossOr(new Error('mapAsync failed'));
      first.lose({ reason: 'unknown', message: 'driver reset' });
      expect(await failed).toBeInstanceOf(ContextLostError);
      await expect(waiting).rejects.toThrow('the GPU was reset (WebGPU device lost: driver reset)');
      expect(isContextLost()).toBe(true);
      expect(lastLossCause()).toBe('WebGPU device lost: driver reset');
      expect(gpuLosses()).toBe(1);
      expect(await recoverBackend({ exclude: ['webgl'] })).toBe('wasm'); // a lost WebGPU is not trusted again
      expect(isContextLost()).toBe(false);
      expect(defaultKeepBytes()).toBe(512 * 2 ** 20); // the page's own memory: a GPU's loss says nothing of it

      // A device given up on purpose (failed self-test) must not take the next backend down when its
      // `lost` resolves later.
      const second = fakeBackend('webgpu');
      expect(await initBackend({ exclude: ['webgl'] })).toBe('webgpu');
      expect(defaultKeepBytes()).toBe(0); // after a loss, nothing kept on a GPU
      expect(await abandonBackend('webgpu', { exclude: ['webgl'] })).toBe('wasm');
      second.lose({ reason: 'unknown', message: 'late' });
      await new Promise((r) => setTimeout(r, 0));
      expect(isContextLost()).toBe(false);
      expect(gpuLosses()).toBe(1); // a device given up on purpose was not lost
      expect(tf.getBackend()).toBe('wasm');
    } finally {
      if (navigator) Object.defineProperty(globalThis, 'navigator', navigator);
      else delete g.navigator;
      await tf.setBackend('cpu');
      if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    }
  });
});
