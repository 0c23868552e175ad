"""Benchmark: frames per second of the live loop's frame step at 320 x 240, shipped network against
the Johnson-size reference, same backend, same run (alternating frames, after a warm-up).

Each frame is what web/src/engine/live.ts does: a 640 x 480 camera frame resized to 320 x 240,
painted, clipped, scaled and read back (scripts/bench/bench_tfjs.mjs --frame). Both networks are exported
as uint8 graph models with random weights (speed does not depend on them). Also gives each network's
multiply-adds per frame, so a reader can judge their own GPU. Writes docs/bench/live.json.

    .venv/bin/python scripts/bench/bench_live.py [--frames 20] [--backend wasm]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench_networks import export_pair  # noqa: E402  (scripts/ is on the path when run as a script)
from convert import networks  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 320, 240


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=20, help="timed frames per network")
    parser.add_argument("--backend", default="wasm")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/bench/live.json")
    args = parser.parse_args()

    shipped = networks.transformer(12)
    reference = networks.johnson_reference()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        export_pair(shipped, reference, tmp)
        proc = subprocess.run(
            ["node", str(ROOT / "scripts/bench/bench_tfjs.mjs"), "--width", str(WIDTH), "--height", str(HEIGHT),
             "--frame", "640x480", "--runs", str(args.frames), "--backend", args.backend,
             f"shipped={tmp / 'shipped'}", f"reference={tmp / 'reference'}"],
            capture_output=True, text=True, check=True, cwd=ROOT)
    timing = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = {}
    for name, model in (("shipped", shipped), ("reference", reference)):
        t = timing["models"][name]
        macs = networks.multiply_adds_per_pixel(model) * WIDTH * HEIGHT
        rows[name] = {**t, "fps": round(1000 / t["median_ms"], 2), "gflop_per_frame": round(2 * macs / 1e9, 2)}
    result = {
        "benchmark": "live loop frame step in TensorFlow.js (Node): 640x480 frame -> 320x240, paint, read back",
        "backend": timing["backend"], "width": WIDTH, "height": HEIGHT, "frames": args.frames,
        "date": time.strftime("%Y-%m-%d"),
        "shipped": f"networks.transformer: widths {networks.DEFAULT_WIDTHS}, {networks.DEFAULT_RESIDUAL_BLOCKS} "
                   "residual blocks, 12 styles",
        "reference": "networks.johnson_reference: 32/64/128, 5 residual blocks, 9x9 end convolutions",
        "models": rows, "speedup": round(rows["shipped"]["fps"] / rows["reference"]["fps"], 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"| network | fps ({timing['backend']}, {WIDTH}x{HEIGHT}) | median ms a frame | GFLOP a frame |")
    print("|---|---|---|---|")
    for name in ("shipped", "reference"):
        r = rows[name]
        print(f"| {name} | {r['fps']} | {r['median_ms']} | {r['gflop_per_frame']} |")
    print(f"\nshipped: {result['speedup']}x the reference's frame rate")


if __name__ == "__main__":
    main()
