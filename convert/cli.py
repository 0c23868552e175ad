"""The ``deepstyle`` command line.

Every subcommand checks its inputs (files readable as images, output path writable, numbers in
range) before any model is built, and reports a problem as one line on stderr with exit status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import images

PROG = "deepstyle"
#: the trained runs that ship with the project (committed checkpoints)
CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"

#: StyleObjective's default weights, repeated here so that --help needs no TensorFlow import
#: (tests/test_cli.py checks they agree).
OBJECTIVE_DEFAULTS = {"content_weight": 1.0, "style_weight": 20.0, "tv_weight": 10.0}


class UsageError(Exception):
    """A problem with the user's input, reported as one line."""


def _whole_number(minimum: int):
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


_positive_int = _whole_number(1)
_count = _whole_number(0)


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _positive(text: str) -> float:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _size(text: str) -> int:
    value = _positive_int(text)
    if not 16 <= value <= 4096:
        raise argparse.ArgumentTypeError(f"must be between 16 and 4096 pixels, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    # No TensorFlow/Keras import here: --help, usage errors and bad files must answer in a
    # fraction of a second, with nothing but our one line on stderr. The weights default to None
    # and are filled from StyleObjective's defaults once the inputs have been checked.
    parser = argparse.ArgumentParser(
        prog=PROG, description="Deep Style: neural style transfer, trained here and run in the browser."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = sub.add_parser(
        "gatys",
        help="stylize a photo by optimisation (Gatys et al. 2016): slow, the quality reference",
        description="Optimise an image so that its VGG16 features match CONTENT's and its Gram "
        "statistics match STYLE's (Gatys, Ecker & Bethge 2016), with L-BFGS-B.",
    )
    g.add_argument("content", type=Path, help="the photo (JPEG, PNG, WebP, ...)")
    g.add_argument("style", type=Path, help="the painting whose style to transfer")
    g.add_argument("-o", "--output", type=Path, required=True, help="output image (.png, .jpg or .webp)")
    g.add_argument("--size", type=_size, default=512, help="longer side of the output in pixels (default 512)")
    g.add_argument("--style-scale", type=_positive, default=1.0,
                   help="style image's longer side as a multiple of --size (default 1.0); smaller gives finer strokes")
    g.add_argument("--steps", type=_positive_int, default=300, help="L-BFGS evaluations (default 300)")
    g.add_argument("--content-weight", type=_non_negative,
                   help=f"weight of the content loss (default {OBJECTIVE_DEFAULTS['content_weight']:g})")
    g.add_argument("--style-weight", type=_non_negative,
                   help=f"weight of the style loss (default {OBJECTIVE_DEFAULTS['style_weight']:g}); higher paints more")
    g.add_argument("--tv-weight", type=_non_negative,
                   help=f"weight of the total-variation smoothing (default {OBJECTIVE_DEFAULTS['tv_weight']:g})")
    g.add_argument("--preserve-color", action="store_true",
                   help="keep the photo's colours: luminance-only transfer (Gatys et al. 2017)")
    g.add_argument("--init", choices=("content", "noise"), default="content",
                   help="start from the photo (default) or from seeded noise")
    g.add_argument("--seed", type=int, default=0, help="seed for --init noise (default 0)")
    g.add_argument("--report", type=Path, help="also write the settings and final losses as JSON here")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_precision_option(g)
    g.set_defaults(handler=run_gatys)

    t = sub.add_parser(
        "train",
        help="train (or resume) a multi-style fast network (Johnson et al. 2016, Dumoulin et al. 2017)",
        description="Train one feed-forward network for several styles at once with conditional "
        "instance norm. Re-running the same command resumes from the run folder's last checkpoint.",
    )
    t.add_argument("--photos", type=Path, required=True, help="folder of content photos")
    t.add_argument("--styles", type=Path, nargs="+", required=True,
                   help="style images, or one folder of them (its MANIFEST.tsv order if it has one)")
    t.add_argument("--run", type=Path, required=True, help="run folder: checkpoints, logs, renders")
    t.add_argument("--steps", type=_positive_int, default=20000, help="total steps (default 20000)")
    t.add_argument("--batch", type=_positive_int, default=4)
    t.add_argument("--crop", type=_size, default=128, help="training crop in pixels (default 128)")
    t.add_argument("--scale", type=_size, default=384,
                   help="longer side photos and styles are seen at: the evaluation size (default 384)")
    t.add_argument("--lr", type=_positive, default=1e-3, help="Adam learning rate (default 1e-3)")
    t.add_argument("--ramp-steps", type=_positive_int, default=300,
                   help="steps over which the style weight rises from 0 (default 300)")
    t.add_argument("--widths", type=_positive_int, nargs=3, default=None, metavar="C",
                   help="channels of the three resolutions (default 16 32 64)")
    t.add_argument("--residual-blocks", type=_positive_int, default=None)
    t.add_argument("--content-weight", type=_non_negative)
    t.add_argument("--style-weight", type=_non_negative)
    t.add_argument("--tv-weight", type=_non_negative)
    t.add_argument("--style-scales", type=_non_negative, nargs="+", metavar="S",
                   help="multiply the style weight per style, one number per style in --styles order (with "
                   "--from: per new style); may change when a run resumes (default: all 1)")
    _add_run_options(t, render_every=250)
    t.add_argument("--from", dest="base", type=Path, metavar="RUN",
                   help="fine-tune: add --styles to the trained run RUN (its network, recipe and styles); only "
                   "the new styles' normalisation parameters train (Dumoulin et al. 2017)")
    t.add_argument("--train-all", action="store_true", help="with --from: train the shared weights too")
    t.set_defaults(handler=run_train)

    a = sub.add_parser(
        "adain-train",
        help="train (or resume) the decoder of the arbitrary-style network (Huang & Belongie 2017)",
        description="Train the AdaIN decoder on photos and style images. Re-running the same command "
        "resumes from the run folder's last checkpoint.",
    )
    a.add_argument("--photos", type=Path, required=True, help="folder of content photos")
    a.add_argument("--styles", type=Path, nargs="+", required=True, help="folders or files of style images")
    a.add_argument("--holdout", nargs="*", default=[], metavar="NAME",
                   help="file names of style images never to train on (rendered as validation styles)")
    a.add_argument("--run", type=Path, required=True, help="run folder: checkpoints, logs, renders")
    a.add_argument("--steps", type=_positive_int, default=20000, help="total steps (default 20000)")
    a.add_argument("--batch", type=_positive_int, default=8)
    a.add_argument("--crop", type=_size, default=256, help="training crop in pixels (default 256)")
    a.add_argument("--scale", type=_size, default=384, help="longer side images are seen at (default 384)")
    a.add_argument("--lr", type=_positive, default=1e-4, help="Adam learning rate (default 1e-4)")
    a.add_argument("--style-weight", type=_non_negative, default=10.0, help="default 10")
    a.add_argument("--tv-weight", type=_non_negative, default=0.0, help="default 0")
    a.add_argument("--widths", type=_positive_int, nargs=3, default=None, metavar="C",
                   help="decoder channels (default 128 64 32)")
    _add_run_options(a, render_every=500)
    a.set_defaults(handler=run_adain_train)

    d = sub.add_parser(
        "adain-distill",
        help="distil a slim encoder from VGG16 for the arbitrary-style network (channel pruning, then fine-tuning)",
        description="Make a VGG16-shaped encoder with fewer channels whose relu4_1 imitates VGG16's: "
        "channels pruned with least-squares reconstruction (He et al. 2017), then fine-tuned on crops of "
        "photos and style images. Re-running the same command resumes from the run folder's last checkpoint.",
    )
    d.add_argument("--photos", type=Path, required=True, help="folder of photos")
    d.add_argument("--styles", type=Path, nargs="+", required=True, help="folders or files of style images")
    d.add_argument("--holdout", nargs="*", default=[], metavar="NAME", help="file names of style images not to use")
    d.add_argument("--run", type=Path, required=True, help="run folder: checkpoints, logs")
    d.add_argument("--widths", type=_positive_int, nargs=7, default=None, metavar="C",
                   help="channels of the seven layers before relu4_1 (default 32 32 64 64 128 128 128; VGG16: 64 64 128 128 256 256 256)")
    d.add_argument("--steps", type=_positive_int, default=4000, help="fine-tuning steps (default 4000)")
    d.add_argument("--batch", type=_positive_int, default=4, help="photos, and as many style crops, per step (default 4)")
    d.add_argument("--crop", type=_size, default=128, help="training crop in pixels (default 128)")
    d.add_argument("--scale", type=_size, default=256, help="longer side images are seen at (default 256)")
    d.add_argument("--lr", type=_positive, default=1e-4, help="Adam learning rate (default 1e-4)")
    d.add_argument("--prune-images", type=_positive_int, default=96, help="crops the pruning is fitted on (default 96)")
    d.add_argument("--save-every-min", type=_positive, default=5.0, help="checkpoint interval in minutes (default 5)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--time-limit-min", type=_positive, metavar="MIN",
                   help="stop (and save) after this many minutes of training, whatever the step")
    _add_precision_option(d)
    d.set_defaults(handler=run_adain_distill)

    x = sub.add_parser(
        "export",
        help="export a trained multi-style network to TensorFlow.js and record it in models/manifest.json",
        description="Convert a run's latest checkpoint to a quantised TensorFlow.js graph model in "
        "MODELS/ID/, render each style's thumbnail with the model, and add the model and its styles "
        "(title, artist, year, licence, evaluation figures) to MODELS/manifest.json.",
    )
    x.add_argument("--run", type=Path, required=True, help="training run folder (its latest checkpoint)")
    x.add_argument("--id", default="gallery", help="model id: lower-case letters, digits and '-' (default gallery)")
    x.add_argument("--models", type=Path, default=Path("models"), help="models folder (default models)")
    x.add_argument("--quantize", choices=("float16", "uint8", "none"), default=None,
                   help="weight quantisation (default float16; uint8 with --adain)")
    x.add_argument("--eval", type=Path, help="a `deepstyle eval` JSON whose per-style figures go in the manifest")
    x.add_argument("--sample", type=Path,
                   help="photo for the thumbnails (default: scikit-image's astronaut, if installed)")
    x.add_argument("--thumb-size", type=_size, default=256, help="thumbnail longer side (default 256)")
    x.add_argument("--adain", action="store_true",
                   help="the run is an AdaIN decoder run: export encoder and decoder (ids adain-encoder, "
                   "adain-decoder; default quantisation uint8)")
    x.add_argument("--encoder", default=str(CHECKPOINTS / "adain-encoder"), metavar="RUN",
                   help="with --adain: the encoder to ship, an `adain-distill` run folder (default: the shipped "
                   "checkpoints/adain-encoder) or 'vgg' for VGG16 itself")
    x.set_defaults(handler=run_export)

    e = sub.add_parser(
        "eval",
        help="score a trained network against Gatys optimisation of the same objective",
        description="For every photo and style: the network's content and style losses, the "
        "unstylised photo's, and those of a Gatys optimisation (L-BFGS) of the same objective at the "
        "same size; writes JSON. Gatys results are cached (--cache) since each costs minutes.",
    )
    e.add_argument("--run", type=Path, required=True, help="training run folder (its latest checkpoint)")
    e.add_argument("--photos", type=Path, required=True, help="folder of photos, e.g. ones never trained on")
    e.add_argument("--size", type=_size, default=None,
                   help="longer side for photos and styles (default: the run's training scale)")
    e.add_argument("--gatys-steps", type=_count, default=300, help="L-BFGS steps of the reference (0: none)")
    e.add_argument("--gatys-photos", type=_count, default=None,
                   help="run the reference on the first N photos only (default: all)")
    e.add_argument("--max-photos", type=_positive_int, default=None, help="use the first N photos only")
    e.add_argument("--cache", type=Path, default=Path("docs/eval/gatys_cache.json"),
                   help="JSON cache of Gatys results (default docs/eval/gatys_cache.json)")
    e.add_argument("--cached-only", action="store_true",
                   help="use Gatys references from the cache only; compute none (e.g. after a GPU run)")
    e.add_argument("--encoder", default=None, metavar="RUN",
                   help="for an AdaIN run: the encoder, an `adain-distill` run folder (default: the shipped "
                   "checkpoints/adain-encoder) or 'vgg' for VGG16 itself")
    e.add_argument("-o", "--output", type=Path, required=True, help="results .json")
    _add_precision_option(e, default="float32")
    e.set_defaults(handler=run_eval)

    y = sub.add_parser(
        "stylize",
        help="paint photos with a trained network: a gallery style by id, or any picture (AdaIN)",
        description="Paint each PHOTO in a style: a gallery painting by its id (the multi-style network "
        "of --run) or any picture as the style (the arbitrary-style AdaIN network of --adain-run). "
        "Every photo is checked first; unreadable ones are reported and skipped, the others are painted "
        "(exit status 1 if any were skipped, 2 if none could be used).",
    )
    y.add_argument("photos", nargs="+", type=Path, metavar="PHOTO", help="photos to paint")
    y.add_argument("--style", required=True,
                   help="a gallery style id (e.g. great-wave) or the path of any picture to use as the style")
    y.add_argument("-o", "--output", type=Path, required=True,
                   help="output image (.png/.jpg/.webp) for one photo, or a folder for several")
    y.add_argument("--size", type=_size, default=1024, help="longer side to paint at, never enlarging (default 1024)")
    y.add_argument("--strength", type=_non_negative, default=1.0,
                   help="0 = the photo, 1 = fully painted (default 1); for AdaIN this is alpha")
    y.add_argument("--preserve-color", action="store_true", help="keep the photo's colours (Gatys et al. 2017)")
    y.add_argument("--run", type=Path, default=CHECKPOINTS / "gallery",
                   help="multi-style training run (default: the shipped checkpoints/gallery)")
    y.add_argument("--adain-run", type=Path, default=CHECKPOINTS / "adain",
                   help="AdaIN decoder run for picture styles (default: the shipped checkpoints/adain)")
    y.add_argument("--encoder", default=str(CHECKPOINTS / "adain-encoder"), metavar="RUN",
                   help="AdaIN encoder: an `adain-distill` run folder (default: the shipped checkpoints/adain-encoder) "
                   "or 'vgg' for VGG16 itself")
    y.set_defaults(handler=run_stylize)
    return parser


def run_eval(args) -> int:
    _check_report_path(args.output)
    if not args.photos.is_dir():
        raise UsageError(f"{args.photos}: not a folder of photos")
    if not (args.run / "state.json").exists() or not (args.run / "recipe.json").exists():
        raise UsageError(f"{args.run}: no training run with a checkpoint (recipe.json, state.json) here")
    saved = json.loads((args.run / "recipe.json").read_text())
    if "prune_images" in saved:
        raise UsageError(f"{args.run} is an encoder run: pass the AdaIN decoder run as --run and this one as --encoder")
    is_adain = "holdout" in saved
    if not is_adain and args.encoder is not None:
        raise UsageError("--encoder applies to AdaIN runs only")
    args.encoder = args.encoder or str(CHECKPOINTS / "adain-encoder")
    encoder_run = _encoder_run(args.encoder) if is_adain and args.encoder != "vgg" else None
    if is_adain:  # an AdaIN run is evaluated on the styles it never trained on
        sources = [Path(s) for s in saved["styles"]]
        recipe_styles = [p for src in sources for p in (images.list_images(src) if src.is_dir() else [src])
                         if p.name in set(saved["holdout"])]
        if not recipe_styles:
            raise UsageError(f"{args.run}: its held-out styles are not found in {', '.join(saved['styles'])}")
    else:
        recipe_styles = saved["styles"]
    for style in recipe_styles:
        images.load_image(style, size=16)  # the run's paintings must still be where it trained on them
    photos = images.list_images(args.photos)[: args.max_photos]
    if not photos:
        raise UsageError(f"{args.photos}: no images")
    for photo in photos:
        images.load_image(photo, size=16)

    import numpy as np

    from . import networks, precision
    from .evaluate import GatysCache, evaluate
    from .train import load_run

    chosen = precision.resolve(args.precision)
    print(chosen.note, file=sys.stderr)
    if is_adain:
        from . import adain
        from .losses import StyleObjective

        with precision.scope(chosen):
            decoder, recipe, step = adain.load_run(args.run)
            encode = adain.relu4_1_encoder(encoder_run) if encoder_run else None  # None: VGG16 itself
        size = args.size or recipe.scale
        stats = [adain.style_statistics(images.load_image(p, size=size)[None], encode) for p in recipe_styles]

        def stylize_one(photo, s):
            return adain.stylize(decoder, photo, stats[s], encode=encode)

        objective = StyleObjective()  # the same figures as the fast networks: Gatys's Gram objective
    else:
        with precision.scope(chosen):
            transformer, recipe, step = load_run(args.run)
        eye = np.eye(len(recipe.styles), dtype=np.float32)
        size = args.size or recipe.scale

        def stylize_one(photo, s):
            return networks.stylize(transformer, photo, eye[s])

        objective = recipe.style_objective()
    results = evaluate(stylize_one, photos,
                       [Path(s) for s in recipe_styles], size=size,
                       objective=objective,
                       gatys_steps=args.gatys_steps, gatys_photos=args.gatys_photos,
                       cache=GatysCache(args.cache), log=lambda m: print(m, file=sys.stderr),
                       gatys_compute=not args.cached_only, precision_choice=chosen.name)
    from . import vgg

    results["run"] = {"folder": str(args.run), "step": step}
    results["precision"] = chosen.name
    if is_adain:
        results["run"]["encoder"] = str(args.encoder)
    results["loss_network"] = {"weights": str(vgg.weights_path()), "digest": vgg.weights_digest()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    overall = results["summary"]["overall"]
    print(f"wrote {args.output}: {overall['pairs']} pairs, content {overall['content']:.3f}, style loss "
          f"{100 * overall['style_fraction']:.0f}% of the photo's (worst {100 * overall['max_style_fraction']:.0f}%), "
          f"block figure {overall['block_figure']:.2f} (the photos' {overall['photo_block_figure']:.2f})"
          + (f", {overall['ratio_to_gatys']:.2f}x Gatys-{args.gatys_steps} on {overall['gatys_pairs']} pairs"
             if "ratio_to_gatys" in overall else "")
          + (f"; Gatys reached the network's loss after {_evaluations(overall['gatys_steps_to_match_median'])} "
             f"of its {args.gatys_steps} L-BFGS evaluations (median of {overall['gatys_trajectories']} pairs)"
             if "gatys_steps_to_match_median" in overall else "")
          + ("; it was within " + ", ".join(f"{r}x of its final loss after {_evaluations(w['median'])}"
                                          for r, w in overall["gatys_steps_within"].items())
             if "gatys_steps_within" in overall else ""))
    return 0


def _evaluations(steps: int | None) -> str:
    return "more than all" if steps is None else str(steps)


def style_files(paths: list[Path]) -> list[Path]:
    """Style images from the command line: files as given, or a folder's images (MANIFEST.tsv order)."""
    if len(paths) == 1 and paths[0].is_dir():
        folder = paths[0]
        manifest = folder / "MANIFEST.tsv"
        if manifest.exists():
            names = [line.split("\t")[0] for line in manifest.read_text().splitlines()[1:] if line.strip()]
            return [folder / name for name in names]
        return images.list_images(folder)
    return list(paths)


def run_train(args) -> int:
    styles = style_files(args.styles)
    for style in styles:  # every input checked before minutes of loading and compiling
        images.load_image(style, size=64)
    if not args.photos.is_dir():
        raise UsageError(f"{args.photos}: not a folder of photos")
    if args.val_photos is not None and not args.val_photos.is_dir():
        raise UsageError(f"{args.val_photos}: not a folder of photos")
    if args.crop > args.scale:
        raise UsageError(f"--crop {args.crop} is larger than --scale {args.scale}")
    if args.crop % 8:
        raise UsageError(f"--crop {args.crop} must be a multiple of 8 (the network's strided layers)")
    args.run.mkdir(parents=True, exist_ok=True)
    if not os.access(args.run, os.W_OK):
        raise UsageError(f"{args.run}: cannot write to the run folder")

    if args.style_scales is not None and len(args.style_scales) != len(styles):  # with --from: the new styles
        raise UsageError(f"--style-scales: {len(args.style_scales)} numbers for {len(styles)} "
                         f"{'new ' if args.base is not None else ''}styles")

    from . import networks
    from .losses import StyleObjective
    from .train import Recipe, RecipeMismatch, train

    weights = {"content_weight": args.content_weight, "style_weight": args.style_weight,
               "tv_weight": args.tv_weight}
    if args.base is not None:
        import dataclasses

        from .train import load_run

        try:
            _, base, _ = load_run(args.base)
        except FileNotFoundError as error:
            raise UsageError(str(error)) from None
        objective = base.style_objective()
        if any(v is not None for v in weights.values()):
            objective = dataclasses.replace(objective, **{k: v for k, v in weights.items() if v is not None})
        n_base = len(base.styles)
        scales = list(base.style_scales or [1.0] * n_base) + list(args.style_scales or [1.0] * len(styles))
        recipe = dataclasses.replace(
            base, styles=list(base.styles) + [str(s) for s in styles], photos=str(args.photos), steps=args.steps,
            batch=args.batch, crop=args.crop, scale=args.scale, learning_rate=args.lr, ramp_steps=args.ramp_steps,
            objective=objective.as_dict(), seed=args.seed, init_from=str(args.base),
            train_styles=list(range(n_base, n_base + len(styles))), freeze_shared=not args.train_all,
            style_scales=scales if args.style_scales is not None or base.style_scales else None)
        return _train(recipe, args)
    objective = StyleObjective(**{k: v for k, v in weights.items() if v is not None})
    recipe = Recipe(
        styles=[str(s) for s in styles], photos=str(args.photos), steps=args.steps, batch=args.batch,
        crop=args.crop, scale=args.scale, learning_rate=args.lr, ramp_steps=args.ramp_steps,
        widths=tuple(args.widths or networks.DEFAULT_WIDTHS),
        residual_blocks=args.residual_blocks or networks.DEFAULT_RESIDUAL_BLOCKS,
        objective=objective.as_dict(), seed=args.seed, style_scales=args.style_scales,
    )
    return _train(recipe, args)


def _train(recipe, args) -> int:
    from .train import RecipeMismatch, train

    started = time.monotonic()
    try:
        step = train(recipe, args.run, val_folder=args.val_photos, save_every=60 * args.save_every_min,
                     render_every=args.render_every, time_limit=_seconds(args.time_limit_min),
                     precision_choice=args.precision)
    except RecipeMismatch as error:
        raise UsageError(str(error)) from None
    print(f"trained to step {step} in {(time.monotonic() - started) / 60:.1f} minutes; checkpoint in {args.run}")
    return 0


def _add_run_options(parser, render_every: int) -> None:
    """Options every training command shares: validation renders, checkpoints, seed, time limit."""
    parser.add_argument("--val-photos", type=Path, help="folder of validation photos rendered every --render-every steps")
    parser.add_argument("--render-every", type=_positive_int, default=render_every)
    parser.add_argument("--save-every-min", type=_positive, default=5.0, help="checkpoint interval in minutes (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit-min", type=_positive, metavar="MIN",
                        help="stop (and save) after this many minutes of training, whatever the step")
    _add_precision_option(parser)


def _add_precision_option(parser, default: str = "auto") -> None:
    what = ("auto: bfloat16 where the CPU or GPU has bfloat16 units, else float32" if default == "auto" else
            "float32, so that figures compare across machines: bfloat16 scored the style term about 2% lower")
    parser.add_argument("--precision", choices=("auto", "bfloat16", "float32"), default=default,
                        help=f"bfloat16 mixed precision or float32 (default {what})")


def run_export(args) -> int:
    import re

    args.quantize_set = args.quantize is not None
    args.quantize = args.quantize or "float16"

    import numpy as np

    if args.adain:
        if not (args.run / "state.json").exists() or not (args.run / "recipe.json").exists():
            raise UsageError(f"{args.run}: no training run with a checkpoint (recipe.json, state.json) here")
        if "prune_images" in json.loads((args.run / "recipe.json").read_text()):
            raise UsageError(f"{args.run} is an encoder run: pass the AdaIN decoder run as --run and this one as --encoder")
        encoder_run = None if args.encoder == "vgg" else _encoder_run(args.encoder)
        args.models.mkdir(parents=True, exist_ok=True)
        from . import manifest

        quantize = {"none": None, "float16": "float16", "uint8": "uint8"}[args.quantize if args.quantize_set else "uint8"]
        try:
            manifest.export_adain(args.run, args.models, quantize, encoder_run=encoder_run)
        except manifest.ManifestError as error:
            raise UsageError(f"{args.models / 'manifest.json'}: {error}") from None
        return 0
    if not re.fullmatch(r"[a-z0-9-]+", args.id):
        raise UsageError(f"--id {args.id!r}: use lower-case letters, digits and '-'")
    if not (args.run / "state.json").exists() or not (args.run / "recipe.json").exists():
        raise UsageError(f"{args.run}: no training run with a checkpoint (recipe.json, state.json) here")
    evaluation = None
    if args.eval is not None:
        try:
            results = json.loads(args.eval.read_text())
            results["summary"]["per_style"]
        except (OSError, ValueError, KeyError, TypeError):
            raise UsageError(f"{args.eval}: not a `deepstyle eval` results file") from None
    if args.sample is not None:
        sample = images.load_image(args.sample, size=args.thumb_size * 2)
        credit = args.sample.name
    else:
        try:
            import skimage.data
        except ImportError:
            raise UsageError("--sample PHOTO is needed (scikit-image, whose astronaut is the default, is not "
                             "installed)") from None
        from PIL import Image

        im = Image.fromarray(skimage.data.astronaut())
        im.thumbnail((args.thumb_size * 2,) * 2, Image.LANCZOS)
        sample = np.asarray(im, np.float32)
        credit = "scikit-image's astronaut (Eileen Collins, NASA, public domain), stylised by the model"
    args.models.mkdir(parents=True, exist_ok=True)

    from . import manifest

    if args.eval is not None:
        evaluation = manifest.style_evaluation(results)
    try:
        manifest.export_multi_style(args.run, args.models, args.id, None if args.quantize == "none" else args.quantize,
                                    sample, credit, evaluation, args.thumb_size)
    except manifest.ManifestError as error:
        raise UsageError(f"{args.models / 'manifest.json'}: {error}") from None
    return 0


def _seconds(minutes: float | None) -> float | None:
    return None if minutes is None else 60.0 * minutes


def _check_photos_and_styles(args) -> None:
    """What adain-train and adain-distill both take: photos, style sources, crop and held-out names."""
    if not args.photos.is_dir():
        raise UsageError(f"{args.photos}: not a folder of photos")
    for source in args.styles:
        if not source.exists():
            raise UsageError(f"{source}: no such file or folder")
    if args.crop > args.scale:
        raise UsageError(f"--crop {args.crop} is larger than --scale {args.scale}")
    if args.crop % 8:
        raise UsageError(f"--crop {args.crop} must be a multiple of 8 (the encoder's poolings)")
    known = {p.name for source in args.styles for p in (images.list_images(source) if source.is_dir() else [source])}
    unknown = [name for name in args.holdout if name not in known]
    if unknown:
        raise UsageError(f"--holdout: no style image named {unknown[0]}")


def run_adain_train(args) -> int:
    _check_photos_and_styles(args)
    if args.val_photos is not None and not args.val_photos.is_dir():
        raise UsageError(f"{args.val_photos}: not a folder of photos")
    args.run.mkdir(parents=True, exist_ok=True)

    from . import adain
    from .train import RecipeMismatch
    recipe = adain.AdaINRecipe(
        photos=str(args.photos), styles=[str(s) for s in args.styles], holdout=list(args.holdout),
        steps=args.steps, batch=args.batch, crop=args.crop, scale=args.scale, learning_rate=args.lr,
        style_weight=args.style_weight, tv_weight=args.tv_weight,
        widths=tuple(args.widths or adain.DEFAULT_DECODER_WIDTHS), seed=args.seed)
    try:
        step = adain.train_adain(recipe, args.run, val_folder=args.val_photos,
                                 save_every=60 * args.save_every_min, render_every=args.render_every,
                                 time_limit=_seconds(args.time_limit_min), precision_choice=args.precision)
    except RecipeMismatch as error:
        raise UsageError(str(error)) from None
    print(f"trained to step {step}; checkpoint in {args.run}")
    return 0


def run_adain_distill(args) -> int:
    _check_photos_and_styles(args)
    from . import distill
    from .train import RecipeMismatch

    recipe = distill.DistillRecipe(
        photos=str(args.photos), styles=[str(s) for s in args.styles], holdout=list(args.holdout),
        widths=tuple(args.widths or distill.DEFAULT_WIDTHS), steps=args.steps, batch=args.batch,
        crop=args.crop, scale=args.scale, learning_rate=args.lr, prune_images=args.prune_images, seed=args.seed)
    started = time.monotonic()
    try:
        step = distill.distill(recipe, args.run, save_every=60 * args.save_every_min,
                               time_limit=_seconds(args.time_limit_min), precision_choice=args.precision)
    except RecipeMismatch as error:
        raise UsageError(str(error)) from None
    print(f"distilled to step {step} in {(time.monotonic() - started) / 60:.1f} minutes; checkpoint in {args.run}")
    return 0


def _encoder_run(value: str) -> Path:
    from .paint import PaintError, encoder_run

    try:
        return encoder_run(value)
    except PaintError as error:
        raise UsageError(f"--{error}") from None


def _check_report_path(path: Path | None) -> None:
    if path is None:
        return
    if path.suffix.lower() != ".json":
        raise UsageError(f"{path}: the report must be a .json file")
    if path.is_dir():
        raise UsageError(f"{path}: is a directory")


def run_gatys(args) -> int:
    # Inputs first: a bad file fails in a second, not after minutes of optimisation.
    images.check_output_path(args.output)
    _check_report_path(args.report)
    style_size = max(16, round(args.size * args.style_scale))
    if style_size > 4096:
        raise UsageError(f"--style-scale {args.style_scale:g} with --size {args.size} makes the style "
                         f"image {style_size} pixels on its longer side; the limit is 4096")
    content = images.load_image(args.content, size=args.size)
    style = images.load_image(args.style, size=style_size)

    from tqdm import tqdm

    from . import gatys
    from .losses import StyleObjective

    weights = {"content_weight": args.content_weight, "style_weight": args.style_weight,
               "tv_weight": args.tv_weight}
    objective = StyleObjective(**{name: value for name, value in weights.items() if value is not None})
    h, w = content.shape[:2]
    bar = tqdm(total=args.steps, desc=f"gatys {w}x{h}", unit="step", disable=args.quiet, file=sys.stderr,
               dynamic_ncols=True)

    def progress(i, terms):
        bar.update(1)
        bar.set_postfix(loss=f"{terms['total']:.4g}", content=f"{terms['content']:.3g}",
                        style=f"{terms['style']:.3g}", refresh=False)

    try:
        result = gatys.stylize(content, style, objective, steps=args.steps, init=args.init, seed=args.seed,
                               preserve_color=args.preserve_color, progress=progress,
                               precision_choice=args.precision)
    finally:
        bar.close()
    images.save_image(args.output, result.image)

    final, start = result.losses, result.initial_losses
    print(f"wrote {args.output} ({w}x{h}) after {result.evaluations} steps in {result.seconds:.1f} s "
          f"({result.seconds / result.evaluations:.2f} s/step)")
    print(f"  content {final['content']:.4f}   style {final['style']:.4f} "
          f"(the starting image's: {start['style']:.4f}, now {100 * final['style'] / max(start['style'], 1e-12):.1f}%)"
          f"   tv {final['tv']:.5f}   total {final['total']:.4f} (from {start['total']:.4f})")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "content": str(args.content), "style": str(args.style), "output": str(args.output),
            "size": [w, h], "steps": result.evaluations, "seconds": round(result.seconds, 2),
            "init": args.init, "seed": args.seed, "preserve_color": args.preserve_color,
            "style_scale": args.style_scale, "objective": objective.as_dict(),
            "initial_losses": start, "final_losses": final,
        }
        args.report.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _gallery_index(run: Path, style_id: str) -> int | None:
    """The index of gallery style ``style_id`` in run ``run``'s recipe, or None if it has none."""
    from .paint import gallery_ids

    if not (run / "recipe.json").exists():
        raise UsageError(f"{run}: no training run here (recipe.json missing); pass --run")
    ids = gallery_ids(run)
    return ids.index(style_id) if style_id in ids else None


def run_stylize(args) -> int:
    """Check everything first (output, style, every photo), then paint the photos that can be read."""
    if args.strength > 1:
        raise UsageError(f"--strength must be between 0 and 1, got {args.strength:g}")
    several = len(args.photos) > 1
    if several:
        if args.output.exists() and not args.output.is_dir():
            raise UsageError(f"{args.output}: with several photos, --output must be a folder")
        outputs = [args.output / f"{p.stem}-{Path(args.style).stem}.png" for p in args.photos]
    else:
        images.check_output_path(args.output)
        outputs = [args.output]
    style_path = Path(args.style)
    index = _gallery_index(args.run, args.style) if not style_path.suffix else None
    if index is None:
        if not style_path.exists() and not style_path.suffix:
            raise UsageError(f"unknown style {args.style!r}: not a gallery style of {args.run} "
                             "and not a picture file")
        # as the page does: a style picture is shrunk to 512 px, never enlarged
        style_image = images.load_image(style_path, size=512, enlarge=False)
        if args.encoder != "vgg":
            _encoder_run(args.encoder)  # checked before any photo is read or TensorFlow loaded
        adain_recipe = args.adain_run / "recipe.json"
        if adain_recipe.exists() and "prune_images" in json.loads(adain_recipe.read_text()):
            raise UsageError(f"--adain-run {args.adain_run} is an encoder run: pass it as --encoder")
    loaded = []
    for photo, output in zip(args.photos, outputs):
        try:
            loaded.append((photo, output, images.load_image(photo, size=args.size, enlarge=False)))
        except images.ImageError as error:
            print(f"{PROG}: skipping: {error}", file=sys.stderr)
    if not loaded:
        raise UsageError("no photo could be read")

    from .paint import Painter

    painter = Painter(args.run, args.adain_run, args.encoder)
    style, statistics = args.style, None
    if index is None:
        if not (args.adain_run / "recipe.json").exists():
            raise UsageError(f"{args.adain_run}: no AdaIN run here; pass --adain-run")
        style = str(style_path)
        statistics = painter.style_statistics(style_image)  # once for all the photos
    for photo, output, image in loaded:
        started = time.perf_counter()
        out = painter.paint(image, style, args.strength, args.preserve_color, statistics)
        images.save_image(output, out)
        h, w = image.shape[:2]
        print(f"wrote {output} ({w}x{h}, {time.perf_counter() - started:.1f} s)")
    return 1 if len(loaded) < len(args.photos) else 0


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter off the terminal
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (images.ImageError, UsageError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
