import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { isMemoryError, KeptTensors } from './kept';

describe('tensors kept between passes', () => {
  it('keeps what fits the budget, a tile at a time, and releases the rest', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const kept = new KeptTensors(3 * 4 * 100); // three tensors of 100 float32 values
    kept.reset(3);
    const fresh = (value: number) => tf.fill([100], value);
    tf.tidy(() => kept.update(0, ['a', 'b'], { a: fresh(1), b: fresh(2) }));
    tf.tidy(() => kept.update(1, ['a', 'b'], { a: fresh(3), b: fresh(4) })); // 4 of 3: tile 1 keeps nothing
    expect(Object.keys(kept.of(0))).toEqual(['a', 'b']);
    expect(kept.of(1)).toEqual({});
    expect(tf.memory().numTensors).toBe(before + 2);
    // tile 0 hands b on and adds c, in place of a: three in all
    const a = kept.of(0).a;
    tf.tidy(() => kept.update(0, ['b', 'c'], { c: fresh(5) }));
    expect(a.isDisposed).toBe(true);
    expect(Array.from(kept.of(0).b.dataSync().slice(0, 1))).toEqual([2]);
    tf.tidy(() => kept.update(2, ['a'], { a: fresh(6) }));
    expect(Object.keys(kept.of(2))).toEqual(['a']);
    expect(tf.memory().numTensors).toBe(before + 3);
    kept.drop(0);
    expect(tf.memory().numTensors).toBe(before + 1);
    kept.reset(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(kept.of(5)).toEqual({});
  });

  it('stops keeping once memory has run out, and not for a texture over its size limit', () => {
    const told: number[] = [];
    const kept = new KeptTensors(1000);
    const onRetry = kept.onRetry((_, tile) => told.push(tile));
    onRetry('1024 px passes were too big for this device (Requested texture size [9000x9000] greater than WebGL maximum); painting in tiles of 512 px', 512);
    expect(kept.budget).toBe(1000);
    onRetry('512 px passes were too big for this device (Array buffer allocation failed); painting in tiles of 256 px', 256);
    expect(kept.budget).toBe(0);
    expect(told).toEqual([512, 256]);
    expect(isMemoryError(new Error('Aborted(OOM)'))).toBe(true);
    expect(isMemoryError(new Error('Failed to compile fragment shader.'))).toBe(false);
  });
});
