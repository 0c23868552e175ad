"""One training loop for feed-forward style networks: data, losses, checkpoints, logs, renders.

Backend-agnostic Keras 3: the loss is a ``compute_loss`` override and training is ``Model.fit``,
so the same code trains on TensorFlow here and on JAX on a lent GPU, in bfloat16 where the hardware
has it and float32 elsewhere (:mod:`convert.precision`).

What the loop guarantees
* Resumable: the transformer's weights, the optimiser's state and the step are written atomically
  (temporary file, then ``os.replace``) every few minutes and at the end; a restart with the same
  run folder carries on from there, so a kill -9 loses at most the minutes since the last save.
* Watched: a progress bar with ETA (Keras's), TensorBoard scalars where TensorFlow is installed,
  and periodic renders of fixed validation photos in every style with their loss figures, because
  a pilot here looked fine by its loss while it rendered one texture for every photo.
* Robust to real folders: unreadable photos are skipped with a warning.

Training recipe (Johnson et al. 2016; Dumoulin et al. 2017 for many styles at once): random crops
of photos seen at the scale the network will be evaluated at, one style per crop drawn at random,
loss = content + ramp(step) * style + tv from :class:`convert.losses.StyleObjective`, Adam. The
style weight ramps up from zero over ``ramp_steps`` so the network first learns to keep the photo.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
from keras import ops

from . import images, networks, precision, vgg
from .losses import StyleObjective

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

    def build_transformer(self) -> keras.Model:
        """The untrained network this recipe describes."""
        return networks.transformer(len(self.styles), self.widths, self.residual_blocks, self.norm_multiplier,
                                    self.stem_stride)

    def scales(self) -> np.ndarray:
        """The per-style multipliers of the style weight, one per style."""
        if self.style_scales is None:
            return np.ones(len(self.styles), np.float32)
        if len(self.style_scales) != len(self.styles) or min(self.style_scales) < 0:
            raise ValueError(f"style_scales needs {len(self.styles)} non-negative numbers, one per style; "
                             f"got {list(self.style_scales)}")
        return np.asarray(self.style_scales, np.float32)

    def style_objective(self) -> StyleObjective:
        o = dict(self.objective)
        o["content_layers"] = tuple(o["content_layers"])
        o["style_layers"] = tuple(o["style_layers"])
        return StyleObjective(**o)


def load_folder(folder, size: int, log=print) -> tuple[list[np.ndarray], list[Path]]:
    """Every readable image in ``folder`` at longer side ``size`` as uint8; others skipped with a warning."""
    loaded, paths = [], []
    for path in images.list_images(folder):
        try:
            loaded.append(np.round(images.load_image(path, size=size)).astype(np.uint8))
            paths.append(path)
        except images.ImageError as error:
            log(f"warning: skipping {error}")
    if not loaded:
        raise images.ImageError(f"{folder}: no readable images")
    return loaded, paths


class RecipeMismatch(ValueError):
    """A run folder holds a run that this recipe cannot continue."""


class CropBatches(keras.utils.PyDataset):
    """Random crops of in-memory photos, each paired with a random style's one-hot vector.

    Each batch also carries the style weight's ramp factor for its global step, min(1, step /
    ramp_steps): part of the data rather than read from the optimiser, so the loss stays a pure
    function of its inputs on every backend (JAX traces it statelessly).
    """

    def __init__(self, photos: list[np.ndarray], n_styles: int, batch: int, crop: int, batches: int, seed: int,
                 first_step: int = 0, ramp_steps: int = 1, styles_drawn: list[int] | None = None):
        super().__init__()
        self.styles_drawn = np.arange(n_styles) if styles_drawn is None else np.asarray(styles_drawn)
        self.first_step, self.ramp_steps = first_step, max(1, ramp_steps)
        self.photos = [p for p in photos if min(p.shape[:2]) >= crop]
        self.dropped = len(photos) - len(self.photos)
        if not self.photos:
            raise ValueError(f"no photo is at least {crop} px on its shorter side")
        self.n_styles, self.batch, self.crop, self.batches, self.seed = n_styles, batch, crop, batches, seed

    def __len__(self):
        return self.batches

    def __getitem__(self, index):
        # Batch `index` is global step first_step + index: training is one pass (epochs=1) with
        # shuffle=False, since Keras shuffles a PyDataset's batch order by default.
        rng = np.random.default_rng((self.seed, self.first_step + index))
        content = np.empty((self.batch, self.crop, self.crop, 3), np.float32)
        for i in range(self.batch):
            photo = self.photos[rng.integers(len(self.photos))]
            y = rng.integers(photo.shape[0] - self.crop + 1)
            x = rng.integers(photo.shape[1] - self.crop + 1)
            patch = photo[y: y + self.crop, x: x + self.crop]
            content[i] = patch[:, ::-1] if rng.random() < 0.5 else patch
        drawn = self.styles_drawn[rng.integers(len(self.styles_drawn), size=self.batch)]
        style = np.eye(self.n_styles, dtype=np.float32)[drawn]
        step = self.first_step + index
        ramp = np.full((self.batch,), min(1.0, step / self.ramp_steps), np.float32)
        return (content, style, ramp), np.zeros((self.batch,), np.float32)


#: Weight of the penalty on output values outside [0, 255] (networks.out_of_range).
RANGE_WEIGHT = 30.0


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
        batch = ops.shape(content)[0]
        features = self.extractor(ops.concatenate([stylized, content], axis=0))
        out = {k: v[:batch] for k, v in features.items()}
        target = {k: v[batch:] for k, v in features.items()}
        grams = {k: ops.einsum("bn,ncd->bcd", style, g) for k, g in self.style_grams.items()}
        return self.objective.terms(stylized, out, target, grams)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        content, style, ramp = x
        t = self.terms(content, style, y_pred)
        o = self.objective
        scale = ops.sum(style * self.style_scales, axis=1)  # each image's style's multiplier
        total = o.content_weight * t["content"] + ramp * o.style_weight * scale * t["style"] + o.tv_weight * t["tv"]
        # The output head is linear (networks.ResidualOutput); images are clipped to [0, 255] when
        # made, so values beyond it are penalised rather than saturated.
        total = total + RANGE_WEIGHT * networks.out_of_range(y_pred)
        return ops.mean(total)


def style_grams(objective: StyleObjective, style_images: list[np.ndarray]) -> dict:
    """Stacked Gram targets, {layer: (n_styles, C, C)}, from styles at their training scale."""
    extractor = vgg.feature_extractor(objective.taps)
    per_style = [objective.style_targets(extractor(s[None].astype(np.float32))) for s in style_images]
    return {k: np.concatenate([np.asarray(t[k]) for t in per_style], axis=0) for k in objective.style_layers}


# ------------------------------------------------------------------------------------------------
# Checkpoints


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def save_checkpoint(run_dir: Path, trainer: StyleTrainer, step: int) -> None:
    """Transformer weights (.weights.h5), optimiser state (.npz) and the step, each replaced atomically.

    state.json is written last and names the files it belongs to, so a crash between writes leaves
    the previous consistent checkpoint in force.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    weights = run_dir / f"transformer-{step:07d}.weights.h5"
    optim = run_dir / f"optimizer-{step:07d}.npz"
    partial = weights.with_name(weights.name.replace(".weights.h5", ".partial.weights.h5"))  # Keras wants the suffix
    trainer.network.save_weights(partial)
    os.replace(partial, weights)
    _atomic_write(optim, lambda p: _save_npz(p, [np.asarray(v) for v in trainer.optimizer.variables]))
    state = {"step": step, "weights": weights.name, "optimizer": optim.name, "time": time.time()}
    _atomic_write(run_dir / "state.json", lambda p: p.write_text(json.dumps(state, indent=2)))
    # Keep only the checkpoint state.json names; this also clears leftovers of a crash mid-save.
    for path in [*run_dir.glob("transformer-*"), *run_dir.glob("optimizer-*")]:
        if path.name not in (weights.name, optim.name):
            path.unlink(missing_ok=True)


