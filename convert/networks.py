"""Feed-forward style networks.

:func:`transformer` is the image transformation network of Johnson et al. (2016, "Perceptual Losses
for Real-Time Style Transfer and Super-Resolution"): a strided-convolution encoder, residual blocks
and an upsampling decoder, normalised with instance norm (Ulyanov et al. 2016). Two changes make it
cheap to train on two CPU cores and to run in a browser:

* Conditional instance normalisation (Dumoulin, Shlens & Kudlur 2017, "A Learned Representation
  for Artistic Style"): every style shares the convolutions and owns only a scale and shift per
  normalised channel. One training run teaches all styles; a new style costs a few kilobytes; and a
  weighted mix of style vectors interpolates between styles at run time.
* Slim widths and small kernels: 3x3 convolutions (a 9x9 first layer is what overflows tfjs
  WebGL's 8192 texture limit at 512 px), nearest-neighbour upsampling
  followed by a convolution instead of transposed convolutions (Odena et al. 2016, "Deconvolution
  and Checkerboard Artifacts").

The output is ``content + 127.5 * residual`` with the last convolution starting at zero, so the
untrained network is the identity: without such a path from input to output a network can
collapse into one texture for every photo, and starting from the photo keeps content in play from
the first step. The head is linear, unbounded while training and clipped to [0, 255] only when an
image is made (:func:`stylize`, the exported graph): a squashing head such as
``255 * sigmoid(logit(content / 255) + residual)`` blows highlights out to white, since a pixel
pushed into the sigmoid's flat tail gets almost no gradient to come back. Training instead
penalises values outside [0, 255] (:func:`out_of_range`). Because every instance norm removes
its channels' means, that residual cannot see the photo's mean colour; :class:`ColourOutput`
(``colour_head=True``) adds a per-style map of it, so that each style can set its own palette.

Inputs: ``content`` (batch, H, W, 3) RGB in [0, 255] and ``style`` (batch, n_styles) style weights
(one-hot for one style, a convex mix to blend). H and W should be multiples of 4.
"""

from __future__ import annotations

import contextlib
import functools

import keras
import numpy as np
from keras import layers, ops

#: Default widths: 16/32/64 channels and 3 residual blocks, 26 k multiply-adds per pixel against
#: 126 k for Johnson et al.'s 32/64/128 channels, 5 blocks and 9x9 end convolutions. In TensorFlow.js
#: (wasm, 512 px, Node) it ran 6.2x faster than that network. A strided first convolution
#: (``stem_stride=2``) cuts the work to 6.9 k multiply-adds per pixel, an option for slow devices,
#: at the price of every pixel's style coming from a half-resolution signal (scripts/bench/bench_networks.py).
DEFAULT_WIDTHS = (16, 32, 64)
DEFAULT_RESIDUAL_BLOCKS = 3
DEFAULT_STEM_STRIDE = 1


@keras.saving.register_keras_serializable(package="deepstyle")
class ConditionalInstanceNorm(layers.Layer):
    """Instance norm whose scale and shift are a style-weighted mix of per-style parameters.

    gamma = w @ Gamma, beta = w @ Beta for style weights w (batch, n_styles) (Dumoulin et al. 2017,
    eq. 5). With a one-hot w this is plain instance norm with that style's parameters; for weights
    that sum to 1 it mixes the styles' parameters.

    The parameters are stored as offsets scaled by ``multiplier``: Gamma = 1 + m * G, Beta = m * B,
    with G and B starting at zero. Under Adam, whose steps are about the learning rate in the
    parameters' own units, this makes the per-style parameters learn m times faster than the shared
    convolutions, which matters here: each style is in only a fraction of every batch, and the CPU
    budget allows thousands of steps where Dumoulin et al. trained tens of thousands.
    """

    def __init__(self, n_styles: int, epsilon: float = 1e-5, multiplier: float = 10.0, **kwargs):
        # No autocasting: under a bfloat16 policy the per-style tables are read as float32, and
        # call() casts what it needs itself.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.n_styles = n_styles
        self.epsilon = epsilon
        self.multiplier = multiplier

    def build(self, input_shape):
        channels = input_shape[0][-1]
        self.gamma = self.add_weight(name="gamma", shape=(self.n_styles, channels), initializer="zeros")
        self.beta = self.add_weight(name="beta", shape=(self.n_styles, channels), initializer="zeros")

    def scale_and_shift(self, style):
        """(gamma, beta), each (batch, channels), for style weights (batch, n_styles)."""
        total = ops.sum(style, axis=-1, keepdims=True)
        gamma = total + self.multiplier * ops.matmul(style, ops.cast(self.gamma, style.dtype))
        beta = self.multiplier * ops.matmul(style, ops.cast(self.beta, style.dtype))
        return gamma, beta

    def call(self, inputs):
        x, style = inputs
        # Moments and the affine map in float32 whatever the layer computes in (convert.precision):
        # a mean over a whole picture summed in bfloat16 would lose its low bits.
        x32 = ops.cast(x, "float32")
        mean = ops.mean(x32, axis=(1, 2), keepdims=True)
        var = ops.mean(ops.square(x32 - mean), axis=(1, 2), keepdims=True)
        normalised = (x32 - mean) * ops.rsqrt(var + self.epsilon)
        gamma, beta = self.scale_and_shift(ops.cast(style, "float32"))
        out = normalised * gamma[:, None, None, :] + beta[:, None, None, :]
        return ops.cast(out, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "n_styles": self.n_styles, "epsilon": self.epsilon,
                "multiplier": self.multiplier}


