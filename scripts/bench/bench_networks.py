"""Benchmark: the shipped style network against a Johnson-size reference in TensorFlow.js.

Both networks are exported as graph models (float32, random weights: speed does not depend on
them) and timed in Node on the same backend, same input, alternating runs, after a warm-up
(scripts/bench/bench_tfjs.mjs). The figure that matters is the ratio reference / shipped. Also reports
each network's multiply-adds per pixel, so a reader can judge their own GPU.
Writes docs/bench/networks.json and prints a Markdown table.

    .venv/bin/python scripts/bench/bench_networks.py [--size 512] [--runs 5] [--backend wasm] [--residual-blocks 5] [--residual-width 96] [--colour-head]
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

from convert import export, networks  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def export_pair(shipped, reference, folder: Path) -> dict:
    """Both networks as uint8 graph models in ``folder``/shipped and ``folder``/reference; their bytes."""
    export.save_style_network(shipped, folder / "shipped_saved")
    export.save_graph_function(reference, folder / "reference_saved")
    return {name: export.convert_saved_model(folder / f"{name}_saved", folder / name, quantize="uint8")["total_bytes"]
            for name in ("shipped", "reference")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", default="wasm")
    parser.add_argument("--styles", type=int, default=12, help="style count of the shipped network")
    parser.add_argument("--stem-stride", type=int, default=networks.DEFAULT_STEM_STRIDE)
    parser.add_argument("--residual-blocks", type=int, default=networks.DEFAULT_RESIDUAL_BLOCKS)
    parser.add_argument("--residual-width", type=int, default=None, help="channels inside each residual block")
    parser.add_argument("--colour-head", action="store_true", help="end with networks.ColourOutput")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/bench/networks.json")
    args = parser.parse_args()

    shipped = networks.transformer(args.styles, residual_blocks=args.residual_blocks, stem_stride=args.stem_stride,
                                   residual_width=args.residual_width, colour_head=args.colour_head)
    reference = networks.johnson_reference()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sizes = export_pair(shipped, reference, tmp)
        proc = subprocess.run(
            ["node", str(ROOT / "scripts/bench/bench_tfjs.mjs"), "--size", str(args.size), "--runs", str(args.runs),
             "--backend", args.backend, f"shipped={tmp / 'shipped'}", f"reference={tmp / 'reference'}"],
            capture_output=True, text=True, check=True, cwd=ROOT)
    timing = json.loads(proc.stdout.strip().splitlines()[-1])
    macs = {"shipped": networks.multiply_adds_per_pixel(shipped),
            "reference": networks.multiply_adds_per_pixel(reference)}
    rows = {name: {**timing["models"][name], "multiply_adds_per_pixel": macs[name],
                   "gflop_per_frame": round(2 * macs[name] * args.size ** 2 / 1e9, 2),
                   "uint8_model_bytes": sizes[name]}
            for name in ("shipped", "reference")}
    speedup = rows["reference"]["median_ms"] / rows["shipped"]["median_ms"]
    result = {
        "benchmark": "style networks in TensorFlow.js (Node)",
        "backend": timing["backend"], "size": args.size, "runs": args.runs, "date": time.strftime("%Y-%m-%d"),
        "shipped": f"networks.transformer: widths {networks.DEFAULT_WIDTHS}, {args.residual_blocks} residual "
                   f"blocks ({networks.inner_width(networks.DEFAULT_WIDTHS, args.residual_width)} channels inside), stem stride "
                   f"{args.stem_stride}, {args.styles} styles{', colour head' if args.colour_head else ''}",
        "reference": "networks.johnson_reference: 32/64/128, 5 residual blocks, 9x9 end convolutions",
        "models": rows, "speedup": round(speedup, 2),
        "macs_ratio": round(macs["reference"] / macs["shipped"], 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"| network | median ms ({timing['backend']}, {args.size}x{args.size}) | GFLOP per frame | model bytes (uint8) |")
    print("|---|---|---|---|")
    for name in ("shipped", "reference"):
        r = rows[name]
        print(f"| {name} | {r['median_ms']} | {r['gflop_per_frame']} | {r['uint8_model_bytes']} |")
    print(f"\nshipped is {speedup:.2f}x faster ({result['macs_ratio']}x fewer multiply-adds)")


if __name__ == "__main__":
    main()
