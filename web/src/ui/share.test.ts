import { describe, expect, it } from 'vitest';
import { canShareImages, shareOrDownload } from './share';

/** A stand-in navigator whose share sheet records what it was given, or fails as told. */
function fakeNavigator(opts: { canShare?: boolean; fail?: string } = {}) {
  const shared: File[] = [];
  const nav = {
    canShare: opts.canShare === undefined ? undefined : (data: ShareData) => opts.canShare! && !!data.files?.length,
    share: async (data: ShareData) => {
      if (opts.fail) throw new DOMException('no', opts.fail);
      shared.push(...(data.files ?? []));
    },
  } as unknown as Navigator;
  return { nav, shared };
}

describe('share', () => {
  it('offers sharing only where the browser can share files', () => {
    expect(canShareImages(fakeNavigator({ canShare: true }).nav)).toBe(true);
    expect(canShareImages(fakeNavigator({ canShare: false }).nav)).toBe(false);
    expect(canShareImages(fakeNavigator().nav)).toBe(false); // no canShare at all (desktop Linux Chromium)
  });

  it('hands the PNG to the share sheet under its name; closing the sheet is not an error', async () => {
    const blob = new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' });
    const { nav, shared } = fakeNavigator({ canShare: true });
    expect(await shareOrDownload(blob, 'cat-udnie.png', nav)).toBe('shared');
    expect(shared.map((f) => [f.name, f.type, f.size])).toEqual([['cat-udnie.png', 'image/png', 4]]);
    expect(await shareOrDownload(blob, 'cat-udnie.png', fakeNavigator({ canShare: true, fail: 'AbortError' }).nav)).toBe('cancelled');
  });
});
