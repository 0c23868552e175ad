"""Training the multi-style fast network: its recipe, its loss and its trainer.

Training recipe (Johnson et al. 2016; Dumoulin et al. 2017 for many styles at once): random crops
of photos seen at the scale the network will be evaluated at, one style per crop drawn at random,
loss = content + ramp(step) * style + tv from :class:`convert.losses.StyleObjective`, Adam. The
style weight ramps up from zero over ``ramp_steps`` so the network first learns to keep the photo.

The session itself (checkpoints, time limit, signals, log) is :mod:`convert.training`'s, shared with
the other trainers. Validation photos are rendered in every style with their loss figures, since a
network can score well on its loss while it paints one texture over every photo.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
from keras import ops

from . import catalogue, data, images, networks, runs, training, vgg
from .batches import CropBatches
from .losses import StyleObjective

#: What a run's sessions may not change: the network, its objective and the scale its strokes are
#: learnt at. Steps, learning rate, batch, crop, style scales and style draws may change between sessions.
FIXED = ("styles", "widths", "residual_blocks", "norm_multiplier", "stem_stride", "objective", "scale",
         "residual_width", "colour_head", "colour_multiplier")
#: What a recipe saved before a fixed setting existed counts as.
FIXED_DEFAULTS = {"residual_width": None, "colour_head": False, "colour_multiplier": networks.COLOUR_MULTIPLIER}


@dataclass
class Recipe:
    """Everything that defines a training run; saved beside its checkpoints."""

    styles: list[str]
    photos: str
    steps: int = 20000
    batch: int = 4
    crop: int = 128
    scale: int = 384  # photos and styles are seen with this longer side: the evaluation size
    learning_rate: float = 1e-3
    ramp_steps: int = 300
    widths: tuple[int, ...] = networks.DEFAULT_WIDTHS
    residual_blocks: int = networks.DEFAULT_RESIDUAL_BLOCKS
    norm_multiplier: float = 10.0
    stem_stride: int = networks.DEFAULT_STEM_STRIDE
    residual_width: int | None = None  # channels inside each residual block (None: widths[2])
    colour_head: bool = False  # end with networks.ColourOutput: each style sets the palette
    colour_multiplier: float = networks.COLOUR_MULTIPLIER  # how much faster its maps learn
    objective: dict = field(default_factory=lambda: StyleObjective().as_dict())
    seed: int = 0
    # Fine-tuning new styles into a trained network (Dumoulin et al. 2017, sec. 4.3: a new style
    # needs only its own normalisation parameters): start from the weights of run `init_from`
    # (its styles first, in order), draw batches only from `train_styles` (indices; None: all) and,
    # with `freeze_shared`, train nothing but the conditional-norm tables.
    init_from: str | None = None
    train_styles: list[int] | None = None
    freeze_shared: bool = False
    # Per-style multipliers of the style weight, in the order of `styles` (None: all 1). One network
    # shares its capacity across the styles (Dumoulin et al. 2017), and some paintings' textures are
    # harder to match than others; Johnson et al. (2016) tuned the style weight per style, and this
    # does the same inside one network. Like the learning rate, it may change when a run resumes.
    style_scales: list[float] | None = None
    # Per-style relative frequencies of drawing each style for a crop, in the order of `styles`
    # (None: uniformly, as Dumoulin et al. 2017 do). Where one style lags the others, drawing it more
    # often gives it more of the shared weights' updates without changing the trade between content
    # and style that its scale sets. May change when a run resumes.
    style_draws: list[float] | None = None

    def build_transformer(self) -> keras.Model:
        """The untrained network this recipe describes."""
        return networks.transformer(len(self.styles), self.widths, self.residual_blocks, self.norm_multiplier,
                                    self.stem_stride, self.residual_width, self.colour_head,
                                    self.colour_multiplier)

    @property
    def inner_width(self) -> int:
        """The channels inside each residual block."""
        return networks.inner_width(self.widths, self.residual_width)

    def scales(self) -> np.ndarray:
        """The per-style multipliers of the style weight, one per style."""
        if self.style_scales is None:
            return np.ones(len(self.styles), np.float32)
        if len(self.style_scales) != len(self.styles) or min(self.style_scales) < 0:
            raise ValueError(f"style_scales needs {len(self.styles)} non-negative numbers, one per style; "
                             f"got {list(self.style_scales)}")
        return np.asarray(self.style_scales, np.float32)

    def draws(self) -> np.ndarray | None:
        """The probability of drawing each style that crops are drawn from (``train_styles``, or all),
        in that order; None for uniform draws."""
        if self.style_draws is None:
            return None
        if len(self.style_draws) != len(self.styles) or min(self.style_draws) < 0:
            raise ValueError(f"style_draws needs {len(self.styles)} non-negative numbers, one per style; "
                             f"got {list(self.style_draws)}")
        drawn = range(len(self.styles)) if self.train_styles is None else self.train_styles
        weights = np.asarray([self.style_draws[i] for i in drawn], np.float64)
        if weights.sum() <= 0:
            raise ValueError("style_draws: the styles being trained are all drawn with weight 0")
        return weights / weights.sum()

    def style_objective(self) -> StyleObjective:
        o = dict(self.objective)
        o["content_layers"] = tuple(o["content_layers"])
        o["style_layers"] = tuple(o["style_layers"])
        return StyleObjective(**o)


class StyleTrainer(keras.Model):
    """Wraps the transformer with the frozen VGG16 loss network and the styles' targets."""

    def __init__(self, transformer: keras.Model, objective: StyleObjective, style_grams: dict,
                 style_scales=None, **kwargs):
        super().__init__(**kwargs)
        self.transformer = transformer
        self.objective = objective
        n_styles = len(next(iter(style_grams.values())))
        # (n_styles,) multipliers of the style weight (Recipe.style_scales), constant during training.
        self.style_scales = ops.convert_to_tensor(
            np.ones(n_styles, np.float32) if style_scales is None else np.asarray(style_scales, np.float32))
        self.extractor = vgg.feature_extractor(objective.taps)
        # The photo only needs the content layers, and no gradient: a second, shorter VGG16 for it,
        # rather than one call on the stylised and photo batches together, whose backward pass went
        # through the photo half too (a 256 px step took 6.37 s instead of 9.03 s here; docs/benchmarks.md).
        # Built here, not in the traced step, where its weights would not be assigned.
        self.content_extractor = vgg.feature_extractor(objective.content_layers)
        # (n_styles, C, C) per layer, constant during training.
        self.style_grams = {k: ops.convert_to_tensor(v) for k, v in style_grams.items()}

    @property
    def network(self) -> keras.Model:
        """The network being trained, the one checkpoints hold."""
        return self.transformer

    def call(self, inputs, training=False):
        content, style = inputs[0], inputs[1]  # (a third input, the ramp, is for the loss)
        return self.transformer([content, style], training=training)

    def terms(self, content, style, stylized):
        out = self.extractor(stylized)
        target = self.content_extractor(ops.stop_gradient(content))
        grams = {k: ops.einsum("bn,ncd->bcd", style, g) for k, g in self.style_grams.items()}
        return self.objective.terms(stylized, out, target, grams)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        content, style, ramp = x
        t = self.terms(content, style, y_pred)
        o = self.objective
        scale = ops.sum(style * self.style_scales, axis=1)  # each image's style's multiplier
        total = o.content_weight * t["content"] + ramp * o.style_weight * scale * t["style"] + o.tv_weight * t["tv"]
        total = total + networks.RANGE_WEIGHT * networks.out_of_range(y_pred)
        return ops.mean(total)