@keras.saving.register_keras_serializable(package="deepstyle")
class ReflectPad(layers.Layer):
    """Reflection padding, which Johnson et al. use to avoid border artefacts."""

    def __init__(self, pad: int, **kwargs):
        super().__init__(**kwargs)
        self.pad = pad

    def call(self, x):
        p = self.pad
        return ops.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


@keras.saving.register_keras_serializable(package="deepstyle")
class NearestUpsample(layers.Layer):
    """Nearest-neighbour upsampling by an integer factor, as a broadcast multiply and a reshape.

    Keras's UpSampling2D repeats rows and columns, which the TensorFlow.js converter turns into Tile
    ops: at 512 px those took 1.4 s of a 1.6 s frame on the wasm backend here, against 0.23 s for
    every convolution together. A resize (ResizeNearestNeighbor) is fast in tfjs but its gradient
    has no XLA kernel, so training could not compile. Multiplying (b, h, 1, w, 1, c) by ones of
    shape (1, 1, f, 1, f, 1) and reshaping is the same operation, differentiable everywhere and
    plain elementwise work in tfjs.
    """

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    #: Set by :func:`resize_for_export`: compute the same numbers with a resize (read by
    #: :class:`BilinearUpsample` too).
    resize = False

    def call(self, x):
        f = self.factor
        shape = ops.shape(x)
        if NearestUpsample.resize and keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            return tf.image.resize(x, tf.stack([shape[1] * f, shape[2] * f]), method="nearest")
        spread = x[:, :, None, :, None, :] * ops.ones((1, 1, f, 1, f, 1), dtype=x.dtype)
        return ops.reshape(spread, (shape[0], shape[1] * f, shape[2] * f, shape[3]))

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, h and h * self.factor, w and w * self.factor, c)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _twice_along(x, axis: int):
    """Bilinear 2x along ``axis`` (1: rows, 2: columns) with half-pixel centres: output pixels 2i and
    2i + 1 are 3/4 of input pixel i and 1/4 of its neighbour before and after, edges repeated."""
    first, last = (x[:, :1], x[:, -1:]) if axis == 1 else (x[:, :, :1], x[:, :, -1:])
    inner_before, inner_after = (x[:, :-1], x[:, 1:]) if axis == 1 else (x[:, :, :-1], x[:, :, 1:])
    before = ops.concatenate([first, inner_before], axis=axis)
    after = ops.concatenate([inner_after, last], axis=axis)
    pair = ops.stack([0.75 * x + 0.25 * before, 0.75 * x + 0.25 * after], axis=axis + 1)
    shape = ops.shape(x)
    size = [shape[0], shape[1], shape[2], shape[3]]
    size[axis] = size[axis] * 2
    return ops.reshape(pair, size)


