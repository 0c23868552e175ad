"""Benchmark: the arbitrary-style network (AdaIN) against the shipped gallery network, 512 x 512.

Target: a 512 x 512 AdaIN stylisation within 3x the time of a shipped fast network on the same
backend. Both are timed through the engine's public calls (``stylize``, ``stylizeAdain``; the engine in
Node on tfjs wasm, scripts/bench/bench_adain.mjs), on the same picture (scikit-image's astronaut), in
alternating runs after a warm-up; the figure is the ratio of medians. AdaIN is timed with the
shipped encoder (the student distilled from VGG16, :mod:`convert.distill`) and, in the same run, with
VGG16 itself to relu4_1 (exported here the way ``deepstyle export --adain --encoder vgg`` would,
uint8), so the distillation's gain is measured too. Multiply-adds per pixel are counted from the
Keras networks. Writes docs/bench/adain.json and prints a Markdown table.

    .venv/bin/python scripts/bench/bench_adain.py [--runs 5] [--size 512] [--style udnie]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import skimage.data  # noqa: E402
from PIL import Image  # noqa: E402

from convert import adain, distill, export, images, networks, train  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def decoder_multiply_adds_per_pixel(dec) -> float:
    """Multiply-adds of the decoder's convolutions per output pixel (features of an 8 x 8 grid -> 64 x 64)."""
    import keras

    convs = [layer for layer in dec.layers if isinstance(layer, keras.layers.Conv2D)]
    probe = keras.Model(dec.inputs, [layer.output for layer in convs])
    outputs = probe(np.zeros((1, 8, 8, dec.inputs[0].shape[-1]), np.float32))
    total = sum(np.prod(layer.kernel.shape) * out.shape[1] * out.shape[2] for layer, out in zip(convs, outputs))
    return float(total / (64 * 64))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--style", default="udnie", help="gallery style id (its shipped AdaIN statistics)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/bench/adain.json")
    args = parser.parse_args()

    manifest = json.loads((ROOT / "models/manifest.json").read_text())
    models = {m["id"]: m for m in manifest["models"]}
    style = next(s for s in manifest["styles"] if s["id"] == args.style)
    encoder_recipe = models["adain-encoder"]["recipe"]
    dec, _, _ = adain.load_run(ROOT / "checkpoints/adain")
    gallery, _, _ = train.load_run(ROOT / "checkpoints/gallery")
    decoder_macs = decoder_multiply_adds_per_pixel(dec)
    shipped_widths = encoder_recipe.get("widths", distill.teacher_widths())
    macs = {"gallery": networks.multiply_adds_per_pixel(gallery),
            "adain": distill.multiply_adds_per_pixel(shipped_widths) + decoder_macs,
            "adain_vgg16_encoder": distill.multiply_adds_per_pixel(distill.teacher_widths()) + decoder_macs}

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photo = Image.fromarray(skimage.data.astronaut()).resize((args.size, args.size), Image.LANCZOS).convert("RGBA")
        (tmp / "photo.rgba").write_bytes(np.asarray(photo).tobytes())
        encoders = {"adain": None}
        if "widths" in encoder_recipe:  # the shipped encoder is a student: time VGG16 beside it
            vgg_encoder = adain.relu4_1_encoder("vgg")
            export.save_graph_function(vgg_encoder, tmp / "vgg_saved", input_name="image", output_name="features", channels=3)
            export.convert_saved_model(tmp / "vgg_saved", tmp / "vgg", "uint8")
            painting = images.load_image(ROOT / models[style["model"]]["recipe"]["styles"][style["index"]], size=512)
            mean, std = adain.style_statistics(painting[None], vgg_encoder)["relu4_1"]
            (tmp / "vgg.bin").write_bytes(np.concatenate([np.asarray(mean, "<f4").ravel(), np.asarray(std, "<f4").ravel()]).tobytes())
            encoders["adain_vgg16_encoder"] = {"folder": str(tmp / "vgg"), "statistics": str(tmp / "vgg.bin")}
        config = {"image": str(tmp / "photo.rgba"), "width": args.size, "height": args.size, "style": args.style,
                  "runs": args.runs, "encoders": encoders, "out": str(tmp / "result.json")}
        (tmp / "config.json").write_text(json.dumps(config))
        subprocess.run(["node", str(ROOT / "scripts/bench/bench_adain.mjs"), str(tmp / "config.json")], cwd=ROOT, check=True)
        timing = json.loads((tmp / "result.json").read_text())

    base = timing["cases"]["gallery"]["median_ms"]
    rows = {name: {**case, "vs_gallery": round(case["median_ms"] / base, 2), "multiply_adds_per_pixel": round(macs[name]),
                   "gflop_per_frame": round(2 * macs[name] * args.size ** 2 / 1e9, 2)}
            for name, case in timing["cases"].items()}
    report = {"benchmark": "AdaIN vs the shipped gallery network, engine in Node", "date": datetime.date.today().isoformat(),
              "backend": timing["backend"], "tfjs": timing["tfjs"], "size": args.size, "runs": args.runs,
              "style": args.style, "photo": "skimage.data.astronaut, resized (Lanczos)",
              "encoder": encoder_recipe.get("encoder"), "encoder_widths": shipped_widths,
              "model_bytes": {k: models[k]["total_bytes"] for k in ("adain-encoder", "adain-decoder", style["model"])},
              "tensors_after": timing["tensors_after"], "cases": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"| network ({timing['backend']}, {args.size} x {args.size}) | median ms | vs gallery | multiply-adds per pixel | GFLOP a frame |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['median_ms']:,} | {r['vs_gallery']}x | {r['multiply_adds_per_pixel'] / 1000:.1f} k | {r['gflop_per_frame']} |")


if __name__ == "__main__":
    main()
