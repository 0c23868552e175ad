/**
 * The page's engine: one Stylizer made at start-up (backend chosen, WebGPU checked, manifest read),
 * with what the page shows of it: the backend, download progress and start-up problems on the
 * status line, and a count of backend changes after which frame painters are made again.
 */
import { useEffect, useState } from 'react';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { createStylizer, type BackendName, type BackendOptions, type Stylizer } from '../engine';
import { inTenths, type Say } from './status';

export const MODELS = `${import.meta.env.BASE_URL}models/`;

/** `?backend=NAME` prefers a backend and `?nowebgl` rules out the GPU ones (tests use both). */
function backendOptions(): BackendOptions {
  const params = new URLSearchParams(location.search);
  return {
    prefer: params.get('backend') as BackendName | null,
    exclude: params.get('nowebgl') !== null ? ['webgl', 'webgpu'] : [],
    wasmPaths: {
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    },
  };
}

export interface PageEngine {
  /** null until start-up is done (or when it failed: the status line says why). */
  stylizer: Stylizer | null;
  backend: BackendName | null;
  /** Bumped whenever the backend changed: what was built on the old one is made again. */
  generation: number;
}

export function useStylizer(say: Say): PageEngine {
  const [stylizer, setStylizer] = useState<Stylizer | null>(null);
  const [backend, setBackend] = useState<BackendName | null>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let unmounted = false;
    let made: Stylizer | null = null;
    const progress = new Map<string, (done: number, total: number) => void>(); // per network, in tenths
    createStylizer(`${MODELS}manifest.json`, {
      backend: backendOptions(),
      onStartup: (text) => say({ kind: 'busy', text }),
      onDownload: (loaded, total, id) => {
        if (!progress.has(id)) progress.set(id, inTenths((percent) => say({ kind: 'busy', text: `Downloading the style network… ${percent}%` })));
        progress.get(id)!(loaded, total);
        if (loaded >= total) progress.delete(id);
      },
      onBackendChange: (name) => {
        setBackend(name);
        setGeneration((g) => g + 1);
      },
    }).then((s) => {
      if (unmounted) return s.dispose();
      made = s;
      setBackend(s.backend);
      setStylizer(s);
      say({ kind: 'idle', text: `Choose a photo (or a sample) and a painting.${s.startupNote ? ` ${s.startupNote}` : ''}` });
    }, (error) => say({ kind: 'error', text: (error as Error).message }));
    return () => {
      unmounted = true;
      made?.dispose();
    };
  }, [say]);
  return { stylizer, backend, generation };
}