def _save_npz(path: Path, arrays: list[np.ndarray]) -> None:
    with open(path, "wb") as f:
        np.savez(f, *arrays)


def _read_state(run_dir: Path) -> dict | None:
    path = run_dir / "state.json"
    return json.loads(path.read_text()) if path.exists() else None


def read_run(run_dir, kind: str) -> tuple[dict, dict]:
    """A run folder's saved recipe (``widths`` as a tuple) and checkpoint state.

    Raises FileNotFoundError naming ``kind`` (e.g. "AdaIN run") when either is missing."""
    run_dir = Path(run_dir)
    state = _read_state(run_dir)
    if state is None or not (run_dir / "recipe.json").exists():
        raise FileNotFoundError(f"{run_dir}: no {kind} with a checkpoint here")
    saved = json.loads((run_dir / "recipe.json").read_text())
    saved["widths"] = tuple(saved["widths"])
    return saved, state


#: Recipe entries that name data: compared by their last path component when a run resumes.
DATA_KEYS = ("photos", "styles")


def _portable(key: str, value):
    if key not in DATA_KEYS or value is None:
        return value
    return [Path(v).name for v in value] if isinstance(value, list) else Path(value).name


def check_resumable(run_dir: Path, recipe: dict, keys: tuple[str, ...], kind: str, is_kind=lambda saved: True) -> None:
    """Refuse to continue ``run_dir``'s checkpoint under a ``recipe`` (a dict) that differs in ``keys``.

    A folder without a checkpoint is fine (a run that failed before its first save is no run). Data
    paths are compared by file and folder names, so a run moves between machines that keep the
    same pictures in other places (a GPU machine's packed copy, ``../shared/data`` here).
    ``is_kind(saved_recipe)`` tells whether the folder holds a ``kind`` run at all.
    """
    if not (run_dir / "state.json").exists():
        return
    recipe_path = run_dir / "recipe.json"
    if not recipe_path.exists():
        raise RecipeMismatch(f"{run_dir} holds a checkpoint but no recipe.json: cannot tell what it was trained as")
    saved = json.loads(recipe_path.read_text())
    if not is_kind(saved):
        raise RecipeMismatch(f"{run_dir} holds another kind of run (not {kind}); use a new run folder")
    for key in keys:
        if json.dumps(_portable(key, saved.get(key))) != json.dumps(_portable(key, recipe.get(key))):
            raise RecipeMismatch(f"{run_dir} holds a run with another {key}; use a new run folder")