def style_grams(objective: StyleObjective, style_images: list[np.ndarray]) -> dict:
    """Stacked Gram targets, {layer: (n_styles, C, C)}, from styles at their training scale."""
    extractor = vgg.feature_extractor(objective.taps)
    per_style = [objective.style_targets(extractor(s[None].astype(np.float32))) for s in style_images]
    return {k: np.concatenate([np.asarray(t[k]) for t in per_style], axis=0) for k in objective.style_layers}


class GalleryMonitor(training.Monitor):
    """Renders every validation photo in every style, as one grid image, with the per-style figures."""

    def __init__(self, run_dir, val_photos, style_names, steps, save_every, render_every, log=print,
                 time_limit=None):
        super().__init__(run_dir, steps, save_every, render_every, log=log, time_limit=time_limit)
        self.val_photos, self.style_names = val_photos, style_names

    def render(self, step: int):
        if not self.val_photos:
            return
        trainer = self.model
        n = len(self.style_names)
        rows, figures = [], {name: [] for name in self.style_names}
        for photo in self.val_photos:
            row = [photo.astype(np.float32)]
            for s in range(n):
                out = networks.stylize(trainer.transformer, photo, np.eye(n, dtype=np.float32)[s])
                row.append(out)
                t = trainer.terms(photo[None].astype(np.float32), np.eye(n, dtype=np.float32)[s:s + 1], out[None])
                figures[self.style_names[s]].append({k: float(np.asarray(v)[0]) for k, v in t.items()})
            rows.append(row)
        path = self.save_render(step, images.grid(rows))
        summary = {name: {k: float(np.mean([f[k] for f in fs])) for k in fs[0]} for name, fs in figures.items()}
        # Distinctness: mean absolute difference between styles' outputs of the same photo (0-255).
        # (The diagonal of each styles x styles table is zero: rescale the mean to the n(n-1) pairs.)
        stacks = [np.stack(r[1:]) for r in rows]  # per photo: styles, H, W, 3
        distinct = float(np.mean([np.abs(o[:, None] - o[None]).mean() for o in stacks])) * n / max(n - 1, 1)
        self.append_log({"step": step, "val": summary, "style_distinctness": distinct, "time": time.time()})
        for name, f in summary.items():
            for k, v in f.items():
                self.scalar(f"val/{name}/{k}", v, step)
        self.scalar("val/style_distinctness", distinct, step)
        mean = {k: float(np.mean([f[k] for f in summary.values()])) for k in ("content", "style", "total")}
        self.log(f"\nstep {step}: val content {mean['content']:.3f} style {mean['style']:.4f} "
                 f"total {mean['total']:.3f} distinctness {distinct:.1f} -> {path}")


