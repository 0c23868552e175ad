"""Print the deepstyle command that continues a run as its recipe.json records it, one word a line.

    python3 scripts/recipe_args.py RUN            # the subcommand (train or adain-train), then every option
    python3 scripts/recipe_args.py RUN KEY ...    # only those recipe keys' options (residual_blocks, upsample, ...)

scripts/train_background.sh resumes a run with the first form; scripts/gpu/gpu_train.sh, which
passes its own data paths, takes the settings it needs with the second. Standard library only, so
that it runs before any environment is set up. Exits 2 with a message for a recipe it cannot resume.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# recipe key -> option, per kind of run (the options of `deepstyle train` and `deepstyle adain-train`)
OPTIONS = {
    "gallery": {"photos": "--photos", "styles": "--styles", "steps": "--steps", "batch": "--batch", "crop": "--crop",
                "scale": "--scale", "learning_rate": "--lr", "ramp_steps": "--ramp-steps",
                "residual_blocks": "--residual-blocks", "residual_width": "--residual-width",
                "colour_head": "--colour-head", "seed": "--seed", "widths": "--widths",
                "style_scales": "--style-scales", "style_draws": "--style-draws",
                "content_weight": "--content-weight",
                "style_weight": "--style-weight", "tv_weight": "--tv-weight", "init_from": "--from"},
    "adain": {"photos": "--photos", "styles": "--styles", "holdout": "--holdout", "steps": "--steps",
              "batch": "--batch", "crop": "--crop", "scale": "--scale", "learning_rate": "--lr",
              "style_weight": "--style-weight", "tv_weight": "--tv-weight", "block_weight": "--block-weight",
              "style_layers": "--style-layers", "anchor_weight": "--anchor-weight",
              "tone_weight": "--tone-weight", "widths": "--widths", "seed": "--seed", "upsample": "--upsample",
              "init_from": "--from"},
}
# A gallery run started with --from takes its styles and widths from its base (its style scales are
# its own: with --from and no new styles, --style-scales replaces the base's).
FROM_BASE = ("styles", "widths")


def recipe_args(run: Path, keys: list[str] | None = None) -> list[str]:
    path = Path(run) / "recipe.json"
    try:
        recipe = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise SystemExit(f"{path}: cannot read the recipe ({error})") from None
    kind = recipe.get("kind") or ("adain" if "holdout" in recipe else "gallery")
    if kind not in OPTIONS:
        raise SystemExit(f"{path}: a {kind} run; only gallery and adain runs resume this way")
    flat = {**recipe, **recipe.get("objective", {})}
    if kind == "gallery" and flat.get("init_from") and flat.get("train_styles"):
        raise SystemExit(f"{path}: a run that adds or retrains styles; resume it with deepstyle train --from as it was started")
    unknown = [k for k in keys or [] if k not in OPTIONS[kind]]
    if unknown:
        raise SystemExit(f"{path}: no option for {', '.join(unknown)} in a {kind} run")
    words = [] if keys else [{"gallery": "train", "adain": "adain-train"}[kind]]
    for key in keys or OPTIONS[kind]:
        value = flat.get(key)
        if value is None or value is False or value == [] or (keys is None and kind == "gallery" and flat.get("init_from")
                                            and key in FROM_BASE):
            continue
        if value is True:  # a flag
            words.append(OPTIONS[kind][key])
            continue
        words += [OPTIONS[kind][key], *map(str, value if isinstance(value, list) else [value])]
    return words


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    try:
        words = recipe_args(Path(argv[0]), argv[1:] or None)
        if words:  # nothing at all for no options, which a shell reads as no words
            print("\n".join(words))
    except SystemExit as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