def load_checkpoint(run_dir: Path, trainer: StyleTrainer) -> int:
    """Restore the latest checkpoint into ``trainer``; returns its step (0 if there is none).

    A checkpoint kept as weights only (``"optimizer": null``: a finished run committed without its
    optimiser state) is refused: Adam's step count and moments belong together, and a fresh
    optimiser at the old step would take steps several times the learning rate for hundreds of steps.
    """
    state = _read_state(run_dir)
    if state is None:
        return 0
    if not state.get("optimizer"):
        raise RecipeMismatch(f"{run_dir} is kept as weights only (no optimiser state): it can be used but not "
                             "trained further; train into a new run folder")
    trainer.network.load_weights(run_dir / state["weights"])
    with np.load(run_dir / state["optimizer"]) as saved:
        values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    variables = trainer.optimizer.variables
    if len(values) != len(variables):
        raise ValueError(f"{run_dir}: checkpoint's optimiser has {len(values)} variables, this one {len(variables)}")
    for variable, value in zip(variables, values):
        variable.assign(value)
    return int(state["step"])


# ------------------------------------------------------------------------------------------------
# Monitoring


class Monitor(keras.callbacks.Callback):
    """Checkpoints every ``save_every`` seconds, logs every ``log_every`` steps, renders every ``render_every``."""

    def __init__(self, run_dir: Path, val_photos: list[np.ndarray], style_names: list[str], steps: int,
                 save_every: float, render_every: int, log_every: int = 10, log=print,
                 time_limit: float | None = None):
        super().__init__()
        # Wall-clock budget in seconds, counted from here: training stops after the batch that passes it.
        self.deadline = None if time_limit is None else time.monotonic() + time_limit
        self.run_dir, self.val_photos, self.style_names = run_dir, val_photos, style_names
        self.steps, self.save_every, self.render_every, self.log_every = steps, save_every, render_every, log_every
        self.log = log
        self.last_save = time.monotonic()
        self.stop_requested: str | None = None  # a signal's name: stop after this batch and save
        self.losses: list[float] = []
        self.writer = _summary_writer(run_dir / "tensorboard")

    def step(self) -> int:
        return int(np.asarray(self.model.optimizer.iterations))

    def on_train_begin(self, logs=None):
        self.first_step = self.step()
        self.running_mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        step = self.first_step + batch + 1  # without a device->host sync of the optimiser each step
        if logs and "loss" in logs:
            # Keras reports the mean since the start of the epoch (the whole run): recover this batch's.
            mean = float(logs["loss"])
            self.losses.append((batch + 1) * mean - batch * self.running_mean)
            self.running_mean = mean
        if step % self.log_every == 0 and self.losses:
            loss = float(np.mean(self.losses))
            self.losses.clear()
            self._append_log({"step": step, "loss": loss, "time": time.time()})
            self._scalar("train/loss", loss, step)
        if step % self.render_every == 0 or step >= self.steps:
            self.render(step)
        if time.monotonic() - self.last_save >= self.save_every:
            self.save(step)
        if step >= self.steps or self.stop_requested:
            self.model.stop_training = True  # on_train_end saves
        if self.deadline is not None and time.monotonic() >= self.deadline and not self.model.stop_training:
            self.log(f"\ntime limit reached at step {step}: saving and stopping")
            self.model.stop_training = True  # on_train_end saves

    def on_train_end(self, logs=None):
        self.save(self.step())

    def save(self, step: int):
        save_checkpoint(self.run_dir, self.model, step)
        self.last_save = time.monotonic()

    def render(self, step: int):
        """Every validation photo in every style, as one grid image, with the per-style figures."""
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
        grid = _grid(rows)
        renders = self.run_dir / "renders"
        renders.mkdir(parents=True, exist_ok=True)
        images.save_image(renders / f"step-{step:07d}.jpg", grid)
        summary = {name: {k: float(np.mean([f[k] for f in fs])) for k in fs[0]} for name, fs in figures.items()}
        # Distinctness: mean absolute difference between styles' outputs of the same photo (0-255).
        # (The diagonal of each styles x styles table is zero: rescale the mean to the n(n-1) pairs.)
        stacks = [np.stack(r[1:]) for r in rows]  # per photo: styles, H, W, 3
        distinct = float(np.mean([np.abs(o[:, None] - o[None]).mean() for o in stacks])) * n / max(n - 1, 1)
        record = {"step": step, "val": summary, "style_distinctness": distinct, "time": time.time()}
        self._append_log(record)
        for name, f in summary.items():
            for k, v in f.items():
                self._scalar(f"val/{name}/{k}", v, step)
        self._scalar("val/style_distinctness", distinct, step)
        mean = {k: float(np.mean([f[k] for f in summary.values()])) for k in ("content", "style", "total")}
        self.log(f"\nstep {step}: val content {mean['content']:.3f} style {mean['style']:.4f} "
                 f"total {mean['total']:.3f} distinctness {distinct:.1f} -> {renders / f'step-{step:07d}.jpg'}")

    def _append_log(self, record: dict):
        append_log(self.run_dir, record)

    def _scalar(self, name, value, step):
        if self.writer is not None:
            import tensorflow as tf

            with self.writer.as_default():
                tf.summary.scalar(name, value, step=step)
            self.writer.flush()


