"""Benchmark: gallery-network training steps per second in each precision and compile mode.

One run times the project's own training step (:class:`convert.train.StyleTrainer`: the 12-style
network, the VGG16 loss network, Adam) in each mode, on the same batches, and sets every mode against
the reference of the same run, XLA float32 (what training used before precision was chosen):

* TensorFlow, XLA, float32;
* TensorFlow, graph mode (no XLA), float32, with oneDNN's kernels (what ``deepstyle`` turns on) and
  with TensorFlow's default Eigen kernels (``TF_ENABLE_ONEDNN_OPTS=0``);
* TensorFlow, graph mode, ``mixed_bfloat16`` (oneDNN runs bfloat16 convolutions on AMX or
  AVX512-BF16 where the CPU has them, and emulates them elsewhere);
* JAX (XLA), float32 and bfloat16, where JAX is installed;
* ``graph-float32-one-vgg``: graph mode, float32, with the loss network as training used it before
  2026-12-02, one VGG16 call on the stylised and photo batches together (so the backward pass also
  ran through the photos' half, and the photos went on to relu5_1 though only relu4_2 is needed).

``--modes`` times a subset; the first mode named is then the reference. Each mode runs in its own process, since the Keras backend and TensorFlow's kernel choice are fixed
when a process first imports them.
Also says what ``--precision auto`` picks on this machine and why. Writes docs/bench/training.json
and prints a Markdown table.

    .venv/bin/python scripts/bench/bench_training.py [--crop 128] [--batch 4] [--steps 8] [--out docs/bench/training.json]
    .venv/bin/python scripts/bench/bench_training.py --crop 256 --modes graph-float32-one-vgg graph-float32 \
        --out docs/bench/training-loss-network.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ONEDNN = {"TF_ENABLE_ONEDNN_OPTS": "1"}
MODES = {  # name: (precision, jit_compile, environment of its process)
    "xla-float32": ("float32", True, ONEDNN),
    "graph-float32": ("float32", False, ONEDNN),
    "graph-float32-eigen": ("float32", False, {"TF_ENABLE_ONEDNN_OPTS": "0"}),
    "graph-bfloat16": ("bfloat16", False, ONEDNN),
    "jax-float32": ("float32", True, {"KERAS_BACKEND": "jax"}),
    "jax-bfloat16": ("bfloat16", True, {"KERAS_BACKEND": "jax"}),
    "graph-float32-one-vgg": ("float32", False, ONEDNN),
}
DEFAULT_MODES = [name for name in MODES if name != "graph-float32-one-vgg"]
STYLES = 12


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def time_mode(name: str, prec: str, jit: bool, crop: int, batch: int, steps: int, warmup: int = 3) -> dict:
    """Median seconds of ``steps`` training steps after ``warmup`` (tracing and compiling) ones."""
    import keras
    import numpy as np

    from convert import networks, precision
    from convert.losses import StyleObjective
    from convert.train import CropBatches, StyleTrainer, style_grams

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    photos = [rng.integers(0, 256, (crop + 32, crop + 48, 3), dtype=np.uint8) for _ in range(8)]
    objective = StyleObjective()
    targets = style_grams(objective, [rng.uniform(0, 255, (96, 96, 3)).astype(np.float32) for _ in range(STYLES)])
    class OneVGG(StyleTrainer):
        """The former loss network: one VGG16 call on both batches, to the deepest tap."""

        def terms(self, content, style, stylized):
            n = keras.ops.shape(content)[0]
            features = self.extractor(keras.ops.concatenate([stylized, content], axis=0))
            grams = {k: keras.ops.einsum("bn,ncd->bcd", style, g) for k, g in self.style_grams.items()}
            return self.objective.terms(stylized, {k: v[:n] for k, v in features.items()},
                                        {k: v[n:] for k, v in features.items()}, grams)

    chosen = precision.resolve(prec)
    with precision.scope(chosen):
        trainer = (OneVGG if name == "graph-float32-one-vgg" else StyleTrainer)(
            networks.transformer(STYLES), objective, targets)
    trainer.compile(optimizer=keras.optimizers.Adam(1e-4), jit_compile=jit)
    data = CropBatches(photos, STYLES, batch, crop, warmup + steps, seed=0, first_step=10_000)
    times, losses = [], []
    for i in range(warmup + steps):
        x, y = data[i]
        started = time.perf_counter()
        loss = trainer.train_on_batch(x, y)
        elapsed = time.perf_counter() - started
        if i >= warmup:
            times.append(elapsed)
            losses.append(float(np.asarray(loss)))
    seconds = statistics.median(times)
    return {"mode": name, "backend": keras.backend.backend(), "precision": prec, "jit_compile": jit,
            "seconds_per_step": seconds, "images_per_second": batch / seconds, "steps": steps,
            "mean_loss": float(np.mean(losses))}


def run_mode(name: str, args) -> dict | None:
    """One mode in a subprocess with its environment; None for JAX where JAX is not installed."""
    env = {**os.environ, **MODES[name][2]}
    if env.get("KERAS_BACKEND") == "jax" and importlib.util.find_spec("jax") is None:
        return None
    cmd = [sys.executable, __file__, "--crop", str(args.crop), "--batch", str(args.batch), "--steps", str(args.steps),
           "--only", name]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["environment"] = MODES[name][2]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=8, help="timed steps per mode (default 8)")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=DEFAULT_MODES,
                        help="modes to time, the first the reference (default: all but graph-float32-one-vgg, "
                             "against xla-float32)")
    parser.add_argument("--out", type=Path, default=Path("docs/bench/training.json"))
    parser.add_argument("--only", help=argparse.SUPPRESS)  # inside a mode's subprocess
    args = parser.parse_args()

    if args.only:  # print the mode's result as one JSON line
        precision_name, jit, _ = MODES[args.only]
        print(json.dumps(time_mode(args.only, precision_name, jit, args.crop, args.batch, args.steps)))
        return 0

    from convert import precision

    results = []
    for name in args.modes:
        print(f"timing {name} ...", file=sys.stderr)
        if (result := run_mode(name, args)) is not None:
            results.append(result)
    reference = results[0]["seconds_per_step"]
    for r in results:
        r["speedup_vs_reference"] = reference / r["seconds_per_step"]
    auto = precision.detect()
    report = {
        "what": "one gallery training step (12-style network + VGG16 loss network + Adam), median seconds",
        "crop": args.crop, "batch": args.batch, "cpu": cpu_name(), "cores": os.cpu_count(),
        "bfloat16_cpu_flags": sorted(precision.cpu_flags() & {"amx_bf16", "avx512_bf16"}),
        "auto": {"precision": auto.name, "reason": auto.reason, "jit_compile": precision.jit_compile(auto)},
        "date": time.strftime("%Y-%m-%d"), "reference": results[0]["mode"], "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{report['cpu']}, {report['cores']} cores; bfloat16 flags: "
          f"{', '.join(report['bfloat16_cpu_flags']) or 'none'}; auto picks {auto.name} ({auto.reason})\n")
    print(f"| mode, {args.crop} px crops, batch {args.batch} | seconds a step | images a second | vs {results[0]['mode']} |")
    print("|---|---|---|---|")
    for r in results:
        print(f"| {r['mode']} | {r['seconds_per_step']:.2f} | {r['images_per_second']:.1f} | "
              f"{r['speedup_vs_reference']:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
