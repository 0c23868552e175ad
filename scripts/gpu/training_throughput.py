"""How fast a training session ran: steps, images and TFLOP a second, from a run folder's log.

Reads RUN/log.jsonl: the last session record (written when training starts: batch, crop, precision)
and the loss records after it, timed by their stamps (the first one, which includes compiling, is
left out). The work per training image is counted from the networks' convolutions
(:func:`convert.networks.multiply_adds_per_pixel`), two FLOP per multiply-add:

* the style network, forward and backward (weights and inputs): 3 passes;
* the VGG16 loss network, forward on the output and on the photo, backward to the output's
  pixels only (its weights are frozen): 3 passes.

    .venv/bin/python scripts/gpu/training_throughput.py checkpoints/gallery
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def session_rate(run: Path) -> dict | None:
    """{steps, seconds, batch, crop, precision} of the run's last session, or None if it logged too little."""
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()]
    starts = [i for i, r in enumerate(records) if "session" in r]
    if not starts:
        return None
    session = records[starts[-1]]["session"]
    losses = [r for r in records[starts[-1] + 1:] if "loss" in r]
    if len(losses) < 3:
        return None
    first, last = losses[1], losses[-1]
    return {**session, "steps": last["step"] - first["step"], "seconds": last["time"] - first["time"]}


def flop_per_image(run: Path, crop: int) -> float:
    from convert import networks, vgg
    from convert.train import load_run

    transformer, recipe, _ = load_run(run)
    loss_network = vgg.feature_extractor(recipe.style_objective().taps)
    per_pixel = 3 * networks.multiply_adds_per_pixel(transformer) + 3 * networks.multiply_adds_per_pixel(loss_network)
    return 2 * per_pixel * crop * crop


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    run = Path(sys.argv[1])
    rate = session_rate(run)
    if rate is None or rate["seconds"] <= 0:
        print(f"{run}: no session with enough logged steps to time", file=sys.stderr)
        return 1
    steps_per_second = rate["steps"] / rate["seconds"]
    images = steps_per_second * rate["batch"]
    tflops = images * flop_per_image(run, rate["crop"]) / 1e12
    print(f"{run}: {steps_per_second:.2f} steps/s, {images:.1f} images/s ({rate['crop']} px crops, batch "
          f"{rate['batch']}, {rate['precision']}, {rate['backend']}), {tflops:.2f} TFLOP/s achieved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
