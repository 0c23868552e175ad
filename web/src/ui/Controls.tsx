import { useState } from 'react';
import type { Half } from './region';

export const SIZES = [
  { label: 'Fast (512 px)', value: 512 },
  { label: 'Large (1024 px)', value: 1024 },
  { label: 'Full size (up to 4096 px)', value: 4096 },
];

/** What the settings panel sets. */
export interface Settings {
  strength: number;
  keepColours: boolean;
  /** The style blended with the chosen one ('' for none). */
  blendWith: string;
  blend: number;
  /** 'everywhere': the two styles mixed; 'region': the second style only where the visitor painted a region. */
  mixWhere: 'everywhere' | 'region';
  /** The longest side to paint at. */
  size: number;
}

interface Props {
  settings: Settings;
  onChange: (change: Partial<Settings>) => void;
  /** What the chosen style can be blended with. */
  partners: { id: string; title: string }[];
  /** The photo mode (regions and size are only for photos). */
  photoMode: boolean;
  /** There is a photo to take a region of. */
  hasPhoto: boolean;
  /** The preset half the region is, if it is one. */
  preset: { half: Half; swapped: boolean } | null;
  onRegion: (action: Half | 'swap' | 'clear') => void;
}

const HALVES: Record<Half, string> = { left: 'Left half', right: 'Right half', top: 'Top half', bottom: 'Bottom half' };

/** The settings panel; on a phone it folds away under its button (elsewhere the button is not shown and it is open). */
export function Controls({ settings: s, onChange, partners, photoMode, hasPhoto, preset, onRegion }: Props) {
  const [open, setOpen] = useState(false);
  const blending = Boolean(s.blendWith);
  const inRegion = blending && s.mixWhere === 'region' && photoMode;
  return (
    <>
      <button type="button" className="settings-toggle" aria-expanded={open} aria-controls="settings"
        onClick={() => setOpen((o) => !o)}>Settings {open ? '▴' : '▾'}</button>
      <section id="settings" aria-label="Settings" className={open ? 'controls' : 'controls folded'}>
        <label>Strength <input type="range" min={0} max={1} step={0.05} value={s.strength}
          onChange={(e) => onChange({ strength: Number(e.target.value) })} /> {Math.round(s.strength * 100)}%</label>
        <label><input type="checkbox" checked={s.keepColours} onChange={(e) => onChange({ keepColours: e.target.checked })} /> Keep the photo's colours</label>
        {partners.length > 0 && (
          <label>Blend with <select data-testid="blend-with" value={s.blendWith} onChange={(e) => onChange({ blendWith: e.target.value })}>
            <option value="">nothing</option>
            {partners.map((p) => <option key={p.id} value={p.id}>{p.title}</option>)}
          </select></label>
        )}
        {blending && photoMode && (
          <label>Where <select data-testid="mix-where" value={s.mixWhere} onChange={(e) => onChange({ mixWhere: e.target.value as Settings['mixWhere'] })}>
            <option value="everywhere">everywhere, blended</option>
            <option value="region">only in a region I paint</option>
          </select></label>
        )}
        {blending && !inRegion && (
          <label>Blend <input type="range" data-testid="blend" min={0} max={1} step={0.05} value={s.blend}
            onChange={(e) => onChange({ blend: Number(e.target.value) })} /> {Math.round(s.blend * 100)}%</label>
        )}
        {inRegion && (
          <span className="hint region" role="group" aria-label="Region for the second style">
            Paint the region on the picture (mouse, pen or finger), or take
            {(Object.keys(HALVES) as Half[]).map((half) => (
              <button key={half} type="button" data-region={half} disabled={!hasPhoto} aria-pressed={preset?.half === half}
                onClick={() => onRegion(half)}>{HALVES[half]}</button>
            ))}
            <button type="button" data-region="swap" disabled={!hasPhoto} title="The second style where the first was, and the other way round"
              onClick={() => onRegion('swap')}>Swap</button>
            <button type="button" onClick={() => onRegion('clear')}>Clear</button>
          </span>
        )}
        {photoMode && (
          <label>Size <select data-testid="size" value={s.size} onChange={(e) => onChange({ size: Number(e.target.value) })}>
            {SIZES.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </select></label>
        )}
      </section>
    </>
  );
}
