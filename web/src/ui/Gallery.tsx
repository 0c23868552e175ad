import type { StyleEntry } from '../engine';

/** The visitor's own picture as a style, once chosen. */
export interface OwnStyle {
  name: string;
  /** A small JPEG of it, for its card. */
  url: string;
  pixels: ImageData;
}

/** The id that stands for the visitor's own picture among the gallery's style ids. */
export const OWN = 'own-style';

interface Props {
  styles: readonly StyleEntry[];
  /** Where the manifest's pictures are. */
  base: string;
  selected: string | null;
  own: OwnStyle | null;
  /** Offer a picture of one's own as the style (the arbitrary-style network is there). */
  ownAllowed: boolean;
  onSelect: (id: string) => void;
  onOwnFile: (file: File | undefined) => void;
}

export function describe(style: StyleEntry): string {
  return [style.artist, style.year].filter(Boolean).join(', ');
}

/** The paintings are one radio group (WAI-ARIA): Tab enters at the chosen one, arrow keys move and choose. */
function onGalleryKey(e: React.KeyboardEvent<HTMLElement>): void {
  const step = ({ ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 } as Record<string, number>)[e.key];
  if (!step) return;
  const radios = [...e.currentTarget.querySelectorAll<HTMLElement>('[role=radio]')];
  const at = radios.indexOf(document.activeElement as HTMLElement);
  if (at < 0) return;
  e.preventDefault();
  const next = radios[(at + step + radios.length) % radios.length];
  next.focus();
  next.click();
}

/** The painting cards: each painting with the network's sample of it, then one's own picture. */
export function Gallery({ styles, base, selected, own, ownAllowed, onSelect, onOwnFile }: Props) {
  const picture = (f: { path: string; sha256: string }) => `${base}${f.path}?v=${f.sha256.slice(0, 16)}`;
  const pick = (e: React.ChangeEvent<HTMLInputElement>) => {
    onOwnFile(e.target.files?.[0]);
    e.target.value = '';
  };
  return (
    <div aria-label="Paintings" className="gallery" role="radiogroup" onKeyDown={onGalleryKey}>
      {styles.map((s, i) => (
        <button key={s.id} type="button" role="radio" aria-checked={s.id === selected} data-style={s.id}
          tabIndex={s.id === selected || (i === 0 && !styles.some((t) => t.id === selected)) ? 0 : -1}
          className={s.id === selected ? 'style selected' : 'style'} onClick={() => onSelect(s.id)}>
          {/* the painting itself, with the network's sample in the corner (the whole card on hover or focus) */}
          <span className={s.painting ? 'thumbs' : 'thumbs sample-only'}>
            {s.painting && <img className="painting" src={picture(s.painting)} alt="" width={128} height={128} loading="lazy" />}
            <img className="sample" src={picture(s.thumbnail)} alt="" width={128} height={128} loading="lazy" />
          </span>
          <span className="title">{s.title}</span>
          <span className="meta">{describe(s)}</span>
        </button>
      ))}
      {ownAllowed && (own ? (
        // once there is a picture: a choice like the paintings, and a separate way to change it
        <div className={selected === OWN ? 'style own selected' : 'style own'} data-style={OWN}>
          <button type="button" role="radio" aria-checked={selected === OWN} tabIndex={selected === OWN ? 0 : -1}
            className="own-pick" onClick={() => onSelect(OWN)} title="Your picture; it stays on this device">
            <img src={own.url} alt="" width={128} height={128} />
            <span className="title">{own.name}</span>
            <span className="meta">your picture</span>
          </button>
          <label className="own-change">Change picture…
            <input type="file" accept="image/*" data-testid="style-file" onChange={pick} />
          </label>
        </div>
      ) : (
        <label className="style own" data-style={OWN} title="Any painting or picture of yours; it stays on this device">
          <span className="plus" aria-hidden="true">+</span>
          <span className="title">Your own style</span>
          <span className="meta">upload a painting</span>
          <input type="file" accept="image/*" data-testid="style-file" onChange={pick} />
        </label>
      ))}
    </div>
  );
}
