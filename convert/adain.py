"""Arbitrary style transfer with adaptive instance normalisation (Huang & Belongie 2017).

"Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization": a fixed VGG encoder
maps content and style images to features; AdaIN gives the content features the style features'
channel means and standard deviations (eq. 8),

    AdaIN(x, y) = sigma(y) * (x - mu(x)) / sigma(x) + mu(y),

and a trained decoder maps the result back to an image. Any painting or photo is a style, with no
training per style; alpha in [0, 1] blends the target features with the content's (the
content/style trade-off, their eq. 14) and convex mixes of styles' statistics interpolate styles.

Choices made here
* Encoder: VGG16 up to relu4_1 (the paper uses VGG19; relu4_1 is the same depth in blocks), with
  the bundled weights of :mod:`convert.vgg`. 2.9 M parameters, frozen.
* Decoder: the paper's mirrored decoder at a quarter of its widths (512 -> 128, then 128/64/32
  channels instead of 256/128/64), 0.88 M parameters instead of 3.5 M, so that encoder and decoder
  together stay within a few megabytes for the browser. Nearest upsampling and reflection padding
  as in the paper; a linear output, clipped to [0, 255] only when an image is made, with values
  outside the range penalised in training (as for the fast networks, :mod:`convert.networks`).
* Loss (their eqs. 11-13): content loss between the output's relu4_1 and the AdaIN target, plus
  ``style_weight`` times the mean/std style loss averaged over ``style_layers`` (the paper's relu1_1
  .. relu4_1 by default; relu5_1, a style layer of Gatys et al. 2016 and the one the project's
  objective finds the decoder missing most, may be added: on 128 px crops it cost more content than
  it gained style, docs/training.md), both relative squared errors
  as everywhere in :mod:`convert.losses`; optionally ``block_weight`` times
  :func:`convert.losses.block_penalty`, against the 8-pixel grid that the decoder's three 2x
  upsamplings leave until it has trained long (off by default, as in the paper); optionally
  ``anchor_weight`` times a content loss against the photo itself at ``ANCHOR_LAYER``, as the fast
  networks' content loss is (Johnson et al. 2016), since the AdaIN target alone fixes only relu4_1,
  at an eighth of the resolution (off by default). It was tried against the light halos along
  strong edges: at 0.25 for 9,474 steps it moved content and style but left the halos
  (docs/training.md); optionally ``tone_weight`` times :func:`convert.losses.tone_loss`, which asks
  the output to keep where the photo is light and where dark, on a 16 px grid, in the style's own
  palette (off by default).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from . import data, distill, images, losses, networks, runs, training, vgg
from .batches import PairBatches

ENCODER_TAPS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
#: Layers a decoder's style loss may cover: the encoder's taps and Gatys et al.'s (2016) relu5_1.
STYLE_LAYERS = ENCODER_TAPS + ("relu5_1",)
#: Where the optional photo anchor compares the output with the photo: a quarter of the resolution,
#: fine enough for the halos along edges, and coarse enough to leave colours and strokes to the style.
ANCHOR_LAYER = "relu3_1"
DEFAULT_DECODER_WIDTHS = (128, 64, 32)
#: Typical root mean square of relu4_1 activations (measured on photos-val and the gallery paintings).
FEATURE_SCALE = 10.0
#: Height and width must be multiples of this (three 2x poolings in the encoder).
MULTIPLE = 8


def encoder() -> keras.Model:
    """The frozen VGG16 encoder, images in [0, 255] -> {tap: features} for relu1_1 .. relu4_1."""
    return vgg.feature_extractor(ENCODER_TAPS)


def relu4_1_encoder(run=None) -> keras.Model:
    """Images in [0, 255] -> relu4_1 features: VGG16 itself (``run`` None or ``"vgg"``), or the slim
    student distilled from it in an encoder run folder (:mod:`convert.distill`), which the site ships."""
    if run is None or str(run) == "vgg":
        enc = encoder()
        return keras.Model(enc.input, enc.get_layer("relu4_1").output, name="adain_encoder")
    return distill.load_run(run)[0]


def shipped_encoder(models_dir) -> keras.Model | None:
    """The encoder ``models_dir``'s manifest ships, as a Keras model: the distilled student of the run
    its recipe names (resolved from the folder above ``models_dir``), or None for VGG16 itself."""
    manifest = json.loads((Path(models_dir) / "manifest.json").read_text())
    recipe = next(m for m in manifest["models"] if m["id"] == "adain-encoder")["recipe"]
    return relu4_1_encoder(Path(models_dir).resolve().parent / recipe["run"]) if "run" in recipe else None


def adaptive_instance_norm(content, style_mean, style_std, eps: float = 1e-5):
    """AdaIN (Huang & Belongie 2017, eq. 8): content features with the style's channel statistics.

    ``content`` (batch, H, W, C); ``style_mean`` and ``style_std`` (batch, C).
    """
    mean, std = losses.mean_std(content, eps)
    normalised = (content - mean[:, None, None, :]) / std[:, None, None, :]
    return normalised * style_std[:, None, None, :] + style_mean[:, None, None, :]


def decoder(widths=DEFAULT_DECODER_WIDTHS, upsample: str = "nearest", name: str = "decoder") -> keras.Model:
    """relu4_1-sized features (batch, H/8, W/8, 512) -> image (batch, H, W, 3), about [0, 255].

    ``upsample`` is ``"nearest"`` (the paper's) or ``"bilinear"``
    (:class:`convert.networks.BilinearUpsample`: no 8-pixel grid to unlearn); both have the same
    weights, so a decoder trained with one can go on training with the other.
    """
    if upsample not in networks.UPSAMPLING:
        raise ValueError(f"upsample must be one of {', '.join(networks.UPSAMPLING)}, not {upsample!r}")
    up = networks.UPSAMPLING[upsample]
    w1, w2, w3 = widths
    features = keras.Input((None, None, vgg.CHANNELS["relu4_1"]), name="features")

    def conv(x, filters, label, relu=True):
        x = networks.ReflectPad(1, name=f"{label}_pad")(x)
        x = layers.Conv2D(filters, 3, padding="valid", name=f"{label}_conv")(x)
        return layers.ReLU(name=f"{label}_relu")(x) if relu else x

    # relu4_1 activations have a root mean square of about 10 on photos and paintings alike: scale
    # them to about 1, and the output from about [-1, 1] to [0, 255], so that a freshly initialised
    # decoder starts near the displayable range.
    x = layers.Rescaling(1 / FEATURE_SCALE, name="features_scale")(features)
    x = conv(x, w1, "dec4_1")
    x = up("up3")(x)
    x = conv(x, w1, "dec3_2")
    x = conv(x, w2, "dec3_1")
    x = up("up2")(x)
    x = conv(x, w2, "dec2_2")
    x = conv(x, w3, "dec2_1")
    x = up("up1")(x)
    x = conv(x, w3, "dec1_2")
    x = networks.ReflectPad(1, name="dec1_1_pad")(x)
    # The head is float32 under any dtype policy (convert.precision), as the gallery network's is.
    x = layers.Conv2D(3, 3, padding="valid", name="dec1_1_conv", dtype="float32")(x)
    image = layers.Rescaling(127.5, offset=127.5, name="image", dtype="float32")(x)
    return keras.Model(features, image, name=name)


def style_statistics(style_images, encode: keras.Model | None = None) -> dict:
    """{tap: (mean, std)} of a batch of style images (batch, H, W, 3) in [0, 255]: for relu1_1 ..
    relu4_1 of VGG16, or for relu4_1 only with ``encode`` (a :func:`relu4_1_encoder`)."""
    x = ops.convert_to_tensor(style_images, "float32")
    if encode is not None:
        return {"relu4_1": losses.mean_std(encode(x))}
    feats = encoder()(x)
    return {tap: losses.mean_std(feats[tap]) for tap in ENCODER_TAPS}


def mix_statistics(stats: list[dict], weights) -> dict:
    """Interpolate styles by a convex mix of their statistics (Huang & Belongie 2017, sec. 7.3)."""
    weights = np.asarray(weights, np.float32) / np.sum(weights)
    return {tap: tuple(sum(w * np.asarray(s[tap][i]) for w, s in zip(weights, stats)) for i in range(2))
            for tap in stats[0]}


def stylize(dec: keras.Model, content_image, style, alpha: float = 1.0, encode: keras.Model | None = None):
    """Stylise one HxWx3 image in [0, 255]; ``style`` is an image or precomputed :func:`style_statistics`.

    ``encode`` is the :func:`relu4_1_encoder` to use (default VGG16); statistics passed in must come
    from the same encoder.
    The content is padded (:func:`convert.networks.pad_for`: to a multiple of 8, at least 16 px a
    side) and cropped back. Returns HxWx3 float32 in [0, 255].
    """
    image = np.asarray(content_image, np.float32)
    h, w = image.shape[:2]
    padded = networks.pad_for(image, MULTIPLE)
    stats = style if isinstance(style, dict) else style_statistics(np.asarray(style, np.float32)[None], encode)
    content = encoder()(padded[None])["relu4_1"] if encode is None else encode(padded[None])
    mean, std = stats["relu4_1"]
    target = adaptive_instance_norm(content, ops.reshape(mean, (1, -1)), ops.reshape(std, (1, -1)))
    target = alpha * target + (1.0 - alpha) * content
    out = np.asarray(dec(target))[0, :h, :w]
    return np.clip(out, 0.0, 255.0)


class AdaINTrainer(keras.Model):
    """Trains the decoder: content loss on the AdaIN target, mean/std style loss on ``style_layers``
    (with ``block_weight``, the block penalty; with ``anchor_weight``, content loss against the photo
    at :data:`ANCHOR_LAYER`; with ``tone_weight``, :func:`convert.losses.tone_loss` against the photo)."""

    def __init__(self, dec: keras.Model, style_weight: float, tv_weight: float = 0.0, block_weight: float = 0.0,
                 style_layers=ENCODER_TAPS, anchor_weight: float = 0.0, tone_weight: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        unknown = [layer for layer in style_layers if layer not in STYLE_LAYERS]
        if unknown or not style_layers:
            raise ValueError(f"style layers must be some of {', '.join(STYLE_LAYERS)}, not {list(style_layers)}")
        self.decoder = dec
        self.style_weight, self.tv_weight, self.block_weight = style_weight, tv_weight, block_weight
        self.anchor_weight, self.tone_weight = anchor_weight, tone_weight
        self.style_layers = tuple(style_layers)
        # the style images' statistics: relu4_1's for the AdaIN target, and each style layer's, once
        self.statistic_taps = tuple(dict.fromkeys(("relu4_1",) + self.style_layers))
        # VGG16 as deep as the deepest layer used: relu4_1 for the AdaIN target, relu5_1 if styled on
        self.encoder = vgg.feature_extractor(tuple(dict.fromkeys(ENCODER_TAPS + self.style_layers)))

    @property
    def network(self) -> keras.Model:
        return self.decoder

    def targets(self, content, style):
        batch = ops.shape(content)[0]
        feats = self.encoder(ops.concatenate([content, style], axis=0))
        style_stats = {tap: losses.mean_std(feats[tap][batch:]) for tap in self.statistic_taps}
        target = adaptive_instance_norm(feats["relu4_1"][:batch], *style_stats["relu4_1"])
        return target, style_stats, feats[ANCHOR_LAYER][:batch]

    def call(self, inputs, training=False):
        """The decoded image, with the targets it is scored against: Keras's step calls this and then
        :meth:`compute_loss`, which would otherwise run the encoder on both batches a second time."""
        target, style_stats, anchor = self.targets(*inputs)
        return {"image": self.decoder(target, training=training), "target": target, "style_stats": style_stats,
                "anchor": anchor}

    def terms(self, content, style, out, targets=None):
        """Per-image loss terms of ``out``; ``targets`` (:meth:`targets` of content and style) when known."""
        target, style_stats, anchor = self.targets(content, style) if targets is None else targets
        feats = self.encoder(out)
        content_term = losses.content_loss(feats["relu4_1"], target)
        style_term = sum(losses.mean_std_style_loss(feats[t], *style_stats[t]) for t in self.style_layers)
        style_term = style_term / len(self.style_layers)
        found = {"content": content_term, "style": style_term, "tv": losses.total_variation(out),
                 "range": networks.out_of_range(out)}
        if self.block_weight:  # only a run that trains against the grid pays for (and logs) it
            found["block"] = losses.block_penalty(out)
        if self.anchor_weight:  # likewise the photo anchor
            found["anchor"] = losses.content_loss(feats[ANCHOR_LAYER], anchor)
        if self.tone_weight:  # and the photo's light and dark
            found["tone"] = losses.tone_loss(out, content)
        return found

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        t = self.terms(x[0], x[1], y_pred["image"], (y_pred["target"], y_pred["style_stats"], y_pred["anchor"]))
        total = (t["content"] + self.style_weight * t["style"] + self.tv_weight * t["tv"]
                 + self.block_weight * t.get("block", 0.0) + self.anchor_weight * t.get("anchor", 0.0)
                 + self.tone_weight * t.get("tone", 0.0)
                 + networks.RANGE_WEIGHT * t["range"])
        return ops.mean(total)


@dataclass
class AdaINRecipe:
    """Everything that defines a decoder training run; saved beside its checkpoints."""

    photos: str
    styles: list[str]  # folders or files of style images
    holdout: list[str] = field(default_factory=list)  # style file names never trained on
    steps: int = 20000
    batch: int = 8
    crop: int = 256
    scale: int = 384
    learning_rate: float = 1e-4
    style_weight: float = 10.0
    tv_weight: float = 0.0
    block_weight: float = 0.0  # of losses.block_penalty; may change between sessions
    style_layers: tuple[str, ...] = ENCODER_TAPS  # some of STYLE_LAYERS; may change between sessions
    anchor_weight: float = 0.0  # of the content loss against the photo at ANCHOR_LAYER; likewise
    tone_weight: float = 0.0  # of losses.tone_loss against the photo; likewise
    widths: tuple[int, ...] = DEFAULT_DECODER_WIDTHS
    seed: int = 0
    upsample: str = "nearest"  # or "bilinear" (:func:`decoder`)
    # A new run may start from the weights of run `init_from` (same widths and held-out paintings),
    # to train them on with another upsampling, say.
    init_from: str | None = None

    def build_decoder(self) -> keras.Model:
        return decoder(tuple(self.widths), self.upsample)


#: Decoder settings a run's sessions may not change: what the decoder is, and which paintings it
#: must never see. Crops, scale, weights and learning rate may change (a curriculum).
FIXED = ("styles", "holdout", "widths", "upsample", "init_from")
#: What recipes written before a setting existed trained with.
FIXED_DEFAULTS = {"upsample": "nearest", "init_from": None}


class AdaINMonitor(training.Monitor):
    """Renders validation photos x validation styles (the held-out paintings) with the loss figures."""

    def __init__(self, run_dir, val_photos, val_styles, steps, save_every, render_every, log=print,
                 time_limit=None):
        super().__init__(run_dir, steps, save_every, render_every, log=log, time_limit=time_limit)
        self.val_photos, self.val_styles = val_photos, val_styles

    def render(self, step: int):
        if not self.val_photos or not self.val_styles:
            return
        trainer = self.model
        header = [np.full_like(self.val_photos[0], 255.0, np.float32)]
        header += [images.fill(s, self.val_photos[0].shape[:2]) for s in self.val_styles]
        rows, figures = [header], []
        stats = [style_statistics(s[None].astype(np.float32)) for s in self.val_styles]
        for photo in self.val_photos:
            row = [photo.astype(np.float32)]
            for s, st in zip(self.val_styles, stats):
                out = stylize(trainer.decoder, photo, st)
                row.append(out)
                crop = min(photo.shape[0], photo.shape[1], s.shape[0], s.shape[1]) // 8 * 8
                t = trainer.terms(photo[None, :crop, :crop].astype(np.float32),
                                  s[None, :crop, :crop].astype(np.float32), out[None, :crop, :crop])
                figures.append({k: float(np.asarray(v)[0]) for k, v in t.items()})
            rows.append(row)
        path = self.save_render(step, images.grid(rows))
        mean = {k: float(np.mean([f[k] for f in figures])) for k in figures[0]}
        self.append_log({"step": step, "val": mean, "time": time.time()})
        self.log(f"\nstep {step}: val content {mean['content']:.3f} style {mean['style']:.4f} -> {path}")


def train_adain(recipe: AdaINRecipe, run_dir, val_folder=None, val_count: int = 3, val_size: int = 256,
                save_every: float = 300.0, render_every: int = 500, jit_compile="auto", log=print,
                time_limit: float | None = None, precision_choice: str = "auto", keep_snapshots: int = 0) -> int:
    """Train (or resume) the decoder in ``run_dir``; returns the step reached (``precision_choice``:
    :func:`convert.precision.resolve`)."""
    run_dir = training.open_run(run_dir, "adain", asdict(recipe), FIXED, recipe.seed, FIXED_DEFAULTS)
    log(f"loading photos from {recipe.photos} at {recipe.scale} px")
    photos, _ = data.load_folder(recipe.photos, recipe.scale, log=log)
    paintings = data.load_paintings(recipe.styles, recipe.holdout, recipe.scale, log=log)
    val, val_styles = [], []
    if val_folder:
        val = data.load_folder(val_folder, val_size, log=log)[0][:val_count]
        held = data.held_out_files(recipe.styles, recipe.holdout)
        val_styles = [np.asarray(images.load_image(p, size=val_size), np.float32) for p in held[:6]]
    log(f"{len(photos)} photos, {len(paintings)} style images, {len(recipe.holdout)} held out")

    def start_from_base(trainer):
        base, _, base_step = load_run(recipe.init_from)
        trainer.decoder.set_weights(base.get_weights())
        log(f"starting from {recipe.init_from} at step {base_step} ({recipe.upsample} upsampling)")

    probe = np.zeros((1, 16, 16, 3), np.float32)
    return training.session(
        run_dir, lambda: AdaINTrainer(recipe.build_decoder(), recipe.style_weight, recipe.tv_weight, recipe.block_weight,
                             recipe.style_layers, recipe.anchor_weight, recipe.tone_weight),
        steps=recipe.steps, learning_rate=recipe.learning_rate, jit_compile=jit_compile, probe=(probe, probe),
        precision_choice=precision_choice, log=log, fresh=start_from_base if recipe.init_from else None,
        batches=lambda start: PairBatches(photos, paintings, recipe.batch, recipe.crop, recipe.steps - start,
                                          recipe.seed, start),
        monitor=lambda: AdaINMonitor(run_dir, val, val_styles, recipe.steps, save_every, render_every, log=log,
                                     time_limit=time_limit), keep_snapshots=keep_snapshots)


def load_run(run_dir) -> tuple[keras.Model, AdaINRecipe, int]:
    """The decoder of a run folder at its latest checkpoint, with its recipe and step."""
    saved, state = runs.load_run(run_dir, "adain")
    recipe = AdaINRecipe(**saved)
    dec = recipe.build_decoder()
    dec.load_weights(Path(run_dir) / state["weights"])
    return dec, recipe, int(state["step"])
