/// <reference types="node" />
/** For the engine's tests: the shipped models folder, its manifest, and fetch() over it on disk. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const MODELS = resolve(__dirname, '../../../models');
export const shipped = () => JSON.parse(readFileSync(`${MODELS}/manifest.json`, 'utf8'));

/** fetch() over the models folder on disk, optionally with one file damaged. */
export function diskFetch(damage?: string): typeof fetch {
  return (async (url: string) => {
    const path = url.replace(/^models\//, '').replace(/\?.*$/, '');
    try {
      let bytes = new Uint8Array(readFileSync(`${MODELS}/${path}`));
      if (damage && path === damage) bytes = bytes.map((b, i) => (i === 100 ? b ^ 0xff : b));
      return new Response(bytes);
    } catch {
      return new Response('missing', { status: 404 });
    }
  }) as unknown as typeof fetch;
}