def append_log(run_dir: Path, record: dict) -> None:
    """One JSON line onto the run's log.jsonl."""
    with open(Path(run_dir) / "log.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")


def _summary_writer(folder: Path):
    """A TensorBoard writer where TensorFlow is installed (not on a JAX-only GPU machine), else None."""
    try:
        import tensorflow as tf
    except ImportError:
        return None
    if keras.backend.backend() != "tensorflow":
        tf.config.set_visible_devices([], "GPU")  # leave the GPU to the training backend
    return tf.summary.create_file_writer(str(folder))


def _grid(rows: list[list[np.ndarray]], gap: int = 2) -> np.ndarray:
    height = max(im.shape[0] for row in rows for im in row)
    width = max(im.shape[1] for row in rows for im in row)
    cols = max(len(r) for r in rows)
    grid = np.full((len(rows) * (height + gap) - gap, cols * (width + gap) - gap, 3), 255, np.float32)
    for i, row in enumerate(rows):
        for j, im in enumerate(row):
            y, x = i * (height + gap), j * (width + gap)
            grid[y: y + im.shape[0], x: x + im.shape[1]] = im
    return grid


# ------------------------------------------------------------------------------------------------
# The run


def fit(model: keras.Model, data: CropBatches, callbacks, verbose: int = 1):
    """One pass over ``data`` in order: batch i is step first_step + i (Keras shuffles by default)."""
    return model.fit(data, epochs=1, callbacks=callbacks, verbose=verbose, shuffle=False)


