/**
 * models/manifest.json: the contract between the Python exporter and this engine.
 * The JSON Schema is models/manifest.schema.json; parseManifest checks what the engine relies on
 * and names the first problem, so a broken manifest fails with a message rather than a crash.
 */

export interface ModelFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface ModelEntry {
  id: string;
  kind: 'multi-style' | 'adain-encoder' | 'adain-decoder';
  format: 'tfjs-graph-model';
  url: string;
  quantization: null | 'float16' | 'uint8';
  files: ModelFile[];
  total_bytes: number;
  inputs: Record<string, number[]>;
  output: string;
  multiple: number;
  multiply_adds_per_pixel?: number;
  recipe: Record<string, unknown>;
  trained: { steps: number; notes?: string };
  evaluation?: Record<string, unknown>;
}

export interface StyleEvaluation {
  photos?: number;
  size?: number;
  content?: number;
  style?: number;
  style_fraction?: number;
  ratio_to_gatys?: number;
  gatys_pairs?: number;
  /** median L-BFGS evaluations Gatys needed to reach the network's loss; null: more than it ran */
  gatys_steps_to_match?: number | null;
}

export interface StyleEntry {
  id: string;
  title: string;
  artist: string | null;
  year: string | null;
  licence: string | null;
  source: string | null;
  model: string;
  index: number;
  thumbnail: ModelFile;
  thumbnail_credit?: string;
  /** A small picture of the painting itself (at most 192 px a side), for the gallery card. */
  painting?: ModelFile;
  /** The painting's AdaIN statistics (relu4_1 means then deviations, float32): see loadStyleStatistics. */
  adain_statistics?: ModelFile;
  evaluation?: StyleEvaluation;
}

export interface Manifest {
  schema: 1;
  models: ModelEntry[];
  styles: StyleEntry[];
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

const SHA256 = /^[0-9a-f]{64}$/;
const ID = /^[a-z0-9-]+$/;
const PATH = /^[A-Za-z0-9._/-]+$/;

function fail(where: string, what: string): never {
  throw new ManifestError(`manifest ${where}: ${what}`);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkFile(f: unknown, where: string): ModelFile {
  if (!isObject(f)) fail(where, 'is not an object');
  if (typeof f.path !== 'string' || !PATH.test(f.path) || f.path.includes('..')) fail(where, 'path is missing or unsafe');
  if (!Number.isInteger(f.bytes) || (f.bytes as number) < 1) fail(where, 'bytes must be a positive integer');
  if (typeof f.sha256 !== 'string' || !SHA256.test(f.sha256)) fail(where, 'sha256 must be 64 hex digits');
  return f as unknown as ModelFile;
}

/** Check a parsed manifest (see models/manifest.schema.json) and return it typed. */
export function parseManifest(json: unknown): Manifest {
  if (!isObject(json)) fail('(root)', 'is not an object');
  if (json.schema !== 1) fail('schema', `version ${String(json.schema)} is not supported (expected 1)`);
  if (!Array.isArray(json.models)) fail('models', 'is not a list');
  if (!Array.isArray(json.styles)) fail('styles', 'is not a list');
  const modelIds = new Set<string>();
  json.models.forEach((m: unknown, i: number) => {
    const where = `models/${i}`;
    if (!isObject(m)) fail(where, 'is not an object');
    if (typeof m.id !== 'string' || !ID.test(m.id)) fail(`${where}/id`, 'must be lower-case letters, digits and -');
    if (!['multi-style', 'adain-encoder', 'adain-decoder'].includes(m.kind as string)) fail(`${where}/kind`, `unknown kind ${String(m.kind)}`);
    if (m.format !== 'tfjs-graph-model') fail(`${where}/format`, 'must be tfjs-graph-model');
    if (typeof m.url !== 'string' || !PATH.test(m.url)) fail(`${where}/url`, 'is missing or unsafe');
    if (!Array.isArray(m.files) || m.files.length < 2) fail(`${where}/files`, 'must list model.json and its weights');
    m.files.forEach((f: unknown, j: number) => checkFile(f, `${where}/files/${j}`));
    if (!m.files.some((f: ModelFile) => f.path === m.url)) fail(`${where}/files`, `does not list ${m.url}`);
    if (!Number.isInteger(m.multiple) || (m.multiple as number) < 1) fail(`${where}/multiple`, 'must be a positive integer');
    if (!isObject(m.inputs)) fail(`${where}/inputs`, 'is not an object');
    if (typeof m.output !== 'string') fail(`${where}/output`, 'is missing');
    if (modelIds.has(m.id)) fail(`${where}/id`, `${m.id} is not unique`);
    modelIds.add(m.id);
  });
  const styleIds = new Set<string>();
  json.styles.forEach((s: unknown, i: number) => {
    const where = `styles/${i}`;
    if (!isObject(s)) fail(where, 'is not an object');
    if (typeof s.id !== 'string' || !ID.test(s.id)) fail(`${where}/id`, 'must be lower-case letters, digits and -');
    if (typeof s.title !== 'string' || !s.title) fail(`${where}/title`, 'is missing');
    if (typeof s.model !== 'string' || !modelIds.has(s.model)) fail(`${where}/model`, `names model ${String(s.model)}, which is not in the manifest`);
    if (!Number.isInteger(s.index) || (s.index as number) < 0) fail(`${where}/index`, 'must be a non-negative integer');
    checkFile(s.thumbnail, `${where}/thumbnail`);
    if (s.painting !== undefined) checkFile(s.painting, `${where}/painting`);
    if (s.adain_statistics !== undefined) checkFile(s.adain_statistics, `${where}/adain_statistics`);
    if (styleIds.has(s.id)) fail(`${where}/id`, `${s.id} is not unique`);
    styleIds.add(s.id);
  });
  return json as unknown as Manifest;
}

/** The style vector a multi-style model takes for one style: one-hot at the style's index. */
export function styleVector(manifest: Manifest, styleId: string, mix?: Record<string, number>): Float32Array {
  const style = manifest.styles.find((s) => s.id === styleId);
  if (!style) throw new ManifestError(`no style ${styleId} in the manifest`);
  const model = manifest.models.find((m) => m.id === style.model)!;
  const n = model.inputs.style?.[1] ?? Math.max(...manifest.styles.filter((s) => s.model === model.id).map((s) => s.index)) + 1;
  const v = new Float32Array(n);
  if (!mix) {
    v[style.index] = 1;
    return v;
  }
  let total = 0;
  for (const [id, w] of Object.entries(mix)) {
    const other = manifest.styles.find((s) => s.id === id && s.model === model.id);
    if (!other) throw new ManifestError(`style ${id} cannot be mixed with ${styleId}: not in model ${model.id}`);
    v[other.index] += w;
    total += w;
  }
  if (total <= 0) throw new ManifestError('style mix weights must add up to more than 0');
  return v.map((x) => x / total);
}
