/**
 * Handing a painting on: to the system's share sheet (Web Share API with files) where the browser
 * offers it, typically on phones, else as a download.
 */

/** Whether this browser can share PNG files (navigator.canShare with files). */
export function canShareImages(nav: Navigator = navigator): boolean {
  try {
    return typeof nav.canShare === 'function'
      && nav.canShare({ files: [new File([new Uint8Array([0])], 'painting.png', { type: 'image/png' })] });
  } catch {
    return false;
  }
}

/** Save `blob` as the file `name`. */
export function downloadBlob(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/**
 * Share `blob` as the file `name`, or download it where sharing is not possible or fails (a share
 * sheet needs a recent tap, which a long painting can outlast). The visitor closing the sheet is
 * 'cancelled', not a failure.
 */
export async function shareOrDownload(blob: Blob, name: string, nav: Navigator = navigator): Promise<'shared' | 'cancelled' | 'downloaded'> {
  if (canShareImages(nav)) {
    try {
      await nav.share({ files: [new File([blob], name, { type: blob.type || 'image/png' })], title: name });
      return 'shared';
    } catch (error) {
      if ((error as DOMException)?.name === 'AbortError') return 'cancelled';
    }
  }
  downloadBlob(blob, name);
  return 'downloaded';
}