def train(recipe: Recipe, run_dir, val_folder=None, val_count: int = 4, val_size: int = 256,
          save_every: float = 300.0, render_every: int = 250, jit_compile="auto", log=print,
          time_limit: float | None = None, precision_choice: str = "auto") -> int:
    """Train (or resume) the run in ``run_dir``; returns the step reached.

    ``precision_choice`` is ``auto``, ``bfloat16`` or ``float32`` (:func:`convert.precision.resolve`);
    weights and optimiser state are float32 in every mode, so a run may change it between sessions.
    """
    run_dir = Path(run_dir)
    scales = recipe.scales()  # checked before anything is written
    run_dir.mkdir(parents=True, exist_ok=True)
    recipe_path = run_dir / "recipe.json"
    check_resumable(run_dir, asdict(recipe), ("styles", "widths", "residual_blocks", "norm_multiplier",
                                              "stem_stride", "objective", "scale"),
                    "a fast style network", lambda saved: "residual_blocks" in saved)
    if recipe.objective.get("style_statistic", "gram") != "gram":
        raise ValueError("fast networks train on Gram statistics (style_statistic 'gram')")
    # Steps, learning rate, batch, crop and style scales may change between sessions (the network
    # and the scale its strokes are learnt at may not): the file says what was used last, and each
    # session's own settings go into the log (below).
    _atomic_write(recipe_path, lambda p: p.write_text(json.dumps(asdict(recipe), indent=2)))

    objective = recipe.style_objective()
    keras.utils.set_random_seed(recipe.seed)
    styles = [np.asarray(images.load_image(s, size=recipe.scale)) for s in recipe.styles]
    log(f"loading photos from {recipe.photos} at {recipe.scale} px")
    photos, _ = load_folder(recipe.photos, recipe.scale, log=log)
    val = []
    if val_folder:
        val_images, _ = load_folder(val_folder, val_size, log=log)
        val = val_images[:val_count]
    log(f"{len(photos)} photos, {len(styles)} styles, {len(val)} validation photos")

    data_parallel(recipe.batch, log)  # before any variable is made: they are placed by it
    targets = style_grams(objective, styles)  # in float32, whatever the training precision
    chosen = precision.resolve(precision_choice)
    log(chosen.note)
    with precision.scope(chosen):
        transformer = recipe.build_transformer()
        trainer = StyleTrainer(transformer, objective, targets, scales)
    if recipe.init_from and not (run_dir / "state.json").exists():
        n_base = init_from_run(transformer, recipe.init_from)
        log(f"starting from {recipe.init_from} ({n_base} styles); new styles start as their mean")
    if recipe.freeze_shared:
        for layer in transformer.layers:
            if not isinstance(layer, networks.ConditionalInstanceNorm):
                layer.trainable = False
    start = compile_and_restore(trainer, run_dir, recipe.learning_rate, jit_compile,
                                (np.zeros((1, 16, 16, 3), np.float32), np.eye(len(styles), dtype=np.float32)[:1]), chosen)
    if start >= recipe.steps:
        log(f"{run_dir}: already trained to step {start}")
        return start
    log(f"{'resuming at' if start else 'starting'} step {start} of {recipe.steps}")
    # What this session trains with, in the log beside its losses: a run's sessions may differ.
    append_log(run_dir, {"step": start, "session": {
        "precision": chosen.name, "jit_compile": bool(trainer.jit_compile), "backend": keras.backend.backend(),
        "batch": recipe.batch, "crop": recipe.crop, "learning_rate": recipe.learning_rate,
        "style_scales": recipe.style_scales}, "time": time.time()})

    data = CropBatches(photos, len(styles), recipe.batch, recipe.crop, recipe.steps - start, recipe.seed,
                       first_step=start, ramp_steps=recipe.ramp_steps, styles_drawn=recipe.train_styles)
    if data.dropped:
        log(f"warning: {data.dropped} photos are smaller than the {recipe.crop} px crop and are not used")
    names = [Path(s).stem for s in recipe.styles]
    monitor = Monitor(run_dir, val, names, recipe.steps, save_every, render_every, log=log, time_limit=time_limit)
    return fit_saving_on_interrupt(trainer, data, monitor, run_dir, log)