def train(recipe: Recipe, run_dir, val_folder=None, val_count: int = 4, val_size: int = 256,
          save_every: float = 300.0, render_every: int = 250, jit_compile="auto", log=print,
          time_limit: float | None = None, precision_choice: str = "auto", keep_snapshots: int = 0) -> int:
    """Train (or resume) the run in ``run_dir``; returns the step reached.

    ``precision_choice`` is ``auto``, ``bfloat16`` or ``float32`` (:func:`convert.precision.resolve`).
    """
    scales, draws = recipe.scales(), recipe.draws()  # checked before anything is written
    if recipe.objective.get("style_statistic", "gram") != "gram":
        raise ValueError("fast networks train on Gram statistics (style_statistic 'gram')")
    run_dir = training.open_run(run_dir, "gallery", asdict(recipe), FIXED, recipe.seed, FIXED_DEFAULTS)

    objective = recipe.style_objective()
    styles = [np.asarray(images.load_image(s, size=recipe.scale)) for s in recipe.styles]
    log(f"loading photos from {recipe.photos} at {recipe.scale} px")
    photos, _ = data.load_folder(recipe.photos, recipe.scale, log=log)
    val = data.load_folder(val_folder, val_size, log=log)[0][:val_count] if val_folder else []
    log(f"{len(photos)} photos, {len(styles)} styles, {len(val)} validation photos")

    training.data_parallel(recipe.batch, log)  # before any variable is made: they are placed by it
    targets = style_grams(objective, styles)  # in float32, whatever the training precision

    def prepare(trainer, restarting):
        if recipe.init_from and not restarting:
            n_base, blocks = init_from_run(trainer.transformer, recipe.init_from)
            new = ([f"{len(recipe.styles) - n_base} new styles start as the mean of its styles"]
                   if len(recipe.styles) > n_base else [])
            new += ([f"{recipe.residual_blocks - blocks} new residual blocks as the identity"]
                    if recipe.residual_blocks > blocks else [])
            new += (["a colour head that starts as the head it had"]
                    if recipe.colour_head and not runs.read_recipe(recipe.init_from).get("colour_head") else [])
            log(f"starting from {recipe.init_from} ({n_base} styles, {blocks} residual blocks); "
                f"{', '.join(new + [f'{recipe.inner_width} channels inside each block'])}")
        if recipe.freeze_shared:
            for layer in trainer.transformer.layers:
                if not isinstance(layer, (networks.ConditionalInstanceNorm, networks.ColourOutput)):
                    layer.trainable = False

    def batches(start):
        crops = CropBatches(photos, len(styles), recipe.batch, recipe.crop, recipe.steps - start, recipe.seed,
                            first_step=start, ramp_steps=recipe.ramp_steps, styles_drawn=recipe.train_styles,
                            draw_probabilities=draws)
        if crops.dropped:
            log(f"warning: {crops.dropped} photos are smaller than the {recipe.crop} px crop and are not used")
        return crops

    names = [Path(s).stem for s in recipe.styles]
    probe = (np.zeros((1, 16, 16, 3), np.float32), np.eye(len(styles), dtype=np.float32)[:1])
    return training.session(
        run_dir, lambda: StyleTrainer(recipe.build_transformer(), objective, targets, scales),
        steps=recipe.steps, learning_rate=recipe.learning_rate, jit_compile=jit_compile, probe=probe,
        precision_choice=precision_choice, prepare=prepare, batches=batches, log=log,
        monitor=lambda: GalleryMonitor(run_dir, val, names, recipe.steps, save_every, render_every, log=log,
                                       time_limit=time_limit),
        record={"batch": recipe.batch, "crop": recipe.crop, "learning_rate": recipe.learning_rate,
                "style_scales": recipe.style_scales, "style_draws": recipe.style_draws}, keep_snapshots=keep_snapshots)


