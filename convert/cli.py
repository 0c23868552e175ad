"""The ``deepstyle`` command line: one handler per subcommand (arguments in :mod:`convert.options`).

Each handler parses, checks its inputs (files readable as images, output path writable, run folders
of the right kind) before any model is built, calls one library function and prints what it did.
A problem is reported as one line on stderr with exit status 2, never a traceback; TensorFlow is
imported only once the inputs have passed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import time
from pathlib import Path

from . import catalogue, data, images, runs
from .options import PROG, build_parser
from .paint import Painter, PaintError, encoder_run
from .runs import CHECKPOINTS


class UsageError(Exception):
    """A problem with the user's input, reported as one line."""


def _seconds(minutes: float | None) -> float | None:
    return None if minutes is None else 60.0 * minutes


def _checkpointed(run: Path) -> str | None:
    """The kind of the run in ``run`` (None: unknown), refusing a folder without a checkpoint."""
    if not runs.has_checkpoint(run):
        raise UsageError(f"{run}: no training run with a checkpoint (recipe.json, state.json) here")
    kind = runs.run_kind(run)
    if kind == "distill":
        raise UsageError(f"{run} is an encoder run: pass the AdaIN decoder run as --run and this one as --encoder")
    return kind


def _base_run(base: Path, kind: str, name: str, purpose: str) -> dict:
    """The recipe of the run ``--from`` names, refusing anything but a trained ``kind`` run (checked
    before TensorFlow loads, so the message is not buried in its start-up lines)."""
    if not (runs.has_checkpoint(base) and runs.run_kind(base) == kind):
        raise UsageError(f"{base}: no trained {name} run here to {purpose} (--from)")
    return runs.read_recipe(base)


def _encoder_run(value: str) -> Path | None:
    try:
        return encoder_run(value)
    except PaintError as error:
        raise _usage(error) from None


def _usage(error: PaintError) -> UsageError:
    """A PaintError as the command line says it: the Painter argument it starts with spelt as the option."""
    if error.option:
        return UsageError("--" + str(error).replace(error.option, error.option.replace("_", "-"), 1))
    return UsageError(str(error))