def data_parallel(batch: int, log=print) -> int:
    """On JAX with several devices, split every batch across all of them; returns the device count.

    Keras's ``DataParallel`` distribution replicates the variables on each device and shards each
    batch along its first axis, so one command trains on one GPU or on all of a machine's (on a
    CPU, ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` makes N devices to test it with).
    Other backends, and a single device, train as they are.
    """
    if keras.backend.backend() != "jax":
        return 1
    devices = keras.distribution.list_devices()
    if len(devices) < 2:
        return 1
    if batch % len(devices):
        raise ValueError(f"batch {batch} does not split evenly over {len(devices)} devices; "
                         f"use a multiple of {len(devices)}")
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    log(f"data-parallel over {len(devices)} devices ({batch // len(devices)} crops each)")
    return len(devices)


def compile_and_restore(trainer: keras.Model, run_dir: Path, learning_rate: float, jit_compile, probe,
                        chosen: precision.Precision) -> int:
    """Compile with Adam, build on ``probe`` inputs, load the run's checkpoint; returns its step (0: none).

    The learning rate is set after loading, so a changed recipe wins over the checkpoint's.
    """
    if jit_compile == "auto":  # XLA where it pays at this precision (convert.precision.jit_compile)
        jit_compile = precision.jit_compile(chosen)
    trainer.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=jit_compile)
    trainer(probe)
    trainer.optimizer.build(trainer.trainable_variables)
    start = load_checkpoint(run_dir, trainer)
    trainer.optimizer.learning_rate.assign(learning_rate)
    return start


def fit_saving_on_interrupt(trainer: keras.Model, data, monitor: Monitor, run_dir: Path, log=print) -> int:
    """:func:`fit`; Ctrl-C or SIGTERM (`timeout`, schedulers) saves a checkpoint first. Returns the step.

    The first signal asks the monitor to stop after the batch in progress, so the checkpoint is
    taken between steps: on JAX a step interrupted midway has handed its variables' buffers to the
    compiled function, and nothing could be read back from them. A second signal stops at once
    (the last periodic checkpoint stands if that one cannot be written). Either way the run ends
    in KeyboardInterrupt, so a command line reports it as interrupted.
    """
    def request_stop(signum, frame):
        if monitor.stop_requested:
            raise KeyboardInterrupt
        monitor.stop_requested = signal.Signals(signum).name

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        fit(trainer, data, [monitor])
    except KeyboardInterrupt:
        try:
            monitor.save(monitor.step())
            log(f"\ninterrupted: saved step {monitor.step()} to {run_dir}")
        except RuntimeError as error:
            log(f"\ninterrupted inside a step; the last checkpoint in {run_dir} stands ({error})")
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if monitor.stop_requested:  # on_train_end has saved
        log(f"\n{monitor.stop_requested}: saved step {monitor.step()} to {run_dir}")
        raise KeyboardInterrupt
    return monitor.step()


def init_from_run(transformer: keras.Model, base_run) -> int:
    """Copy a trained run's weights into ``transformer``, which has the base's styles first and maybe more.

    Shared weights are copied as they are; each conditional-norm table gets the base's rows, and
    rows for new styles start at the mean of the base's rows (a neutral, already-stylised start).
    Returns the number of the base's styles.
    """
    base, base_recipe, _ = load_run(base_run)
    n_base = len(base_recipe.styles)
    for layer in transformer.layers:
        weights = base.get_layer(layer.name).get_weights() if layer.weights else []
        if isinstance(layer, networks.ConditionalInstanceNorm):
            grown = []
            for table in weights:
                extra = np.repeat(table.mean(axis=0, keepdims=True), layer.n_styles - n_base, axis=0)
                grown.append(np.concatenate([table, extra], axis=0))
            weights = grown
        if weights:
            layer.set_weights(weights)
    return n_base


def load_run(run_dir) -> tuple[keras.Model, Recipe, int]:
    """The transformer of a run folder at its latest checkpoint, with its recipe and step."""
    run_dir = Path(run_dir)
    recipe_path, state = run_dir / "recipe.json", _read_state(run_dir)
    if not recipe_path.exists() or state is None:
        raise FileNotFoundError(f"{run_dir}: no training run with a checkpoint here")
    saved = json.loads(recipe_path.read_text())
    saved["widths"] = tuple(saved["widths"])
    recipe = Recipe(**{k: v for k, v in saved.items() if k in Recipe.__dataclass_fields__})
    transformer = recipe.build_transformer()
    transformer.load_weights(run_dir / state["weights"])
    return transformer, recipe, int(state["step"])
