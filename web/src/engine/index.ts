/** Deep Style's JavaScript API: load the manifest and models, pick a backend, stylise images. */
export { backendOrder, ContextLostError, currentBackend, initBackend, isContextLost, memoryUse, PREFERENCE, readValues, recoverBackend, takeValues } from './backend';
export type { BackendName, BackendOptions } from './backend';
export { preserveColor, preservePixel } from './color';
export { ManifestError, parseManifest, styleVector } from './manifest';
export type { Manifest, ModelEntry, ModelFile, StyleEntry } from './manifest';
export { fetchVerified, loadManifest, loadModel, ModelLoadError, sha256Hex } from './models';
export type { Progress, StyleModel } from './models';
export { isResourceError, MAX_SIDE, MIN_TILE, paintTensor, stylize } from './stylize';
export type { RGBAImage, StylizeOptions } from './stylize';
export { fitSize, planTiles, TileBlender, tileWeights } from './tiles';
export type { Tile } from './tiles';
export { adainTensor, loadStyleStatistics, mixStatistics, styleStatistics, stylizeAdain } from './adain';
export type { AdainModels, AdainOptions, StyleStatistics } from './adain';
export { adaptSide, LiveLoop } from './live';
export type { FramePainter, LiveOptions, LiveStats } from './live';
export { STEADY_KEEP, STEADY_MOTION, steadyFrame, stylizeVideo, VideoError } from './video';
export type { VideoOptions, VideoResult } from './video';
