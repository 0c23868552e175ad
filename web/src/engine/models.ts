/**
 * Fetching models: every file is checked against the manifest's byte count and sha256 before
 * TensorFlow.js sees it, with download progress, then loaded from memory as a graph model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import type { Manifest, ModelEntry, ModelFile } from './manifest';
import { parseManifest } from './manifest';
import { carryPlan, findNormLayers, type NormLayer } from './statistics';

export type Progress = (loadedBytes: number, totalBytes: number) => void;

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

function join(base: string, path: string): string {
  return base.endsWith('/') ? base + path : `${base}/${path}`;
}

export async function sha256Hex(data: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Fetch the manifest at `url` and check it. */
export async function loadManifest(url: string, fetchFn: typeof fetch = fetch): Promise<Manifest> {
  const response = await fetchFn(url);
  if (!response.ok) throw new ModelLoadError(`could not load the model list ${url}: HTTP ${response.status}`);
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new ModelLoadError(`the model list ${url} is not valid JSON`);
  }
  return parseManifest(json);
}

/** Fetch one file, reporting bytes as they arrive, and verify its size and sha256. */
export async function fetchVerified(base: string, file: ModelFile, onBytes?: (n: number) => void,
  fetchFn: typeof fetch = fetch): Promise<ArrayBuffer> {
  // Versioned by content: a changed model has a new URL, so no cache (HTTP or service worker) serves a stale one.
  const url = `${join(base, file.path)}?v=${file.sha256.slice(0, 16)}`;
  const response = await fetchFn(url);
  if (!response.ok) throw new ModelLoadError(`could not download ${file.path}: HTTP ${response.status}`);
  let buffer: ArrayBuffer;
  if (response.body && onBytes) {
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      onBytes(value.length);
    }
    const all = new Uint8Array(received);
    let offset = 0;
    for (const c of chunks) {
      all.set(c, offset);
      offset += c.length;
    }
    buffer = all.buffer;
  } else {
    buffer = await response.arrayBuffer();
    onBytes?.(buffer.byteLength);
  }
  if (buffer.byteLength !== file.bytes) {
    throw new ModelLoadError(`${file.path} is damaged: ${buffer.byteLength} bytes instead of ${file.bytes}`);
  }
  const digest = await sha256Hex(buffer);
  if (digest !== file.sha256) throw new ModelLoadError(`${file.path} is damaged: its checksum does not match`);
  return buffer;
}

export interface StyleModel {
  entry: ModelEntry;
  graph: GraphModel;
  /** Its instance-norm layers in the order they run (statistics.ts); none for a network without. */
  norms: NormLayer[];
  /** What each of the measuring passes for `norms` hands on to the next (statistics.carryPlan). */
  carry: string[][];
  dispose(): void;
  /** The same model built again from the verified bytes it was made from, on the backend now in use
   * (after a WebGL context loss: see recoverBackend). No download. */
  rebuild(): Promise<StyleModel>;
}

/** Download (verified) and build the graph model `modelId` of the manifest found at `base`. */
export async function loadModel(base: string, manifest: Manifest, modelId: string, onProgress?: Progress,
  fetchFn: typeof fetch = fetch): Promise<StyleModel> {
  const entry = manifest.models.find((m) => m.id === modelId);
  if (!entry) throw new ModelLoadError(`no model ${modelId} in the manifest`);
  let loaded = 0;
  const report = (n: number) => {
    loaded += n;
    onProgress?.(loaded, entry.total_bytes);
  };
  const buffers = new Map<string, ArrayBuffer>();
  await Promise.all(entry.files.map(async (f) => buffers.set(f.path, await fetchVerified(base, f, report, fetchFn))));
  return buildModel(entry, buffers);
}

type TopologyNode = { name: string; op: string };

/** The graph's own names for its inputs: its placeholders. */
function graphInputs(nodes: TopologyNode[]): string[] {
  return nodes.filter((n) => n.op === 'Placeholder').map((n) => n.name);
}

/** The graph's own names for its outputs: with a signature, GraphModel.outputNodes gives the
 * signature's keys ('stylized'), not the nodes ('Identity:0'), so those come from the signature. */
function graphOutputs(signature: { outputs?: Record<string, { name: string }> } | undefined, graph: GraphModel): string[] {
  const named = Object.values(signature?.outputs ?? {}).map((o) => o.name);
  return named.length ? named : graph.outputNodes;
}

async function buildModel(entry: ModelEntry, buffers: Map<string, ArrayBuffer>): Promise<StyleModel> {
  const modelJson = JSON.parse(new TextDecoder().decode(buffers.get(entry.url)!));
  const folder = entry.url.includes('/') ? entry.url.slice(0, entry.url.lastIndexOf('/') + 1) : '';
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const shards: ArrayBuffer[] = [];
  for (const group of modelJson.weightsManifest as tf.io.WeightsManifestConfig[number][]) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const shard = buffers.get(folder + p);
      if (!shard) throw new ModelLoadError(`${entry.url} names a weight file the manifest does not list: ${p}`);
      shards.push(shard);
    }
  }
  const weightData = tf.io.concatenateArrayBuffers(shards);
  const graph = await loadGraphModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData,
    format: modelJson.format, generatedBy: modelJson.generatedBy, convertedBy: modelJson.convertedBy,
    signature: modelJson.signature, userDefinedMetadata: modelJson.userDefinedMetadata }));
  const nodes = modelJson.modelTopology?.node ?? [];
  const norms = findNormLayers(nodes);
  return {
    entry,
    graph,
    norms,
    carry: carryPlan(nodes, norms, graphInputs(nodes), graphOutputs(modelJson.signature, graph)),
    dispose: () => {
      try {
        graph.dispose();
      } catch {
        // its backend is gone (context lost): nothing left to free
      }
    },
    rebuild: () => buildModel(entry, buffers),
  };
}
