"""Benchmark: seconds per Gatys optimisation step at 256 and 512 px on this machine.

Each figure is set against a reference measured in the same run: one forward pass of the VGG16
loss network (to relu5_1, the deepest layer the objective uses) on the same image, so the ratio step / forward says what the optimiser
adds (a backward pass, the Gram matrices, L-BFGS-B's own work) whatever the machine's speed.
Writes docs/bench/gatys.json and prints a Markdown table.

    .venv/bin/python scripts/bench/bench_gatys.py [--sizes 256 512] [--steps 12] [--out docs/bench/gatys.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from convert import gatys, vgg  # noqa: E402
from convert.losses import StyleObjective  # noqa: E402


def test_images(size: int):
    """Deterministic stand-ins: a smooth photo-like gradient with shapes, and a striped 'painting'."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    content = np.stack([255 * xx, 255 * yy, 128 + 100 * np.sin(8 * xx * yy)], -1)
    content[size // 4: size // 2, size // 4: size // 2] = (230, 40, 40)
    style = np.stack([128 + 120 * np.sin(40 * xx + 10 * yy), 128 + 120 * np.cos(30 * yy), 90 + 0 * xx], -1)
    return content.astype(np.float32), style.astype(np.float32)


def forward_seconds(size: int, repeats: int = 5) -> float:
    objective = StyleObjective()
    extractor = vgg.feature_extractor(objective.taps)
    x = keras.ops.convert_to_tensor(np.zeros((1, size, size, 3), np.float32))
    extractor(x)  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = extractor(x)
        np.asarray(out[objective.style_layers[-1]])
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def step_seconds(size: int, steps: int) -> float:
    content, style = test_images(size)
    stamps = []
    gatys.stylize(content, style, steps=steps, progress=lambda i, terms: stamps.append(time.perf_counter()))
    per_step = np.diff(stamps)[1:]  # the first steps include tracing
    return float(np.median(per_step))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--out", type=Path, default=Path("docs/bench/gatys.json"))
    args = parser.parse_args()

    rows = []
    for size in args.sizes:
        forward = forward_seconds(size)
        step = step_seconds(size, args.steps)
        rows.append({"size": size, "seconds_per_step": round(step, 3),
                     "vgg_forward_seconds": round(forward, 3), "step_over_forward": round(step / forward, 2)})
        print(f"{size} px: {step:.3f} s/step, VGG16 forward {forward:.3f} s, ratio {step / forward:.2f}", flush=True)

    result = {
        "benchmark": "gatys",
        "what": "median seconds per L-BFGS-B evaluation (forward + backward through VGG16 to relu5_1, "
                "Gram losses, optimiser), against one VGG16 forward pass on the same image",
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "backend": keras.backend.backend()},
        "objective": StyleObjective().as_dict(),
        "date": time.strftime("%Y-%m-%d"),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print("\n| size | s/step | VGG16 forward s | step / forward |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {r['seconds_per_step']} | {r['vgg_forward_seconds']} | {r['step_over_forward']} |")


if __name__ == "__main__":
    main()
