"""Perceptual losses shared by Gatys optimisation, the fast networks and the AdaIN decoder.

Every term here is written with ``keras.ops`` (any Keras 3 backend) and takes VGG16 activations of
shape (batch, height, width, channels) from :mod:`convert.vgg`. It returns one value per image,
shape (batch,), so that training can average over a batch and evaluation can report each image.

Normalisation, fixed once for the whole project: each term is a *relative* squared error, the mean
squared difference between the generated statistic and its target divided by the mean square of
the target. The figures are then dimensionless, comparable across layers, image sizes and styles,
and independent of the overall scale of VGG activations. Against the papers this is only a choice of
per-layer weights: Gatys et al. (2016) weight layer l's Gram error by 1 / (4 N_l^2 M_l^2), which our
Gram matrix (divided by M_l, the number of positions) reproduces up to the factor 1/||A_l||^2.
The unstylised photo scores 0 on content and, against a painting, about 1 per style layer, which
makes "the output's style loss as a fraction of the photo's" an easy figure to read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from keras import ops

EPS = 1e-8


def _per_image_mean(x):
    """Mean over every axis but the first."""
    return ops.mean(ops.reshape(x, (ops.shape(x)[0], -1)), axis=1)


def relative_error(generated, target):
    """mean((generated - target)^2) / mean(target^2), per image (target treated as constant)."""
    target = ops.stop_gradient(target)
    return _per_image_mean(ops.square(generated - target)) / (_per_image_mean(ops.square(target)) + EPS)


def gram_matrix(features):
    """Channel correlations G = F^T F / (H W), shape (batch, C, C) (Gatys et al. 2016, eq. 3).

    Dividing by the number of positions makes the matrix independent of image size, so a style
    target computed at one resolution applies at another.
    """
    shape = ops.shape(features)
    flat = ops.reshape(features, (shape[0], -1, shape[3]))
    positions = ops.cast(shape[1] * shape[2], features.dtype)
    return ops.einsum("bnc,bnd->bcd", flat, flat) / positions


def mean_std(features, eps: float = 1e-5):
    """Per-channel mean and standard deviation over positions, each (batch, C).

    The statistics AdaIN aligns (Huang & Belongie 2017, eqs. 5-6).
    """
    mean = ops.mean(features, axis=(1, 2))
    var = ops.mean(ops.square(features - mean[:, None, None, :]), axis=(1, 2))
    return mean, ops.sqrt(var + eps)


def content_loss(features, target_features):
    """Feature reconstruction loss (Gatys et al. 2016 eq. 1; Johnson et al. 2016 sec. 3.2)."""
    return relative_error(features, target_features)


def gram_style_loss(features, target_gram):
    """Gram-matrix style reconstruction loss for one layer (Gatys et al. 2016 eqs. 3-5).

    ``target_gram`` is the style's Gram matrix, (1, C, C) or (batch, C, C).
    """
    gram = gram_matrix(features)
    target = ops.broadcast_to(target_gram, ops.shape(gram))
    return relative_error(gram, target)


def mean_std_style_loss(features, target_mean, target_std):
    """Mean/std style loss for one layer after Huang & Belongie (2017, eq. 13), relative like the rest.

    Matches the channel means and standard deviations instead of full Gram matrices: what AdaIN
    transfers, and a cheaper, size-independent style statistic. The paper sums unsquared L2 norms
    of the differences; here they are squared and divided by the target's, like every other term.
    """
    mean, std = mean_std(features)
    target_mean = ops.stop_gradient(ops.broadcast_to(target_mean, ops.shape(mean)))
    target_std = ops.stop_gradient(ops.broadcast_to(target_std, ops.shape(std)))
    error = ops.mean(ops.square(mean - target_mean), axis=1) + ops.mean(ops.square(std - target_std), axis=1)
    scale = ops.mean(ops.square(target_mean), axis=1) + ops.mean(ops.square(target_std), axis=1)
    return error / (scale + EPS)


def total_variation(images):
    """Squared total variation of images in [0, 255], measured on [0, 1] (Mahendran & Vedaldi 2015, beta=2).

    The smoothness prior Johnson et al. (2016, sec. 3.3) add against high-frequency artefacts.
    """
    x = images / 255.0
    dy = ops.square(x[:, 1:, :, :] - x[:, :-1, :, :])
    dx = ops.square(x[:, :, 1:, :] - x[:, :, :-1, :])
    return _per_image_mean(dy) + _per_image_mean(dx)


def phase_step_means(images, period: int = 8):
    """Per image, the mean absolute grey-level step between neighbouring columns, and rows, at each
    phase of a ``period``-pixel grid: (batch, 2, period), columns first. Shared by
    :func:`block_penalty` and :func:`convert.evaluate.block_figure`. Images must be at least
    ``period`` + 1 pixels each way, and known in size when traced.
    """
    x = ops.mean(ops.cast(images, "float32"), axis=-1)

    def phases(steps):  # (batch, lines, steps along a line) -> (batch, period)
        lines, n = steps.shape[1], steps.shape[2]
        whole = -(-n // period)  # periods, the last one padded with zeros
        padded = ops.pad(steps, ((0, 0), (0, 0), (0, whole * period - n)))
        sums = ops.sum(ops.reshape(padded, (-1, lines, whole, period)), axis=(1, 2))
        counts = np.array([lines * len(range(p, n, period)) for p in range(period)], np.float32)
        return sums / counts  # one reshape rather than a strided slice per phase: cheaper to train through

    columns = ops.abs(x[:, :, 1:] - x[:, :, :-1])
    rows = ops.transpose(ops.abs(x[:, 1:, :] - x[:, :-1, :]), (0, 2, 1))
    return ops.stack([phases(columns), phases(rows)], axis=1)


def block_penalty(images, period: int = 8):
    """Per image, how unevenly its pixel steps fall over the phases of a ``period``-pixel grid.

    A differentiable counterpart of :func:`convert.evaluate.block_figure`, on the same
    :func:`phase_step_means`: each direction's phase means divided by their mean, and the mean
    squared departure of those ratios from 1, summed over the two directions. 0 where the steps fall
    alike on every phase: a photo scores about 0.002; the 8-pixel blocks of a decoder whose three
    nearest upsamplings training has not yet learnt to hide (Odena, Dumoulin & Olah 2016), a block
    figure of about 1.35, about 0.065; pure 8 x 8 blocks 14.
    """
    phases = phase_step_means(images, period)
    ratio = phases / (ops.mean(phases, axis=-1, keepdims=True) + 1e-3)
    return ops.sum(ops.mean(ops.square(ratio - 1.0), axis=-1), axis=-1)


#: Luma weights of ITU-R BT.601, for the light and dark of an RGB image.
LUMA = (0.299, 0.587, 0.114)
#: Side, in pixels, of the squares :func:`tone_layout` averages: at the 256 px of a training crop,
#: a 16 x 16 map of where the picture is light and where dark, coarse enough to leave every stroke
#: (each a few pixels) to the style.
TONE_CELL = 16


def tone_layout(images, cell: int = TONE_CELL):
    """Per image, its luma averaged over ``cell`` x ``cell`` squares, standardised to mean 0 and
    standard deviation 1: (batch, H // cell, W // cell). Where the picture is light and where dark,
    independent of its overall brightness and contrast, which the style decides."""
    x = ops.cast(images, "float32")
    luma = ops.sum(x * ops.convert_to_tensor(LUMA, "float32"), axis=-1, keepdims=True)
    coarse = ops.average_pool(luma, cell, strides=cell, padding="valid")[..., 0]
    mean = ops.mean(coarse, axis=(1, 2), keepdims=True)
    std = ops.sqrt(ops.mean(ops.square(coarse - mean), axis=(1, 2), keepdims=True) + 1e-4)
    return (coarse - mean) / std


def tone_loss(images, photos, cell: int = TONE_CELL):
    """Per image, the mean squared difference between the :func:`tone_layout` of ``images`` and of
    ``photos``: 2 (1 - r), with r the correlation of the two maps, so 0 where the output keeps the
    photo's light and dark (in any palette), 2 where it ignores them, 4 where it inverts them.

    A stylising decoder trained on deep features alone (AdaIN's relu4_1 target and mean/std style
    statistics, Huang & Belongie 2017) is nearly free to move broad areas of light and dark, which
    those features hardly see: it painted a dark bear on snow white, in a dark field. Johnson et al.'s
    (2016) fast networks keep them because their content loss is at relu2_2; this term asks for the
    layout alone, and leaves colour and texture to the style, as luminance-only transfer separates
    them (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer").
    """
    target = ops.stop_gradient(tone_layout(photos, cell))
    return _per_image_mean(ops.square(tone_layout(images, cell) - target))


@dataclass(frozen=True)
class StyleObjective:
    """The weighted objective that Gatys optimisation, fast-network training and evaluation share.

    Default layers are those of Gatys et al. (2016, sec. 3): style on relu1_1, relu2_1, relu3_1,
    relu4_1 and relu5_1, content on relu4_2. Compared here with Johnson et al.'s (2016) relu1_2 ..
    relu4_3 style and relu3_3 content at the same weights, Gatys's set moved the photo's colours and
    strokes clearly towards the painting where Johnson's left the photo's palette, and it needs less
    of VGG16 (block 4's last convolution is skipped, block 5's first runs at 1/16 resolution).
    Weights were chosen by looking at Gatys results on photos and paintings (see README).
    """

    content_layers: tuple[str, ...] = ("relu4_2",)
    style_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    content_weight: float = 1.0
    style_weight: float = 20.0
    tv_weight: float = 10.0
    style_statistic: str = "gram"  # or "mean_std"

    @property
    def taps(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.content_layers + self.style_layers))

    def as_dict(self) -> dict:
        """JSON-ready: layer tuples become lists."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def style_targets(self, style_features: dict) -> dict:
        """The style's statistics per style layer, from its VGG features (computed once)."""
        if self.style_statistic == "gram":
            return {layer: gram_matrix(style_features[layer]) for layer in self.style_layers}
        if self.style_statistic == "mean_std":
            return {layer: mean_std(style_features[layer]) for layer in self.style_layers}
        raise ValueError(f"unknown style statistic {self.style_statistic!r}")

    def style_layer_losses(self, features: dict, style_targets: dict) -> dict:
        """Each style layer's unweighted, per-image style loss ({layer: (batch,)}); ``terms`` averages them."""
        if self.style_statistic == "gram":
            return {l: gram_style_loss(features[l], style_targets[l]) for l in self.style_layers}
        return {l: mean_std_style_loss(features[l], *style_targets[l]) for l in self.style_layers}

    def terms(self, images, features: dict, content_features: dict, style_targets: dict) -> dict:
        """Unweighted per-image terms: content, style (mean over layers), tv; and the weighted total."""
        content = sum(content_loss(features[l], content_features[l]) for l in self.content_layers)
        content = content / len(self.content_layers)
        style = sum(self.style_layer_losses(features, style_targets).values()) / len(self.style_layers)
        tv = total_variation(images)
        total = self.content_weight * content + self.style_weight * style + self.tv_weight * tv
        return {"content": content, "style": style, "tv": tv, "total": total}