@keras.saving.register_keras_serializable(package="deepstyle")
class BilinearUpsample(layers.Layer):
    """Bilinear upsampling by 2, half-pixel centres: what ``tf.image.resize(..., "bilinear")`` and
    TensorFlow.js's ``resizeBilinear(..., halfPixelCenters=true)`` compute.

    Nearest repetition copies each feature into a 2x2 block, and three of them in a row leave a grid
    every 8 pixels unless the convolutions after them learn to hide it; interpolating first removes
    it at its source (Odena, Dumoulin & Olah 2016, "Deconvolution and Checkerboard Artifacts",
    resize-then-convolve). Written with slices, sums and a reshape, so that it trains on every backend
    (a resize's gradient has no XLA kernel on the CPU); exported as a ResizeBilinear
    (:func:`resize_for_export`).
    """

    def call(self, x):
        if NearestUpsample.resize and keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            shape = tf.shape(x)
            return tf.image.resize(x, tf.stack([shape[1] * 2, shape[2] * 2]), method="bilinear")
        return _twice_along(_twice_along(x, 1), 2)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, h and h * 2, w and w * 2, c)


#: The decoder's upsampling layers, by the name recipes record.
UPSAMPLING = {"nearest": lambda name: NearestUpsample(2, name=name),
              "bilinear": lambda name: BilinearUpsample(name=name)}


@contextlib.contextmanager
def resize_for_export():
    """Within this block, :class:`NearestUpsample` traces as ResizeNearestNeighbor and
    :class:`BilinearUpsample` as ResizeBilinear (TensorFlow only).

    The broadcast multiply by ones can reach the TensorFlow.js converter as Tile ops (TensorFlow's
    arithmetic optimiser rewrites Mul-by-ones into Tile: it did for the AdaIN decoder, not for the
    gallery network), and Tile took 1.5 s of a 3 s decoder pass at 512 px on wasm here. A
    nearest resize by an integer factor picks the same pixels (half-pixel centres: source row
    floor((i + 0.5) / f) = floor(i / f)) and is fast in TensorFlow.js; it only lacks the XLA gradient
    training needs, and an exported graph is never trained.
    """
    previous = NearestUpsample.resize
    NearestUpsample.resize = True
    try:
        yield
    finally:
        NearestUpsample.resize = previous


@keras.saving.register_keras_serializable(package="deepstyle")
class ResidualOutput(layers.Layer):
    """content + 127.5 * residual: the identity when the residual is zero; linear, so never saturated."""

    def call(self, inputs):
        content, residual = inputs
        return content + 127.5 * residual


#: How much faster than the shared weights :class:`ColourOutput`'s per-style maps learn, by default.
COLOUR_MULTIPLIER = 50.0


def _map_colours(pixels, matrix):
    """out_i = sum_j pixels_j matrix_ij for pixels (batch, h, w, 3) and matrices (batch, 3, 3).

    A batched matrix product (BatchMatMul), not an einsum: TensorFlow.js's wasm backend, the page's
    last fallback, has no Einsum kernel.
    """
    shape = ops.shape(pixels)
    flat = ops.reshape(pixels, (shape[0], -1, 3))
    return ops.reshape(ops.matmul(flat, ops.transpose(matrix, (0, 2, 1))), shape)


@keras.saving.register_keras_serializable(package="deepstyle")
class ColourOutput(layers.Layer):
    """The output head with a per-style say over the photo's own colours: where
    :class:`ResidualOutput` passes the photo through unchanged, this maps its mean colour and its
    deviations from that mean by a 3x3 matrix each, per style.

    Why: every convolution before the head feeds an instance norm, which removes each channel's
    mean and scale, so the residual is exactly the same for a photo and for that photo made
    brighter or tinted; with ``content + residual`` the output's mean colour is the photo's plus a
    fixed shift, whatever the painting's palette. A snowfield stays bright in every style unless the
    network covers it with texture, and that is what it learnt to do: to match a painting's colours
    (the Gram matrix at relu1_1) it painted large blobs over the photo, losing content. With
    x = content / 127.5 - 1, mu its per-image mean colour and style weights w, the output is

        (x + A_w mu + B_w (x - mu) + residual + 1) * 127.5,   A_w = m sum_s w_s A_s,  B_w likewise,

    with A and B starting at zero (the same function as :class:`ResidualOutput`). A_w = -I makes the
    mean colour the residual's own, set per style by the conditional norms before it: the fixed
    palette of Johnson et al.'s (2016) network, whose output is the decoder's alone; B_w scales and
    mixes the photo's detail in colour. ``multiplier`` m plays the part it plays in
    :class:`ConditionalInstanceNorm`, but larger by default (:data:`COLOUR_MULTIPLIER`): each map
    entry gets gradient only from the images of its style, and at m = 10 the mean maps of a trained
    gallery moved from 0 to about -0.45 on the diagonal in 1,861 steps, a twelfth of what Adam allowed.

    A third map, of the detail at unit contrast ((x - mu) / sigma), made training diverge within
    60 steps, with sigma floored at 0.003 and at 0.1 alike, so there is none. mu is over the picture
    the network sees; when the page paints in tiles it feeds this mean the whole picture's, as it
    does every instance norm's moments (findNormLayers in web/src/engine/statistics.ts).
    """

    def __init__(self, n_styles: int, multiplier: float = COLOUR_MULTIPLIER, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.n_styles = n_styles
        self.multiplier = multiplier

    def build(self, input_shape):
        table = functools.partial(self.add_weight, shape=(self.n_styles, 9), initializer="zeros")
        self.mean_map = table(name="mean_map")
        self.detail_map = table(name="detail_map")

    def maps(self, style):
        """(A_w, B_w), each (batch, 3, 3), for style weights (batch, n_styles)."""
        def mix(table):
            return ops.reshape(self.multiplier * ops.matmul(style, table), (-1, 3, 3))
        return mix(self.mean_map), mix(self.detail_map)

    def call(self, inputs):
        content, residual, style = (ops.cast(t, "float32") for t in inputs)
        x = content / 127.5 - 1.0
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        a, b = self.maps(style)
        return (x + _map_colours(mean, a) + _map_colours(x - mean, b) + residual + 1.0) * 127.5

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "n_styles": self.n_styles, "multiplier": self.multiplier}