def extend_recipe(base_run, styles, photos, weights: dict, style_scales=None, train_all: bool = False,
                  residual_blocks: int | None = None, residual_width: int | None = None,
                  colour_head: bool = False, retrain=(), **settings) -> Recipe:
    """The recipe that continues the trained run ``base_run`` in a new run: more styles, more depth,
    wider residual blocks, other objective weights, or any of them together.

    New ``styles`` are added after the base's; only their normalisation parameters train unless
    ``train_all``. ``residual_blocks`` above the base's grows the network deeper: the new blocks
    start as the identity (:func:`convert.networks.silence_residual_block`); ``residual_width``
    above the base's widens every block inside (:func:`convert.networks.embed_weights`);
    ``colour_head`` gives a base without one a :class:`convert.networks.ColourOutput`, which starts
    as the head it replaces. Any of these, and everything trains, on all styles unless new ones are given. ``weights`` (content, style and
    tv weights, None: the base's) override the base's objective; without new styles the whole
    network trains on to the new weights. ``retrain`` names base styles (gallery ids or file stems)
    whose own normalisation parameters train again while every other weight, and so every other
    style, stays as it is: one style can be re-balanced without touching what the others paint.
    ``style_scales`` are the new styles' (None: each at the median of the base's scales, the weight a
    typical style of the trained gallery has), the retrained styles' (in ``retrain`` order) or, with
    neither, every style's, replacing the base's (they may change between sessions); ``settings`` (steps,
    batch, crop, scale, learning_rate, ramp_steps, seed) replace the base's. Raises
    FileNotFoundError when ``base_run`` has no checkpoint and ValueError when there is nothing to add.
    """
    _, base, _ = load_run(base_run)
    blocks = base.residual_blocks if residual_blocks is None else residual_blocks
    if blocks < base.residual_blocks:
        raise ValueError(f"{base_run} has {base.residual_blocks} residual blocks: a network grows, it is not cut "
                         f"(--residual-blocks {blocks})")
    inner = base.inner_width if residual_width is None else residual_width
    if inner < base.inner_width:
        raise ValueError(f"{base_run} has {base.inner_width} channels in its residual blocks: a network grows, "
                         f"it is not cut (--residual-width {inner})")
    head = base.colour_head or colour_head
    grown = blocks > base.residual_blocks or inner > base.inner_width or head > base.colour_head
    objective = base.style_objective()
    changed = {k: v for k, v in weights.items() if v is not None and v != getattr(objective, k)}
    retrained = [catalogue.style_index(base.styles, name) for name in retrain]
    if retrained and (styles or train_all or grown or changed):
        raise ValueError("--retrain trains only the named styles' own parameters: add styles, grow the network, "
                         "train everything or change the objective's weights in a run of its own")
    if len(set(retrained)) < len(retrained):
        raise ValueError(f"--retrain names a style twice: {' '.join(retrain)}")
    if not styles and not grown and not changed and not retrained:
        raise ValueError(f"nothing to add to {base_run}: give new --styles, more --residual-blocks than its "
                         f"{base.residual_blocks}, a --residual-width above its {base.inner_width}, "
                         f"{'' if base.colour_head else '--colour-head, '}or other --content-weight, --style-weight or --tv-weight")
    if changed:
        objective = dataclasses.replace(objective, **changed)
    n_base = len(base.styles)
    base_scales = list(base.style_scales or [1.0] * n_base)
    if retrained:
        scales = list(base_scales)
        if style_scales is not None:
            if len(style_scales) != len(retrained):
                raise ValueError(f"--style-scales: {len(style_scales)} numbers for the {len(retrained)} retrained styles")
            for index, scale in zip(retrained, style_scales):
                scales[index] = scale
        return dataclasses.replace(base, photos=str(photos), **settings, init_from=str(base_run),
                                   train_styles=retrained, freeze_shared=True, style_scales=scales)
    if style_scales is not None and not styles:
        if len(style_scales) != n_base:
            raise ValueError(f"--style-scales: {len(style_scales)} numbers for the {n_base} styles of {base_run}")
        scales = list(style_scales)
    else:
        scales = base_scales + list(style_scales or [float(np.median(base_scales))] * len(styles))
    return dataclasses.replace(
        base, styles=list(base.styles) + [str(s) for s in styles], photos=str(photos), **settings,
        residual_blocks=blocks, residual_width=None if inner == base.widths[2] else inner, colour_head=head,
        objective=objective.as_dict(), init_from=str(base_run),
        train_styles=list(range(n_base, n_base + len(styles))) if styles else None,
        freeze_shared=bool(styles) and not (train_all or grown),
        style_scales=scales if style_scales is not None or base.style_scales else None)


