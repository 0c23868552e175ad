import { describe, expect, it } from 'vitest';
import { fitSize, sniff } from './photo';
import { headerSize, readPhoto } from './photo';

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? Array.from(p, (c) => c.charCodeAt(0)) : p)));
const be32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const be16 = (n: number) => [n >> 8, n & 255];
const le16 = (n: number) => [n & 255, n >> 8];
const le32 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];

describe('sizes from headers', () => {
  it('reads PNG, GIF, BMP, WebP and JPEG headers without decoding', () => {
    const png = bytes([0x89], 'PNG\r\n\x1a\n', be32(13), 'IHDR', be32(40000), be32(30000), [1, 0, 0, 0, 0]);
    expect(headerSize(png)).toEqual({ width: 40000, height: 30000 });
    expect(headerSize(bytes('GIF89a', le16(640), le16(480), [0, 0, 0]))).toEqual({ width: 640, height: 480 });
    const bmp = bytes('BM', new Array(16).fill(0), le32(300), le32(-200 >>> 0), [0, 0]);
    expect(headerSize(bmp)).toEqual({ width: 300, height: 200 }); // a top-down BMP has a negative height
    const vp8x = bytes('RIFF', le32(100), 'WEBP', 'VP8X', le32(10), [0, 0, 0, 0], [0x3f, 0x9c, 0], [0x2f, 0x75, 0]);
    expect(headerSize(vp8x)).toEqual({ width: 40000, height: 30000 });
    const jpeg = bytes([0xff, 0xd8], [0xff, 0xe0], be16(16), 'JFIF\0', new Array(9).fill(0),
      [0xff, 0xdb], be16(4), [0, 0], [0xff, 0xc2], be16(17), [8], be16(1080), be16(1920), [3, 1, 0x22, 0]);
    expect(headerSize(jpeg)).toEqual({ width: 1920, height: 1080 });
  });

  it('says nothing where the first bytes do not tell', () => {
    expect(headerSize(bytes([0xff, 0xd8], [0xff, 0xe1], be16(60000)))).toBeUndefined(); // EXIF longer than the bytes read
    expect(headerSize(bytes('hello, not an image'))).toBeUndefined();
  });

  it('refuses a picture too large to decode as too large, not as damaged', async () => {
    const png = bytes([0x89], 'PNG\r\n\x1a\n', be32(13), 'IHDR', be32(40000), be32(40000), [1, 0, 0, 0, 0]);
    const file = Object.assign(new Blob([png]), { name: 'vast.png' });
    await expect(readPhoto(file)).rejects.toThrow('"vast.png" is too large (40000 x 40000, 1600 megapixels; the limit is 50)');
  });
});

describe('photo input', () => {
  it('recognises formats by their first bytes', () => {
    const bytes = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));
    expect(sniff(new Uint8Array([0xff, 0xd8, 0xff]))).toBe('jpeg');
    expect(sniff(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe('png');
    expect(sniff(bytes('\0\0\0\x18ftypheic'))).toBe('heic');
    expect(sniff(bytes('<?xml version="1.0"?><svg>'))).toBe('svg');
    expect(sniff(bytes('%PDF-1.7'))).toBe('pdf');
    expect(sniff(bytes('hello'))).toBe('unknown');
  });
  it('fits without enlarging', () => {
    expect(fitSize(4000, 3000, 1024)).toEqual({ width: 1024, height: 768 });
    expect(fitSize(300, 200, 1024)).toEqual({ width: 300, height: 200 });
  });
});
