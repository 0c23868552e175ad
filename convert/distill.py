"""A slim encoder for the arbitrary-style network, distilled from VGG16 (relu4_1).

At 512 x 512 the VGG16 encoder to relu4_1 costs 53.6 G multiply-adds, four times the AdaIN decoder
and eight times the gallery network; it is what makes AdaIN slow in the browser. The student here
keeps VGG's layout (eight 3x3 convolutions, three max-poolings, the same 512 relu4_1 channels, so
the trained decoder and AdaIN itself stay as they are) with fewer channels inside, and is made in
two steps:

1. Channel pruning with least-squares reconstruction (He, Zhang & Sun 2017, "Channel Pruning for
   Accelerating Very Deep Neural Networks", sec. 3): layer by layer, keep the channels whose
   activations carry the most energy into the next layer, then solve a linear least-squares
   problem for the next layer's weights so that, from the student's own (already pruned) inputs,
   it reproduces the teacher's responses. No training yet, and the result is already close.
2. Feature distillation (Romero et al. 2015, "FitNets"; for style transfer encoders, Wang et al.
   2020, "Collaborative Distillation for Ultra-Resolution Universal Style Transfer"): fine-tune the
   student so that its relu4_1 matches the teacher's on crops of photos and paintings, the two
   kinds of picture AdaIN encodes. The loss is the relative squared error of :mod:`convert.losses`.

The decoder is not retrained: it reads features in the teacher's space, which the student imitates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from . import data, losses, runs, training, vgg
from .batches import PairBatches

#: VGG16's convolutions up to relu4_1, in order.
LAYERS = vgg.TAPS[: vgg.TAPS.index("relu4_1") + 1]
#: The student's channels for every layer before relu4_1 (VGG16: 64 64 128 128 256 256 256).
DEFAULT_WIDTHS = (32, 32, 64, 64, 128, 128, 128)


def student(widths=DEFAULT_WIDTHS, name: str = "slim_encoder") -> keras.Model:
    """A VGG16-shaped encoder, images in [0, 255] -> relu4_1-like features (batch, H/8, W/8, 512)."""
    widths = tuple(int(w) for w in widths)
    if len(widths) != len(LAYERS) - 1:
        raise ValueError(f"need {len(LAYERS) - 1} widths (one per layer before relu4_1), got {len(widths)}")
    image = keras.Input((None, None, 3), name="image")
    x = vgg.CaffePreprocess(name="caffe_preprocess")(image)
    for tap, width in zip(LAYERS, (*widths, vgg.CHANNELS["relu4_1"])):
        block, conv = int(tap[4]), int(tap[6])
        if conv == 1 and block > 1:
            x = layers.MaxPooling2D(2, strides=2, padding="same", name=f"pool{block - 1}")(x)
        x = layers.Conv2D(width, 3, padding="same", activation="relu", name=tap)(x)
    return keras.Model(image, x, name=name)


def multiply_adds_per_pixel(widths=DEFAULT_WIDTHS) -> float:
    """Multiply-adds per input pixel of an encoder with these widths (VGG16's own: 204.5 k)."""
    channels = (3, *widths, vgg.CHANNELS["relu4_1"])
    total = 0.0
    for k, tap in enumerate(LAYERS):
        total += 9 * channels[k] * channels[k + 1] / 4 ** (int(tap[4]) - 1)
    return total


def teacher_widths() -> tuple[int, ...]:
    return tuple(vgg.CHANNELS[t] for t in LAYERS[:-1])


# ------------------------------------------------------------------------------------------------
# Step 1: pruning with least-squares reconstruction


def _patches(x: np.ndarray, ys, xs, ns) -> np.ndarray:
    """3x3 neighbourhoods (zero-padded, as a 'same' convolution sees them) at the given positions,
    flattened in a Conv2D kernel's (dy, dx, channel) order, with a trailing 1 for the bias."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    parts = [padded[ns, ys + dy, xs + dx] for dy in range(3) for dx in range(3)]
    return np.concatenate([*parts, np.ones((len(ns), 1), x.dtype)], axis=1)


def prune(teacher_images: np.ndarray, widths=DEFAULT_WIDTHS, samples: int = 40000, ridge: float = 1e-3,
          seed: int = 0, log=print) -> keras.Model:
    """A student with ``widths`` initialised from VGG16 by channel selection and least squares.

    ``teacher_images``: (N, H, W, 3) in [0, 255], H and W multiples of 8 (a few dozen crops of
    photos and paintings suffice). Each layer's kept channels are those with the largest
    E[activation^2] * |next layer's weights from that channel|^2; the layer's weights are then fitted
    (ridge regression) from the student's inputs to the teacher's pre-activations of those channels.
    """
    rng = np.random.default_rng(seed)
    weights = vgg.load_weights()
    model = student(widths)
    teacher = vgg.feature_extractor(LAYERS)
    feats = {k: np.asarray(v) for k, v in teacher(teacher_images.astype(np.float32)).items()}
    preprocessed = np.asarray(vgg.CaffePreprocess()(teacher_images.astype(np.float32)))
    x = preprocessed  # the student's input, layer by layer
    kept_in = np.arange(3)
    out_widths = (*widths, vgg.CHANNELS["relu4_1"])
    for k, tap in enumerate(LAYERS):
        kernel, bias = weights[tap]
        teacher_out = feats[tap]
        if out_widths[k] < kernel.shape[-1]:
            following = weights[LAYERS[k + 1]][0]  # (3, 3, C, C_next)
            energy = np.mean(teacher_out ** 2, axis=(0, 1, 2)) * np.sum(following ** 2, axis=(0, 1, 3))
            kept_out = np.sort(np.argsort(energy)[::-1][: out_widths[k]])
        else:
            kept_out = np.arange(kernel.shape[-1])
        # The teacher's response before its ReLU, recomputed from its own input (its features are post-ReLU).
        n, h, w, _ = x.shape
        count = min(samples, n * h * w)
        ns, ys, xs = rng.integers(n, size=count), rng.integers(h, size=count), rng.integers(w, size=count)
        teacher_in = preprocessed if k == 0 else _pooled_if_needed(feats[LAYERS[k - 1]], tap)
        target = _patches(teacher_in, ys, xs, ns) @ np.concatenate(
            [kernel.reshape(-1, kernel.shape[-1]), bias[None]], axis=0)[:, kept_out]
        a = _patches(x, ys, xs, ns).astype(np.float64)
        gram = a.T @ a
        gram[np.diag_indices_from(gram)] += ridge * np.trace(gram) / len(gram)
        solution = np.linalg.solve(gram, a.T @ target.astype(np.float64)).astype(np.float32)
        new_kernel = solution[:-1].reshape(3, 3, len(kept_in), len(kept_out))
        model.get_layer(tap).set_weights([new_kernel, solution[-1]])
        x = np.maximum(_conv_same(x, new_kernel, solution[-1]), 0.0)
        reference = teacher_out[..., kept_out]
        error = float(np.sum((x - reference) ** 2) / np.sum(reference ** 2))
        log(f"{tap}: kept {len(kept_out)} of {kernel.shape[-1]} channels, relative squared error {error:.4f}")
        kept_in = kept_out
        if k + 1 < len(LAYERS):
            x = _pooled_if_needed(x, LAYERS[k + 1])
    return model


def _pooled_if_needed(x: np.ndarray, next_tap: str) -> np.ndarray:
    """``x`` max-pooled 2x2 when ``next_tap`` starts a new VGG block."""
    if int(next_tap[6]) != 1:
        return x
    n, h, w, c = x.shape
    return x[:, : h // 2 * 2, : w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _conv_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return np.asarray(ops.conv(x, kernel, padding="same") + bias)


# ------------------------------------------------------------------------------------------------
# Step 2: feature distillation


class DistillTrainer(keras.Model):
    """Fine-tunes the student: relative squared error between its relu4_1 and VGG16's."""

    def __init__(self, encoder: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.teacher = vgg.feature_extractor(("relu4_1",))

    @property
    def network(self) -> keras.Model:
        return self.encoder

    def call(self, inputs, training=False):
        content, style = inputs
        return self.encoder(ops.concatenate([content, style], axis=0), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        target = self.teacher(ops.concatenate([x[0], x[1]], axis=0))["relu4_1"]
        return ops.mean(losses.content_loss(ops.cast(y_pred, "float32"), ops.stop_gradient(target)))


@dataclass
class DistillRecipe:
    """Everything that defines a distillation run; saved beside its checkpoints."""

    photos: str
    styles: list[str]
    holdout: list[str] = field(default_factory=list)
    widths: tuple[int, ...] = DEFAULT_WIDTHS
    steps: int = 4000
    batch: int = 4  # photos and as many paintings per step
    crop: int = 128
    scale: int = 256
    learning_rate: float = 1e-4
    prune_images: int = 96  # crops (half photos, half paintings) the pruning is fitted on
    seed: int = 0


#: What a distillation's sessions may not change: its pictures, the student and how it was pruned.
FIXED = ("photos", "styles", "holdout", "widths", "crop", "scale", "prune_images", "seed")


def distill(recipe: DistillRecipe, run_dir, save_every: float = 300.0, jit_compile="auto", log=print,
            time_limit: float | None = None, precision_choice: str = "auto", keep_snapshots: int = 0) -> int:
    """Prune (on a fresh run) and fine-tune (or resume) a student encoder in ``run_dir``; returns its step.

    Pruning (least squares) is float32; the fine-tuning runs at ``precision_choice``
    (:func:`convert.precision.resolve`)."""
    run_dir = training.open_run(run_dir, "distill", asdict(recipe), FIXED, recipe.seed)
    photos, _ = data.load_folder(recipe.photos, recipe.scale, log=log)
    paintings = data.load_paintings(recipe.styles, recipe.holdout, recipe.scale, log=log)
    log(f"{len(photos)} photos, {len(paintings)} paintings, {len(recipe.holdout)} held out")
    (content, style), _ = PairBatches(photos, paintings, recipe.prune_images // 2, recipe.crop, 1, recipe.seed + 1)[0]

    def fresh(trainer):
        log(f"pruning VGG16 to widths {recipe.widths} on {2 * len(content)} crops")
        pruned = prune(np.concatenate([content, style]), recipe.widths, seed=recipe.seed, log=log)
        trainer.encoder.set_weights(pruned.get_weights())
        runs.save_checkpoint(run_dir, trainer, 0)

    probe = np.zeros((1, 16, 16, 3), np.float32)
    return training.session(
        run_dir, lambda: DistillTrainer(student(recipe.widths)), steps=recipe.steps,
        learning_rate=recipe.learning_rate, jit_compile=jit_compile, probe=(probe, probe),
        precision_choice=precision_choice, fresh=fresh, log=log, done="distilled", begin="fine-tuning from",
        batches=lambda start: PairBatches(photos, paintings, recipe.batch, recipe.crop, recipe.steps - start,
                                          recipe.seed, start),
        monitor=lambda: training.Monitor(run_dir, recipe.steps, save_every, render_every=10 ** 9, log=log,
                                         time_limit=time_limit), keep_snapshots=keep_snapshots)


def load_run(run_dir) -> tuple[keras.Model, DistillRecipe, int]:
    """The student encoder of a distillation run at its latest checkpoint, with its recipe and step."""
    saved, state = runs.load_run(run_dir, "distill")
    recipe = DistillRecipe(**saved)
    encoder = student(recipe.widths)
    encoder.load_weights(Path(run_dir) / state["weights"])
    return encoder, recipe, int(state["step"])


def feature_error(encoder: keras.Model, pictures: np.ndarray) -> float:
    """Relative squared error of ``encoder``'s relu4_1 against VGG16's on ``pictures`` (N, H, W, 3)."""
    x = ops.convert_to_tensor(pictures, "float32")
    target = vgg.feature_extractor(("relu4_1",))(x)["relu4_1"]
    out = encoder(x)
    return float(ops.sum((out - target) ** 2) / ops.sum(target ** 2))
