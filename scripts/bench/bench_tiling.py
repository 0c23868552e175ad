"""Benchmark: what whole-image instance-norm statistics cost when a large picture is painted in tiles,
and what they buy, in the engine itself (web/src/engine, tfjs wasm in Node: scripts/bench/bench_tiling.mjs).

For the gallery network (2048 x 1536 in 1024 px tiles) and the arbitrary-style network (1024 x 768
in 512 px tiles), one picture (scikit-image's astronaut, resized) is painted three ways: in one pass
over the whole picture (the reference), in tiles normalised by the whole picture's statistics
(measured first: the engine's default), and in tiles normalised by their own. Reports the time of
each (best of --runs), the tiled results' mean and 99th-percentile distance from the one pass (of
255), and writes docs/bench/tiling.json and a Markdown table.

    .venv/bin/python scripts/bench/bench_tiling.py [--runs 1]
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SETUPS = [
    {"kind": "gallery", "style": "great-wave", "width": 2048, "height": 1536, "tile": 1024},
    {"kind": "adain", "style": "udnie", "width": 1024, "height": 768, "tile": 512},
]


def run(setup: dict, runs: int, tmp: Path) -> dict:
    w, h = setup["width"], setup["height"]
    photo = Image.fromarray(skimage.data.astronaut()).resize((w, h), Image.LANCZOS).convert("RGBA")
    folder = tmp / f"{setup['kind']}-{w}x{h}"
    folder.mkdir()
    (folder / "photo.rgba").write_bytes(np.asarray(photo).tobytes())
    config = {**setup, "image": str(folder / "photo.rgba"), "runs": runs, "out": str(folder)}
    (folder / "config.json").write_text(json.dumps(config))
    subprocess.run(["node", str(ROOT / "scripts/bench/bench_tiling.mjs"), str(folder / "config.json")], cwd=ROOT, check=True)
    result = json.loads((folder / "result.json").read_text())

    def pixels(name):
        return np.frombuffer((folder / f"{name}.rgba").read_bytes(), np.uint8).reshape(h, w, 4)[..., :3].astype(np.float32)

    if setup.get("only_whole_image"):  # the largest picture: no one-pass reference (too big for wasm memory)
        painted = pixels("tiles_whole_image_statistics")
        Image.fromarray(painted.astype(np.uint8)).resize((512, 512 * h // w), Image.LANCZOS).save(folder.parent / "largest.png")
        result["cases"]["tiles_whole_image_statistics"].update(
            std_of_output=round(float(painted.std()), 1), mean_from_photo=round(float(np.abs(painted - np.asarray(photo)[..., :3]).mean()), 1))
        return {**setup, **result}
    reference = pixels("one_pass")
    one = result["cases"]["one_pass"]["ms"]
    for name, case in result["cases"].items():
        diff = np.abs(pixels(name) - reference)
        case.update(mean_from_one_pass=round(float(diff.mean()), 2), p99_from_one_pass=round(float(np.percentile(diff, 99)), 1),
                    time_vs_one_pass=round(case["ms"] / one, 2))
    return {**setup, **result}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/bench/tiling.json")
    parser.add_argument("--largest", action="store_true", help="instead, paint 4096 x 4096 (the page's limit) in 1024 px "
                        "tiles with whole-picture statistics only (one pass would not fit wasm's memory): "
                        "docs/bench/tiling-4096.json and a downscaled copy in docs/bench/tiling-4096.png")
    args = parser.parse_args()
    setups = SETUPS
    if args.largest:
        setups = [{"kind": "gallery", "style": "starry-night", "width": 4096, "height": 4096, "tile": 1024, "only_whole_image": True}]
        args.out = args.out.with_name("tiling-4096.json")
    with tempfile.TemporaryDirectory() as tmp:
        results = [run(s, args.runs, Path(tmp)) for s in setups]
        if args.largest:
            shutil.move(Path(tmp) / "largest.png", args.out.with_suffix(".png"))
    report = {"benchmark": "tiled painting: whole-image vs per-tile instance-norm statistics, engine in Node",
              "date": datetime.date.today().isoformat(), "photo": "skimage.data.astronaut, resized (Lanczos)",
              "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print("| network | picture | tiles | way | passes | time (ms) | vs one pass | mean / p99 from one pass |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        for name, c in r["cases"].items():
            if "time_vs_one_pass" not in c:
                print(f"| {r['kind']} ({r['style']}) | {r['width']} x {r['height']} | {r['tile']} px | {name.replace('_', ' ')} | "
                      f"{c['passes']} | {c['ms']} | | (output std {c['std_of_output']}, {c['mean_from_photo']} from the photo) |")
                continue
            print(f"| {r['kind']} ({r['style']}) | {r['width']} x {r['height']} | {r['tile']} px | {name.replace('_', ' ')} | "
                  f"{c['passes']} | {c['ms']} | {c['time_vs_one_pass']}x | {c['mean_from_one_pass']} / {c['p99_from_one_pass']} |")


if __name__ == "__main__":
    main()
