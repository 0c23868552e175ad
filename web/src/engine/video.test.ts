import { describe, expect, it } from 'vitest';
import { painterWithin, VideoError } from './video';

describe('video', () => {
  it('waits for a painter instead of encoding unpainted frames, within a limit and until cancelled', async () => {
    let ready: (() => null) | null = null;
    const painter = () => ready;
    setTimeout(() => { ready = () => null; }, 120);
    expect(await painterWithin(painter as never, 5_000)).toBe(ready);
    const none = () => null;
    await expect(painterWithin(none, 100)).rejects.toThrow(/not ready within 0.1 s/);
    await expect(painterWithin(none, 5_000, AbortSignal.abort())).rejects.toThrow(VideoError);
    await expect(painterWithin(none, 5_000, AbortSignal.abort())).rejects.toThrow('was cancelled');
  });
});