def init_from_run(transformer: keras.Model, base_run) -> tuple[int, int]:
    """Copy a trained run's weights into ``transformer``: the base's styles first and maybe more, the
    base's residual blocks and maybe more, their inner channels and maybe more.

    Shared weights are copied as they are; each conditional-norm table gets the base's rows, and
    rows for new styles start at the mean of the base's rows (a neutral, already-stylised start).
    Residual blocks the base lacks start as the identity, channels it lacks start with zero
    outgoing weights (:func:`convert.networks.embed_weights`) and a colour head it lacks keeps its
    zero start, so the grown network paints what the base did. Returns the number of the base's styles and of its residual blocks.
    """
    base, base_recipe, _ = load_run(base_run)
    n_base = len(base_recipe.styles)
    known = {layer.name for layer in base.layers}
    for layer in transformer.layers:
        if not layer.weights or layer.name not in known:
            continue
        weights = base.get_layer(layer.name).get_weights()
        if not weights:  # a layer that gained weights (the output head): its own start
            continue
        if isinstance(layer, (networks.ConditionalInstanceNorm, networks.ColourOutput)):  # per-style tables
            grown = []
            for table in weights:
                extra = np.repeat(table.mean(axis=0, keepdims=True), layer.n_styles - n_base, axis=0)
                grown.append(np.concatenate([table, extra], axis=0))
            weights = grown
        layer.set_weights(networks.embed_weights(weights, layer.get_weights()))
    blocks = base_recipe.residual_blocks
    for index in range(blocks, networks.residual_blocks(transformer)):
        networks.silence_residual_block(transformer, index)
    return n_base, blocks


def load_run(run_dir) -> tuple[keras.Model, Recipe, int]:
    """The transformer of a run folder at its latest checkpoint, with its recipe and step."""
    saved, state = runs.load_run(run_dir, "gallery")
    recipe = Recipe(**{k: v for k, v in saved.items() if k in Recipe.__dataclass_fields__})
    transformer = recipe.build_transformer()
    transformer.load_weights(Path(run_dir) / state["weights"])
    return transformer, recipe, int(state["step"])