def run_eval(args) -> int:
    _check_report_path(args.output)
    if not args.photos.is_dir():
        raise UsageError(f"{args.photos}: not a folder of photos")
    kind = _checkpointed(args.run)
    if kind != "adain" and args.encoder is not None:
        raise UsageError("--encoder applies to AdaIN runs only")
    args.encoder = args.encoder or str(CHECKPOINTS / "adain-encoder")
    encoder_run = _encoder_run(args.encoder) if kind == "adain" else None
    saved = runs.read_recipe(args.run)
    styles = data.run_styles(saved)
    if not styles:
        raise UsageError(f"{args.run}: its held-out styles are not found in {', '.join(saved['styles'])}")
    try:
        styles = [styles[catalogue.style_index(styles, name, "--styles")] for name in args.styles] or styles
    except ValueError as error:
        raise UsageError(str(error)) from None
    for style in styles:
        images.load_image(style, size=16)  # the run's paintings must still be where it trained on them
    photos = images.list_images(args.photos)[: args.max_photos]
    if not photos:
        raise UsageError(f"{args.photos}: no images")
    for photo in photos:
        images.load_image(photo, size=16)

    from .evaluate import GatysCache, evaluate_run

    results = evaluate_run(args.run, kind, photos, styles, size=args.size, encoder_run=encoder_run,
                           precision_choice=args.precision, gatys_steps=args.gatys_steps,
                           gatys_photos=args.gatys_photos, cache=GatysCache(args.cache),
                           log=lambda m: print(m, file=sys.stderr), gatys_compute=not args.cached_only)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    overall = results["summary"]["overall"]
    print(f"wrote {args.output}: {overall['pairs']} pairs, content {overall['content']:.3f}, style loss "
          f"{100 * overall['style_fraction']:.0f}% of the photo's (worst {100 * overall['max_style_fraction']:.0f}%), "
          f"block figure {overall['block_figure']:.2f} (the photos' {overall['photo_block_figure']:.2f}), "
          f"tone correlation {overall['tone_correlation']:.2f}"
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


def _check_training_folders(args) -> None:
    if not args.photos.is_dir():
        raise UsageError(f"{args.photos}: not a folder of photos")
    if getattr(args, "val_photos", None) is not None and not args.val_photos.is_dir():
        raise UsageError(f"{args.val_photos}: not a folder of photos")
    if args.crop > args.scale:
        raise UsageError(f"--crop {args.crop} is larger than --scale {args.scale}")


def run_train(args) -> int:
    if not args.styles and args.base is None:
        raise UsageError("--styles: give the style images (only --from can do without: it has its own)")
    if args.base is not None and args.widths is not None:
        raise UsageError("--widths: a --from run keeps its base's widths (it may grow --residual-blocks and --residual-width, and gain a --colour-head)")
    styles = data.gallery_style_files(args.styles) if args.styles else []
    for style in styles:  # every input checked before minutes of loading and compiling
        images.load_image(style, size=64)
    _check_training_folders(args)
    if args.crop % 8:
        raise UsageError(f"--crop {args.crop} must be a multiple of 8 (the network's strided layers)")
    args.run.mkdir(parents=True, exist_ok=True)
    if not os.access(args.run, os.W_OK):
        raise UsageError(f"{args.run}: cannot write to the run folder")
    if (args.style_scales is not None and len(args.style_scales) != len(styles)
            and (args.base is None or styles) and not args.retrain):
        # with --from: the new styles' (without new styles, every style's: extend_recipe checks the count)
        raise UsageError(f"--style-scales: {len(args.style_scales)} numbers for {len(styles)} "
                         f"{'new ' if args.base is not None else ''}styles")
    if args.retrain and args.base is None:
        raise UsageError("--retrain: give the trained run to retrain styles of with --from")
    if args.base is not None:
        _base_run(args.base, "gallery", "gallery", "continue")
        base_styles = runs.read_recipe(args.base)["styles"]
        for name in args.retrain:  # checked here too, before minutes of loading
            try:
                catalogue.style_index(base_styles, name)
            except ValueError as error:
                raise UsageError(str(error)) from None
    if args.style_draws is not None:
        count = len(styles) + (0 if args.base is None else len(base_styles))
        if len(args.style_draws) != count:
            raise UsageError(f"--style-draws: {len(args.style_draws)} numbers for the run's {count} styles")
        if not any(args.style_draws):
            raise UsageError("--style-draws: every style is drawn with weight 0")

    from . import networks, train
    from .losses import StyleObjective

    weights = {"content_weight": args.content_weight, "style_weight": args.style_weight,
               "tv_weight": args.tv_weight}
    settings = dict(steps=args.steps, batch=args.batch, crop=args.crop, scale=args.scale, learning_rate=args.lr,
                    ramp_steps=args.ramp_steps, seed=args.seed)
    if args.base is not None:
        try:
            recipe = train.extend_recipe(args.base, styles, args.photos, weights, args.style_scales,
                                         args.train_all, args.residual_blocks, args.residual_width,
                                         args.colour_head, args.retrain, **settings)
        except (FileNotFoundError, ValueError, runs.RecipeMismatch) as error:
            raise UsageError(str(error)) from None
    else:
        objective = StyleObjective(**{k: v for k, v in weights.items() if v is not None})
        recipe = train.Recipe(
            styles=[str(s) for s in styles], photos=str(args.photos), **settings,
            widths=tuple(args.widths or networks.DEFAULT_WIDTHS),
            residual_blocks=args.residual_blocks or networks.DEFAULT_RESIDUAL_BLOCKS,
            residual_width=args.residual_width, colour_head=args.colour_head,
            objective=objective.as_dict(), style_scales=args.style_scales)
    if args.style_draws is not None:
        recipe = dataclasses.replace(recipe, style_draws=list(args.style_draws))
        try:
            recipe.draws()  # (the count and the sum were checked above; this, the styles that train)
        except ValueError as error:
            raise UsageError(str(error).replace("style_draws", "--style-draws", 1)) from None
    started = time.monotonic()
    step = _training(train.train, recipe, args, val_folder=args.val_photos, render_every=args.render_every)
    print(f"trained to step {step} in {(time.monotonic() - started) / 60:.1f} minutes; checkpoint in {args.run}")
    return 0


def _training(trainer, recipe, args, **options) -> int:
    """``trainer(recipe, run, ...)`` with the options every training command shares."""
    try:
        return trainer(recipe, args.run, save_every=60 * args.save_every_min, time_limit=_seconds(args.time_limit_min),
                       precision_choice=args.precision, keep_snapshots=getattr(args, "keep_snapshots", 0), **options)
    except runs.RecipeMismatch as error:
        raise UsageError(str(error)) from None


def _check_photos_and_styles(args) -> None:
    """What adain-train and adain-distill both take: photos, style sources, crop and held-out names."""
    for source in args.styles:
        if not source.exists():
            raise UsageError(f"{source}: no such file or folder")
    _check_training_folders(args)
    if args.crop % 8:
        raise UsageError(f"--crop {args.crop} must be a multiple of 8 (the encoder's poolings)")
    known = {p.name for p in data.style_files(args.styles)}
    unknown = [name for name in args.holdout if name not in known]
    if unknown:
        raise UsageError(f"--holdout: no style image named {unknown[0]}")


def _check_adain_base(args, widths) -> None:
    """``--from RUN`` names a trained AdaIN run of the same widths and held-out paintings."""
    base = _base_run(args.base, "adain", "AdaIN", "start from")
    if list(base["widths"]) != list(widths):
        raise UsageError(f"--from {args.base}: its decoder is {' '.join(map(str, base['widths']))} wide, "
                         f"not {' '.join(map(str, widths))} (--widths)")
    if sorted(base.get("holdout", [])) != sorted(args.holdout):
        raise UsageError(f"--from {args.base}: hold out the paintings it held out "
                         f"(--holdout {' '.join(base.get('holdout', []))})")


def run_adain_train(args) -> int:
    _check_photos_and_styles(args)
    widths = tuple(args.widths)
    if args.base is not None:
        _check_adain_base(args, widths)
    args.run.mkdir(parents=True, exist_ok=True)

    from . import adain

    recipe = adain.AdaINRecipe(
        photos=str(args.photos), styles=[str(s) for s in args.styles], holdout=list(args.holdout),
        steps=args.steps, batch=args.batch, crop=args.crop, scale=args.scale, learning_rate=args.lr,
        style_weight=args.style_weight, tv_weight=args.tv_weight, block_weight=args.block_weight,
        style_layers=tuple(args.style_layers), anchor_weight=args.anchor_weight,
        tone_weight=args.tone_weight, widths=widths,
        seed=args.seed, upsample=args.upsample, init_from=None if args.base is None else str(args.base))
    step = _training(adain.train_adain, recipe, args, val_folder=args.val_photos, render_every=args.render_every)
    print(f"trained to step {step}; checkpoint in {args.run}")
    return 0


def run_adain_distill(args) -> int:
    _check_photos_and_styles(args)

    from . import distill

    recipe = distill.DistillRecipe(
        photos=str(args.photos), styles=[str(s) for s in args.styles], holdout=list(args.holdout),
        widths=tuple(args.widths or distill.DEFAULT_WIDTHS), steps=args.steps, batch=args.batch,
        crop=args.crop, scale=args.scale, learning_rate=args.lr, prune_images=args.prune_images, seed=args.seed)
    started = time.monotonic()
    step = _training(distill.distill, recipe, args)
    print(f"distilled to step {step} in {(time.monotonic() - started) / 60:.1f} minutes; checkpoint in {args.run}")
    return 0


def run_export(args) -> int:
    if not args.adain and not re.fullmatch(r"[a-z0-9-]+", args.id):
        raise UsageError(f"--id {args.id!r}: use lower-case letters, digits and '-'")
    _checkpointed(args.run)
    encoder_run = _encoder_run(args.encoder) if args.adain else None
    quantize = args.quantize or ("uint8" if args.adain else "float16")
    quantize = None if quantize == "none" else quantize

    from . import manifest, publish

    try:
        if args.adain:
            publish.export_adain(args.run, args.models, quantize, encoder_run=encoder_run)
        else:
            publish.export_gallery(args.run, args.models, args.id, quantize, args.sample, args.eval, args.thumb_size)
    except (publish.ExportError, runs.RecipeMismatch) as error:
        raise UsageError(str(error)) from None
    except manifest.ManifestError as error:
        raise UsageError(f"{args.models / 'manifest.json'}: {error}") from None
    return 0


def run_average(args) -> int:
    snaps = runs.snapshots(args.run)
    if not snaps:
        raise UsageError(f"{args.run}: no weight snapshots in {args.run / runs.SNAPSHOTS} "
                         "(train with --keep-snapshots N to keep them)")
    if len(snaps) < args.last:
        raise UsageError(f"--last {args.last}: {args.run / runs.SNAPSHOTS} holds only {len(snaps)} snapshots")
    if args.output.resolve() == args.run.resolve():
        raise UsageError("-o: write the average to a new run folder, not the run itself")
    if (runs.read_state(args.output) or {}).get("optimizer"):
        raise UsageError(f"-o {args.output}: holds a run being trained; choose another folder")
    try:
        state = runs.write_averaged_run(args.run, snaps[-args.last:], args.output)
    except (runs.RecipeMismatch, FileNotFoundError) as error:
        raise UsageError(str(error)) from None
    steps = state["averaged_steps"]
    print(f"averaged {len(steps)} snapshots (steps {steps[0]} to {steps[-1]}) into {args.output}")
    return 0


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


def run_stylize(args) -> int:
    """Check everything first (output, style, runs), then paint the photos that can be read."""
    if args.strength > 1:
        raise UsageError(f"--strength must be between 0 and 1, got {args.strength:g}")
    if len(args.photos) > 1:
        if args.output.exists() and not args.output.is_dir():
            raise UsageError(f"{args.output}: with several photos, --output must be a folder")
        outputs = [args.output / f"{p.stem}-{Path(args.style).stem}.png" for p in args.photos]
    else:
        images.check_output_path(args.output)
        outputs = [args.output]

    painter = Painter(args.run, args.adain_run, args.encoder)
    try:
        painter.check(args.style)
        painted = painter.paint_files(args.photos, outputs, args.style, args.strength, args.preserve_color,
                                      args.size, warn=lambda m: print(f"{PROG}: {m}", file=sys.stderr))
    except PaintError as error:
        raise _usage(error) from None
    return 1 if painted < len(args.photos) else 0


HANDLERS = {"gatys": run_gatys, "train": run_train, "adain-train": run_adain_train,
            "adain-distill": run_adain_distill, "export": run_export, "eval": run_eval,
            "average": run_average, "stylize": run_stylize}


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter off the terminal
    # TensorFlow turns its oneDNN CPU kernels on by itself only where the CPU has AVX512 or AMX; on
    # a 2-core AVX2 machine they made a float32 training step 1.1x to 1.4x faster than the default
    # Eigen kernels (docs/benchmarks.md, "Training steps"). Set before TensorFlow is first imported.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except (images.ImageError, UsageError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
