"""Contact sheet of a style network: validation photos (rows) x styles (columns), first column the photo.

Usage: python scripts/figures/contact_sheet.py --run checkpoints/gallery --photos $DEEPSTYLE_DATA/photos-val
           [--count 6] [--size 384] [--thumb 224] -o docs/gallery/contact-sheet.jpg
The network runs at --size (the evaluation size); each cell is then shrunk to --thumb for the sheet.
For an AdaIN run (--adain), the columns are the run's held-out styles.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--thumb", type=int, default=224)
    parser.add_argument("--adain", action="store_true")
    parser.add_argument("--encoder", default=str(Path(__file__).resolve().parents[2] / "checkpoints/adain-encoder"),
                        help="with --adain: an adain-distill run folder (default: the shipped one) or 'vgg'")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)

    from convert import images, train

    shrink = images.shrink

    photos = images.list_images(args.photos)[: args.count]
    rows = []
    if args.adain:
        from convert import adain, data

        dec, recipe, step = adain.load_run(args.run)
        held = data.held_out_files(recipe.styles, recipe.holdout)
        styles = [images.load_image(p, size=args.size) for p in held]
        encode = adain.relu4_1_encoder(None if args.encoder == "vgg" else args.encoder)
        stats = [adain.style_statistics(s[None], encode) for s in styles]
        rows.append([np.full((args.thumb, args.thumb, 3), 255.0, np.float32)] + [shrink(s, args.thumb) for s in styles])
        for path in photos:
            photo = images.load_image(path, size=args.size)
            rows.append([shrink(photo, args.thumb)] + [shrink(adain.stylize(dec, photo, st, encode=encode), args.thumb) for st in stats])
    else:
        from convert import networks

        net, recipe, step = train.load_run(args.run)
        n = len(recipe.styles)
        rows.append([np.full((args.thumb, args.thumb, 3), 255.0, np.float32)]
                    + [shrink(images.load_image(s, size=args.thumb), args.thumb) for s in recipe.styles])
        for path in photos:
            photo = images.load_image(path, size=args.size)
            rows.append([shrink(photo, args.thumb)]
                        + [shrink(networks.stylize(net, photo, np.eye(n, dtype=np.float32)[s]), args.thumb)
                           for s in range(n)])
    images.save_image(args.output, images.grid(rows, gap=4))
    print(f"wrote {args.output}: {len(photos)} photos x {len(rows[0]) - 1} styles, step {step}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
