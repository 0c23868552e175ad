"""Pack a compact copy of the training data and loss network for a remote GPU machine.

A lent GPU machine receives at most 64 MiB a call, the repository's tracked files included (about
32 MB, most of it the committed checkpoints that the session resumes), and the photos (146 MB) and
the VGG16 weights (59 MB) do not fit. The warm machine kept FIXED, carried by one call, for the
next calls (seen 2026-11-26; a path carried by one call and not named by the next was gone there
for .whl/ and .gpudata/), so the data travel in two parts, each under the limit (this script adds
them up and fails if one is not):

* FIXED (default .gpufixed/, carried by the first call with .whl/): vgg16.npz, the VGG16
  convolutions up to relu5_1 (the deepest tap any objective here uses) rounded to float16 (half the
  size; the rounding changes a weight by at most 1 part in 2048), and styles/, byte-for-byte copies
  of the gallery paintings. Point $DEEPSTYLE_VGG_WEIGHTS at vgg16.npz there and here alike, so both
  machines evaluate with the very same loss network.
* OUT (default .gpudata/, carried by the second call, which trains, with .whl/ again): photos/ and paintings/, each
  image with its longer side SCALE (the scale training sees them at, so nothing is lost that
  training would use), JPEG at QUALITY, at most --max-photos photos; and photos-val/, the first
  --val-photos validation photos byte-for-byte (the renders use a few).

Usage: python scripts/gpu/pack_training_data.py [--data DATA] [--out .gpudata] [--fixed-out .gpufixed]

DATA (default $DEEPSTYLE_DATA) is the folder holding photos/, paintings/, photos-val/ and styles/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from convert import images, vgg  # noqa: E402

LIMIT = 64 * 2**20  # what one device call may carry, the repository included


def shrink_folder(src: Path, dst: Path, scale: int, quality: int, limit: int | None) -> int:
    """JPEG copies at most ``scale`` px a side. A file not already JPEG is copied as it is, so that
    every name stays the same (held-out paintings are named in recipes)."""
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    count = 0
    for path in images.list_images(src)[:limit]:
        if path.suffix.lower() not in (".jpg", ".jpeg"):
            shutil.copy2(path, dst / path.name)
            count += 1
            continue
        try:
            with Image.open(path) as im:
                im = im.convert("RGB")
                im.thumbnail((scale, scale), Image.LANCZOS)
                im.save(dst / path.name, "JPEG", quality=quality)
                count += 1
        except OSError as error:
            print(f"warning: skipping {path}: {error}")
    return count


def folder_bytes(*folders: Path) -> int:
    return sum(p.stat().st_size for f in folders if f.exists() for p in f.rglob("*") if p.is_file())


def tracked_bytes() -> int:
    """The bytes of the files git tracks: they travel with every device call."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    return sum((ROOT / n.decode()).stat().st_size for n in names if n and (ROOT / n.decode()).is_file())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=os.environ.get("DEEPSTYLE_DATA"),
                        help="the data folder: photos/, paintings/, photos-val/, styles/ (default $DEEPSTYLE_DATA)")
    parser.add_argument("--out", type=Path, default=Path(".gpudata"))
    parser.add_argument("--fixed-out", type=Path, default=Path(".gpufixed"))
    parser.add_argument("--wheels", type=Path, default=Path(".whl"), help="carried with the first part")
    parser.add_argument("--scale", type=int, default=384)
    parser.add_argument("--quality", type=int, default=72)
    parser.add_argument("--max-photos", type=int, default=1100)
    parser.add_argument("--val-photos", type=int, default=4)
    args = parser.parse_args(argv)
    if args.data is None:
        parser.error("no data folder: pass --data DATA or set DEEPSTYLE_DATA to the folder holding photos/ and styles/")
    args.data = Path(args.data)
    out, fixed = args.out, args.fixed_out
    n = shrink_folder(args.data / "photos", out / "photos", args.scale, args.quality, args.max_photos)
    m = shrink_folder(args.data / "paintings", out / "paintings", args.scale, args.quality, None)
    shutil.rmtree(out / "photos-val", ignore_errors=True)
    (out / "photos-val").mkdir()
    for path in images.list_images(args.data / "photos-val")[: args.val_photos]:
        shutil.copy2(path, out / "photos-val" / path.name)
    fixed.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(fixed / "styles", ignore_errors=True)
    shutil.copytree(args.data / "styles", fixed / "styles")
    weights = vgg.load_weights()
    arrays = {}
    for tap, (kernel, bias) in weights.items():
        if vgg.TAPS.index(tap) > vgg.TAPS.index("relu5_1"):
            continue
        arrays[f"{tap}/kernel"] = kernel.astype(np.float16)
        arrays[f"{tap}/bias"] = bias.astype(np.float16)
    np.savez(fixed / "vgg16.npz", **arrays)
    print(f"{n} photos, {m} paintings and {args.val_photos} validation photos in {out}; vgg16.npz and styles in {fixed}")
    repo = tracked_bytes()
    calls = {f"first call (carry {fixed}, {args.wheels})": repo + folder_bytes(fixed, args.wheels),
             f"second call (carry {out}, {args.wheels})": repo + folder_bytes(out, args.wheels)}
    for name, size in calls.items():
        print(f"{name}: {size / 2**20:.1f} MiB with the repository's {repo / 2**20:.1f} MiB (limit {LIMIT / 2**20:.0f})")
    if max(calls.values()) > LIMIT:
        print("too large for one device call: pack fewer photos (--max-photos) or commit less", file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
