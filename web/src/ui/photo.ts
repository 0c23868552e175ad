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

/** Decode `file` to an ImageBitmap the right way up, or throw PhotoError with a message for people. */
export async function readPhoto(file: Blob & { name?: string }): Promise<ImageBitmap> {
  const name = file.name ? `"${file.name}"` : 'This file';
  if (file.size === 0) throw new PhotoError(`${name} is empty.`);
  const kind = sniff(new Uint8Array(await file.slice(0, 256).arrayBuffer()));
  if (kind === 'heic') throw new PhotoError(`${name} is a HEIC/HEIF photo, which browsers cannot open. Save it as JPEG or PNG (on an iPhone: Settings > Camera > Formats > Most Compatible).`);
  if (kind === 'pdf') throw new PhotoError(`${name} is a PDF, not a photo.`);
  if (kind === 'svg') throw new PhotoError(`${name} is a vector drawing (SVG); use a photo (JPEG, PNG or WebP).`);
  if (kind === 'unknown') throw new PhotoError(`${name} is not an image this page can read (JPEG, PNG, WebP, GIF or BMP).`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new PhotoError(`${name} looks like a ${kind.toUpperCase()} but is damaged or incomplete.`);
  }
  if ((bitmap.width * bitmap.height) / 1e6 > MAX_MEGAPIXELS) {
    const mp = Math.round((bitmap.width * bitmap.height) / 1e6);
    bitmap.close();
    throw new PhotoError(`${name} has ${mp} megapixels; the limit is ${MAX_MEGAPIXELS}. Scale it down first.`);
  }
  return bitmap;
}

export { fitSize } from '../engine/tiles';
