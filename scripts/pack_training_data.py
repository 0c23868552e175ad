"""Pack a compact copy of the training data and loss network for a remote GPU machine.

A lent GPU machine receives at most 64 MiB with the repository, and the photos (146 MB) and the
VGG16 weights (59 MB) do not fit. This writes, into OUT (default .gpudata/, git-ignored):

* photos/ and paintings/: each image with its longer side SCALE (the scale training sees them at,
  so nothing is lost that training would use), JPEG at QUALITY, at most --max-photos photos;
* styles/ and photos-val/: byte-for-byte copies (evaluation keys its cache on the files' bytes);
* vgg16.npz: the VGG16 convolutions up to relu5_1 (the deepest tap any objective here uses),
  rounded to float16 (half the size; the rounding changes a weight by at most 1 part in 2048). Point $DEEPSTYLE_VGG_WEIGHTS at it there and here alike, so
  both machines evaluate with the very same loss network.

Usage: python scripts/pack_training_data.py [--data ../shared/data] [--out .gpudata]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from convert import images, vgg  # noqa: E402


def shrink_folder(src: Path, dst: Path, scale: int, quality: int, limit: int | None) -> int:
    dst.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in images.list_images(src)[:limit]:
        try:
            with Image.open(path) as im:
                im = im.convert("RGB")
                im.thumbnail((scale, scale), Image.LANCZOS)
                im.save(dst / (path.stem + ".jpg"), "JPEG", quality=quality)
                count += 1
        except OSError as error:
            print(f"warning: skipping {path}: {error}")
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path(".gpudata"))
    parser.add_argument("--scale", type=int, default=384)
    parser.add_argument("--quality", type=int, default=72)
    parser.add_argument("--max-photos", type=int, default=1100)
    parser.add_argument("--weights-only", action="store_true", help="write vgg16.npz and copies only")
    args = parser.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    n = m = 0
    if not args.weights_only:
        n = shrink_folder(args.data / "photos", out / "photos", args.scale, args.quality, args.max_photos)
        m = shrink_folder(args.data / "paintings", out / "paintings", args.scale, args.quality, None)
    for name in ("styles", "photos-val"):
        shutil.rmtree(out / name, ignore_errors=True)
        shutil.copytree(args.data / name, out / name)
    weights = vgg.load_weights()
    arrays = {}
    for tap, (kernel, bias) in weights.items():
        if vgg.TAPS.index(tap) > vgg.TAPS.index("relu5_1"):
            continue
        arrays[f"{tap}/kernel"] = kernel.astype(np.float16)
        arrays[f"{tap}/bias"] = bias.astype(np.float16)
    np.savez(out / "vgg16.npz", **arrays)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"{n} photos, {m} paintings, styles, photos-val and vgg16.npz in {out}: {total / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
