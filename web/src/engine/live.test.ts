import { describe, expect, it } from 'vitest';
import { adaptSide } from './live';

describe('live loop', () => {
  it('shrinks the processing size when frames are slow and grows it when there is headroom', () => {
    const target = 1000 / 15;
    expect(adaptSide(256, 2 * target, target, 96, 640)).toBeLessThan(256); // too slow: smaller
    expect(adaptSide(256, 4 * target, target, 96, 640)).toBe(152); // never below 60% in one step
    expect(adaptSide(256, target, target, 96, 640)).toBe(256); // on target: stay
    expect(adaptSide(256, 0.3 * target, target, 96, 640)).toBe(296); // headroom: 15% larger
    expect(adaptSide(104, 10 * target, target, 96, 640)).toBe(96); // bounded below
    expect(adaptSide(632, 0.1 * target, target, 96, 640)).toBe(640); // bounded above
    expect(adaptSide(256, 2 * target, target, 96, 640) % 8).toBe(0);
  });
});