#: Weight of the :func:`out_of_range` penalty in every trainer's loss: the heads are linear and
#: images are clipped only when made, so values beyond [0, 255] are penalised rather than saturated.
RANGE_WEIGHT = 30.0


def out_of_range(images):
    """Per image, the mean square of how far pixels fall outside [0, 255], in units of 255."""
    below = ops.relu(-images)
    above = ops.relu(images - 255.0)
    return ops.mean(ops.square((below + above) / 255.0), axis=(1, 2, 3))


def inner_width(widths, residual_width: int | None = None) -> int:
    """The channels inside each residual block: ``residual_width``, or by default the third of
    ``widths``, the stream the blocks add to."""
    return residual_width or widths[2]


def _conv_norm(x, style, filters, kernel, stride, n_styles, name, relu=True, multiplier=10.0):
    x = ReflectPad(kernel // 2, name=f"{name}_pad")(x)
    x = layers.Conv2D(filters, kernel, strides=stride, padding="valid", name=f"{name}_conv")(x)
    x = ConditionalInstanceNorm(n_styles, multiplier=multiplier, name=f"{name}_norm")([x, style])
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def transformer(n_styles: int, widths=DEFAULT_WIDTHS, residual_blocks: int = DEFAULT_RESIDUAL_BLOCKS,
                norm_multiplier: float = 10.0, stem_stride: int = DEFAULT_STEM_STRIDE,
                residual_width: int | None = None, colour_head: bool = False,
                colour_multiplier: float = COLOUR_MULTIPLIER, name: str = "transformer") -> keras.Model:
    """The multi-style transformation network: (content, style weights) -> stylised image in [0, 255].

    ``stem_stride=2`` makes the first convolution strided too, so that the whole network runs at
    half resolution or less and only the output convolution sees every pixel (the photo's own
    detail reaches the output through the identity path of :class:`ResidualOutput`).
    ``residual_width`` is the channel count inside each residual block, between its two
    convolutions (default ``widths[2]``, the channels the blocks add to): capacity at a quarter of
    the resolution, where it costs least, with a conditional-norm scale and shift per style for
    each channel (Dumoulin et al. 2017 ran their blocks at 128 channels). ``colour_head`` ends the
    network with :class:`ColourOutput`, which lets each style set the output's palette, instead of
    :class:`ResidualOutput`.
    """

    c1, c2, c3 = widths
    inner = inner_width(widths, residual_width)
    conv_norm = functools.partial(_conv_norm, multiplier=norm_multiplier)
    content = keras.Input((None, None, 3), name="content")
    style = keras.Input((n_styles,), name="style")
    x = layers.Rescaling(1 / 127.5, offset=-1.0, name="scale_in")(content)
    x = conv_norm(x, style, c1, 3, stem_stride, n_styles, "enc1")
    x = conv_norm(x, style, c2, 3, 2, n_styles, "enc2")
    x = conv_norm(x, style, c3, 3, 2, n_styles, "enc3")
    for i in range(residual_blocks):
        y = conv_norm(x, style, inner, 3, 1, n_styles, f"res{i}a")
        y = conv_norm(y, style, c3, 3, 1, n_styles, f"res{i}b", relu=False)
        x = layers.Add(name=f"res{i}_add")([x, y])
    x = NearestUpsample(2, name="up1")(x)
    x = conv_norm(x, style, c2, 3, 1, n_styles, "dec1")
    x = NearestUpsample(2, name="up2")(x)
    x = conv_norm(x, style, c1, 3, 1, n_styles, "dec2")
    if stem_stride > 1:
        x = NearestUpsample(stem_stride, name="up3")(x)
    x = ReflectPad(1, name="out_pad")(x)
    # The head is float32 under any dtype policy (convert.precision): an image in bfloat16 would
    # round to steps of 1 to 2 grey levels near white.
    residual = layers.Conv2D(3, 3, padding="valid", kernel_initializer="zeros", name="out_conv", dtype="float32")(x)
    if colour_head:
        output = ColourOutput(n_styles, colour_multiplier, name="stylized", dtype="float32")([content, residual, style])
    else:
        output = ResidualOutput(name="stylized", dtype="float32")([content, residual])
    return keras.Model([content, style], output, name=name)


def residual_blocks(transformer: keras.Model) -> int:
    """How many residual blocks a :func:`transformer` has."""
    return sum(1 for layer in transformer.layers if layer.name.startswith("res") and layer.name.endswith("_add"))


def silence_residual_block(transformer: keras.Model, index: int) -> None:
    """Make residual block ``index`` add exactly zero, for every style and any mix of styles.

    How a trained network grows deeper without forgetting (Net2DeeperNet, Chen, Goodfellow & Shlens
    2016, "Net2Net"): the block's second normalisation gets scale 0 and shift 0 (Gamma = 1 + m * G
    with G = -1 / m), as Goyal et al. (2017) start the last normalisation of every residual block,
    so ``x + block(x) = x`` and the grown network computes what the trained one did. Its
    convolutions keep their random start, so the scale's gradient (the normalised activations) is
    non-zero from the first step and the block learns from there.
    """
    norm = transformer.get_layer(f"res{index}b_norm")
    gamma, beta = norm.get_weights()
    norm.set_weights([np.full_like(gamma, -1.0 / norm.multiplier), np.zeros_like(beta)])


def embed_weights(small: list[np.ndarray], large: list[np.ndarray]) -> list[np.ndarray]:
    """A trained layer's weights inside the same layer made wider, so that the wider network computes
    what the trained one did (function-preserving growth in the sense of Net2Net, Chen, Goodfellow &
    Shlens 2016; here new units start with zero outgoing weights rather than as copies of old ones).

    ``small`` are the trained weights, ``large`` the wider layer's own (randomly started). Along each
    axis the trained values fill the first entries. A convolution kernel (kh, kw, in, out) gives its
    new input channels zero weights, so whatever new channels carry changes nothing downstream, and
    keeps the random weights from its old inputs to its new outputs, so that the new channels carry
    signal and their outgoing weights get gradient from the first step. Vectors and conditional-norm
    tables (styles, channels) give new entries zero: a bias of 0, a norm scale of 1 and shift of 0.
    """
    grown = []
    for old, new in zip(small, large):
        if old.shape == new.shape:
            grown.append(old)
            continue
        if old.ndim != new.ndim or any(a > b for a, b in zip(old.shape, new.shape)):
            raise ValueError(f"weights of shape {old.shape} do not fit in {new.shape}")
        out = np.array(new) if new.ndim == 4 else np.zeros_like(new)
        if new.ndim == 4:
            out[:, :, old.shape[2]:, :] = 0.0
        out[tuple(slice(0, n) for n in old.shape)] = old
        grown.append(out)
    return grown


def padding_multiple(model: keras.Model) -> int:
    """What height and width must be multiples of: 2 to the number of strided convolutions."""
    strided = [l for l in model.layers if isinstance(l, layers.Conv2D) and l.strides[0] > 1]
    return 2 ** len(strided)


def pad_for(image, multiple: int):
    """``image`` (HxWx3) padded on its bottom and right for a network with stride ``multiple``.

    Each side becomes a multiple of ``multiple`` and at least ``2 * multiple``: the deepest
    features, 1 / multiple of the picture, are reflect-padded by a pixel, which needs two. Padding
    reflects the picture; a side too short to reflect (a 1 px panorama, a 3 px strip) repeats its
    edge instead, as the site does (web/src/engine/shape.ts). Crop the output back to HxW.
    """
    h, w = image.shape[:2]
    ph = max((-h) % multiple, 2 * multiple - h)
    pw = max((-w) % multiple, 2 * multiple - w)
    if not (ph or pw):
        return image
    if ph < h and pw < w:
        return np.pad(image, ((0, ph), (0, pw), (0, 0)), mode="reflect")
    return np.pad(image, ((0, ph), (0, pw), (0, 0)), mode="edge")


def stylize(transformer: keras.Model, image, style_vector, multiple: int | None = None):
    """Run ``transformer`` on one HxWx3 image in [0, 255] with style weights ``style_vector``.

    The image is padded (:func:`pad_for`, to a multiple of ``multiple``, default
    :func:`padding_multiple`) and the output cropped back, so any size works, down to 1 x 1.
    Returns a float32 array HxWx3, clipped to [0, 255].
    """
    multiple = multiple or padding_multiple(transformer)
    image = np.asarray(image, np.float32)
    h, w = image.shape[:2]
    padded = pad_for(image, multiple)
    style = np.asarray(style_vector, np.float32).reshape(1, -1)
    out = transformer([padded[None], style], training=False)
    return np.clip(np.asarray(out)[0, :h, :w], 0.0, 255.0)


def johnson_reference(name: str = "johnson") -> keras.Model:
    """Johnson et al.'s (2016) style network at full size, the speed reference for benchmarks.

    32/64/128 channels, 5 residual blocks, 9x9 first and last convolutions, fractionally strided
    (transposed) convolutions to upsample, instance norm (Ulyanov et al. 2016) and a scaled tanh
    output, as in their supplementary material. One input, ``content``; its weights are random.
    """
    content = keras.Input((None, None, 3), name="content")
    one = layers.Lambda(lambda t: ops.ones((ops.shape(t)[0], 1)), name="one_style")(content)

    def conv(x, filters, kernel, stride, label, relu=True):
        x = ReflectPad(kernel // 2, name=f"{label}_pad")(x)
        x = layers.Conv2D(filters, kernel, strides=stride, name=f"{label}_conv")(x)
        x = ConditionalInstanceNorm(1, name=f"{label}_norm")([x, one])
        return layers.ReLU()(x) if relu else x

    x = layers.Rescaling(1 / 127.5, offset=-1.0)(content)
    x = conv(x, 32, 9, 1, "c1")
    x = conv(x, 64, 3, 2, "c2")
    x = conv(x, 128, 3, 2, "c3")
    for i in range(5):
        y = conv(x, 128, 3, 1, f"r{i}a")
        x = layers.Add()([x, conv(y, 128, 3, 1, f"r{i}b", relu=False)])
    for i, filters in enumerate((64, 32)):
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", name=f"u{i}_conv")(x)
        x = ConditionalInstanceNorm(1, name=f"u{i}_norm")([x, one])
        x = layers.ReLU()(x)
    x = ReflectPad(4)(x)
    x = layers.Conv2D(3, 9, activation="tanh", name="out_conv")(x)
    return keras.Model(content, layers.Rescaling(127.5, offset=127.5)(x), name=name)


def multiply_adds_per_pixel(model: keras.Model) -> float:
    """Multiply-adds of the model's convolutions per input pixel (the bulk of its work).

    Measured on a 64 x 64 input; every layer's cost scales with the pixel count.
    """
    convs = [l for l in model.layers if isinstance(l, (layers.Conv2D, layers.Conv2DTranspose))]
    probe = keras.Model(model.inputs, [l.output for l in convs])
    inputs = [np.zeros((1, 64, 64, 3), np.float32)]
    if len(model.inputs) > 1:
        inputs.append(np.eye(model.inputs[1].shape[-1], dtype=np.float32)[:1])
    outputs = probe(inputs if len(inputs) > 1 else inputs[0])
    total = 0
    for layer, out in zip(convs, outputs):
        kh, kw, a, b = layer.kernel.shape
        positions = out.shape[1] * out.shape[2]
        if isinstance(layer, layers.Conv2DTranspose):
            positions //= layer.strides[0] * layer.strides[1]  # the kernel runs once per input position
        total += kh * kw * a * b * positions
    return total / (64 * 64)
