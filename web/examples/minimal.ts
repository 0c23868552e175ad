/**
 * The engine as another site would use it: one stylizer, one paint() per photo. Everything here is
 * the public API (web/src/engine/index.ts); a site that copied the engine folder would import it the same way.
 */
import { createStylizer, fitSize, type Stylizer } from '../src/engine';

const $ = <T extends HTMLElement>(id: string) => document.querySelector<T>(`[data-testid=${id}]`)!;
const file = $<HTMLInputElement>('file');
const select = $<HTMLSelectElement>('style');
const status = $('status');
const result = $('result');
const canvas = $<HTMLCanvasElement>('output');

let seq = 0;
function say(kind: 'busy' | 'done' | 'error', text: string) {
  status.className = `status ${kind}`;
  status.dataset.seq = String(++seq);
  status.textContent = text;
}

async function paint(stylizer: Stylizer) {
  const photo = file.files?.[0];
  if (!photo) return;
  result.dataset.settled = 'false';
  try {
    const bitmap = await createImageBitmap(photo);
    const { width, height } = fitSize(bitmap.width, bitmap.height, 512);
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(bitmap, 0, 0, width, height);
    say('busy', 'Painting…');
    const painting = await stylizer.paint(ctx.getImageData(0, 0, width, height), { style: select.value });
    ctx.putImageData(new ImageData(painting.data as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
    say('done', `Done: ${width} × ${height} in the style of ${select.selectedOptions[0].text}.`);
  } catch (error) {
    say('error', (error as Error).message);
  } finally {
    result.dataset.settled = 'true';
  }
}
createStylizer(new URL('../models/manifest.json', location.href).href, {
  onDownload: (loaded, total) => say('busy', `Downloading the network… ${Math.round((100 * loaded) / total)}%`),
}).then((stylizer) => {
  for (const style of stylizer.styles) select.add(new Option(`${style.title}, ${style.artist ?? ''}`, style.id));
  select.classList.add('style'); // ready (tests wait for it)
  say('done', `Ready on ${stylizer.backend}: choose a photo.`);
  file.addEventListener('change', () => paint(stylizer));
  select.addEventListener('change', () => paint(stylizer));
}, (error) => say('error', (error as Error).message));
