/**
 * Reading the visitor's photo: any image the browser decodes, EXIF orientation honoured, with a
 * clear message for what it cannot use (not an image, damaged, HEIC, too large). Nothing is sent anywhere.
 */

export const MAX_MEGAPIXELS = 50;

export class PhotoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PhotoError';
  }
}

/** Pure: recognise formats from a file's first bytes, to explain what the browser cannot decode. */
export function sniff(head: Uint8Array): 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'heic' | 'svg' | 'pdf' | 'unknown' {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.slice(from, to));
  if (head[0] === 0xff && head[1] === 0xd8) return 'jpeg';
  if (head[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (ascii(0, 3) === 'GIF') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 2) === 'BM') return 'bmp';
  if (ascii(4, 8) === 'ftyp' && /^(heic|heix|hevc|heim|heis|mif1|msf1|avif)/.test(ascii(8, 12))) return 'heic';
  if (ascii(0, 5) === '%PDF-') return 'pdf';
  const text = ascii(0, Math.min(head.length, 256)).trimStart().toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'svg';
  return 'unknown';
}

/**
 * Pure: the width and height a file's header declares, read without decoding (undefined where the
 * first bytes do not say: another format, or a JPEG whose frame header lies beyond them). A picture
 * too large to decode is then refused as too large, not as damaged.
 */
export function headerSize(head: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const has = (n: number) => head.length >= n;
  const ascii = (from: number, to: number) => String.fromCharCode(...head.slice(from, to));
  switch (sniff(head)) {
    case 'png':
      return has(24) && ascii(12, 16) === 'IHDR' ? { width: view.getUint32(16), height: view.getUint32(20) } : undefined;
    case 'gif':
      return has(10) ? { width: view.getUint16(6, true), height: view.getUint16(8, true) } : undefined;
    case 'bmp':
      return has(26) ? { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) } : undefined;
    case 'webp': {
      const chunk = ascii(12, 16);
      if (chunk === 'VP8X' && has(30)) {
        const u24 = (at: number) => head[at] | (head[at + 1] << 8) | (head[at + 2] << 16);
        return { width: u24(24) + 1, height: u24(27) + 1 };
      }
      if (chunk === 'VP8 ' && has(30)) return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
      if (chunk === 'VP8L' && has(25)) {
        const bits = view.getUint32(21, true);
        return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
      }
      return undefined;
    }
    case 'jpeg': {
      // Walk the segments to the first start-of-frame marker (C0-CF, except C4 DHT, C8 JPG, CC DAC).
      for (let at = 2; at + 9 <= head.length;) {
        if (head[at] !== 0xff) return undefined;
        const marker = head[at + 1];
        if (marker === 0xff) { at++; continue; }
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          return { width: view.getUint16(at + 7), height: view.getUint16(at + 5) };
        }
        at += 2 + view.getUint16(at + 2);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function tooLarge(name: string, width: number, height: number): PhotoError {
  const mp = Math.round((width * height) / 1e6);
  return new PhotoError(`${name} is too large (${width} x ${height}, ${mp} megapixels; the limit is ${MAX_MEGAPIXELS}). Scale it down first.`);
}

/** Decode `file` to an ImageBitmap the right way up, or throw PhotoError with a message for people. */
export async function readPhoto(file: Blob & { name?: string }): Promise<ImageBitmap> {
  const name = file.name ? `"${file.name}"` : 'This file';
  if (file.size === 0) throw new PhotoError(`${name} is empty.`);
  const head = new Uint8Array(await file.slice(0, 256 * 1024).arrayBuffer());  // a JPEG's EXIF may come before its size
  const kind = sniff(head);
  if (kind === 'heic') throw new PhotoError(`${name} is a HEIC/HEIF photo, which browsers cannot open. Save it as JPEG or PNG (on an iPhone: Settings > Camera > Formats > Most Compatible).`);
  if (kind === 'pdf') throw new PhotoError(`${name} is a PDF, not a photo.`);
  if (kind === 'svg') throw new PhotoError(`${name} is a vector drawing (SVG); use a photo (JPEG, PNG or WebP).`);
  if (kind === 'unknown') throw new PhotoError(`${name} is not an image this page can read (JPEG, PNG, WebP, GIF or BMP).`);
  const declared = headerSize(head);
  if (declared && (declared.width * declared.height) / 1e6 > MAX_MEGAPIXELS) throw tooLarge(name, declared.width, declared.height);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new PhotoError(`${name} looks like a ${kind.toUpperCase()} but is damaged or incomplete.`);
  }
  if ((bitmap.width * bitmap.height) / 1e6 > MAX_MEGAPIXELS) {
    const { width, height } = bitmap;
    bitmap.close();
    throw tooLarge(name, width, height);
  }
  return bitmap;
}

export { fitSize } from '../engine';
