"""Fill the evaluation's Gatys cache for photos x styles, ahead of `deepstyle eval`.

Each reference is a Gatys et al. (2016) L-BFGS optimisation of the evaluation objective (minutes
per pair on a CPU, seconds on a GPU): this precomputes them, optionally split into shards that run
as parallel processes, each writing its own cache file (merge them with --merge).

Usage:
  python scripts/gpu/gatys_references.py --photos DIR --styles DIR [--size 384] [--steps 300]
      [--max-photos K] [--shard I/N] --cache FILE
  python scripts/gpu/gatys_references.py --merge OUT.json IN.json...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path)
    parser.add_argument("--styles", type=Path)
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--max-photos", type=int)
    parser.add_argument("--shard", default="0/1", help="I/N: this process takes pairs I, I+N, I+2N, ...")
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--merge", nargs="+", type=Path, metavar="FILE",
                        help="merge cache files: the first is written, the rest read")
    args = parser.parse_args(argv)
    if args.merge:
        from convert.evaluate import GatysCache

        out, *inputs = args.merge
        cache = GatysCache(out)
        new = cache.merge({k: v for path in inputs for k, v in json.loads(path.read_text()).items()})
        print(f"{out}: {len(cache.entries)} references, {new} new")
        return 0
    if not (args.photos and args.styles and args.cache):
        parser.error("--photos, --styles and --cache are required")

    from convert import images
    from convert.evaluate import GatysCache, gatys_reference
    from convert.losses import StyleObjective

    index, count = (int(v) for v in args.shard.split("/"))
    photos = images.list_images(args.photos)[: args.max_photos]
    styles = images.list_images(args.styles)
    pairs = [(p, s) for p in photos for s in styles][index::count]
    if not photos or not styles:
        parser.error(f"no images in {args.photos if not photos else args.styles}")
    print(f"{len(pairs)} pairs ({len(photos)} photos x {len(styles)} styles, shard {index}/{count})", flush=True)
    cache = GatysCache(args.cache)
    objective = StyleObjective()
    for n, (photo, style) in enumerate(pairs, 1):
        gatys_reference(photo, style, args.size, args.steps, objective, cache,
                        log=lambda line: print(f"[{n}/{len(pairs)}] {line}", flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
