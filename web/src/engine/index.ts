/**
 * Deep Style's JavaScript API. createStylizer() loads a manifest of networks and paints pictures
 * with them; LiveLoop and stylizeVideo paint video with one of its frame painters.
 *
 *   const stylizer = await createStylizer('models/manifest.json');
 *   const painting = await stylizer.paint(imageData, { style: 'udnie', strength: 0.8 });
 *   stylizer.dispose();
 */
export { createStylizer } from './stylizer';
export type { FrameOptions, PaintOptions, Style, Stylizer, StylizerOptions } from './stylizer';
export { isAbort, MAX_SIDE } from './stylize';
export type { RGBAImage } from './pixels';
export { memoryUse } from './backend';
export type { BackendName, BackendOptions } from './backend';
export { fitSize } from './tiles';
export { ManifestError, parseManifest } from './manifest';
export type { Manifest, ModelEntry, StyleEntry } from './manifest';
export { ModelLoadError } from './models';
export { LiveLoop } from './live';
export type { FramePainter, LiveOptions, LiveStats } from './live';
export { stylizeVideo, VideoError } from './video';
export type { VideoOptions, VideoResult } from './video';
