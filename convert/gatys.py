"""Neural style transfer by optimisation (Gatys, Ecker & Bethge 2016, "Image Style Transfer Using
Convolutional Neural Networks").

The generated image itself is the variable: starting from the photo (or noise), L-BFGS lowers the
weighted sum of a content loss against the photo's VGG16 features and a Gram style loss against the
painting's, plus a small total-variation prior (:class:`convert.losses.StyleObjective`). As in the
paper, L-BFGS is used; pixels are box-constrained to [0, 255] with L-BFGS-B (Byrd et al. 1995), so
no clipping or squashing is needed. Slow (about a second per step at 256 px on two cores), and the
quality reference the fast and AdaIN networks are measured against.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
import scipy.optimize

from . import color, precision, vgg
from .losses import StyleObjective


@dataclass
class Result:
    image: np.ndarray  # HxWx3 float32 RGB in [0, 255]
    losses: dict  # final unweighted terms and weighted total, floats
    initial_losses: dict
    evaluations: int
    seconds: float
    history: list  # the unweighted terms and total after each evaluation, in order


def _value_and_grad(objective: StyleObjective, extractor, content_features, style_targets):
    """A compiled function image -> (total, terms, gradient) for the active Keras backend."""

    def terms_of(image):
        features = extractor(image)
        return objective.terms(image, features, content_features, style_targets)

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(jit_compile=False, reduce_retracing=True)
        def step(image):
            with tf.GradientTape() as tape:
                tape.watch(image)
                terms = terms_of(image)
                total = tf.reduce_sum(terms["total"])
            return terms, tape.gradient(total, image)

        return step
    if backend == "jax":
        import jax

        def total_of(image):
            terms = terms_of(image)
            return terms["total"].sum(), terms

        grad = jax.jit(jax.value_and_grad(total_of, has_aux=True))

        def step(image):
            (_, terms), g = grad(image)
            return terms, g

        return step
    raise RuntimeError(f"Gatys optimisation supports the tensorflow and jax backends, not {backend}")


class _Done(Exception):
    """Raised inside the objective once the step budget is spent."""


def _floats(terms) -> dict:
    return {k: float(np.asarray(v).sum()) for k, v in terms.items()}


def stylize(
    content: np.ndarray,
    style: np.ndarray,
    objective: StyleObjective = StyleObjective(),
    steps: int = 300,
    init: str = "content",
    seed: int = 0,
    preserve_color: bool = False,
    progress: Callable[[int, dict], None] | None = None,
    precision_choice: str = "auto",
) -> Result:
    """Optimise an image with ``content``'s structure and ``style``'s texture.

    content, style: HxWx3 float RGB in [0, 255], already at the sizes to use (the output has the
    content's size). steps: L-BFGS-B function evaluations. init: "content" (start from the photo,
    faster and keeps more structure) or "noise" (Gatys et al.'s white noise, seeded by ``seed``).
    preserve_color: luminance-only transfer with the photo's colours (Gatys et al. 2017).
    progress: called after each evaluation with (evaluation number, unweighted terms).
    precision_choice: ``auto``, ``bfloat16`` or ``float32`` (:func:`convert.precision.resolve`) for
    the loss network's convolutions during the optimisation; the targets, and the losses reported
    for the result, are measured in float32 either way.
    """
    if init not in ("content", "noise"):
        raise ValueError("init must be 'content' or 'noise'")
    if steps < 1:
        raise ValueError("steps must be at least 1")
    original = np.asarray(content, np.float32)
    if preserve_color:
        style = color.match_luminance(style, original)
        content = color.grey(color.luminance(original))
    content = np.asarray(content, np.float32)
    style = np.asarray(style, np.float32)

    exact = vgg.feature_extractor(objective.taps)  # float32: the policy in force outside a scope
    content_features = exact(content[None])
    style_targets = objective.style_targets(exact(style[None]))
    chosen = precision.resolve(precision_choice)
    with precision.scope(chosen):
        extractor = vgg.feature_extractor(objective.taps)
    step = _value_and_grad(objective, extractor, content_features, style_targets)

    # The optimiser's variable is the image in [0, 1]. L-BFGS-B's first step has unit length in
    # variable space; in 0-255 units that step is so small on a small image that the change in the
    # loss drowns in float32 rounding and the line search stalls at the start.
    shape = (1,) + content.shape
    if init == "content":
        x0 = content.astype(np.float64).ravel() / 255.0
    else:
        rng = np.random.default_rng(seed)
        x0 = rng.uniform(0, 1, size=shape).ravel()

    history = []
    best = {"total": np.inf, "x": x0}

    def fun(x):
        if len(history) >= steps:
            raise _Done  # L-BFGS-B checks maxfun only between line searches: stop exactly at `steps`
        terms, grad = step(keras.ops.convert_to_tensor((255.0 * x).reshape(shape).astype(np.float32)))
        terms = _floats(terms)
        history.append(terms)
        if terms["total"] < best["total"]:
            best.update(total=terms["total"], x=x.copy(), terms=terms)
        if progress is not None:
            progress(len(history), terms)
        return terms["total"], 255.0 * np.asarray(grad, np.float64).ravel()

    start = time.perf_counter()
    try:
        scipy.optimize.minimize(
            fun,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=scipy.optimize.Bounds(0.0, 1.0),
            options={"maxfun": steps + 1, "maxiter": steps, "maxcor": 20, "ftol": 0.0, "gtol": 0.0},
        )
    except _Done:
        pass
    seconds = time.perf_counter() - start
    if "terms" not in best:
        raise RuntimeError("the optimisation produced no finite loss (NaN from the start)")
    # The best image seen, with the losses measured on it.
    image = (255.0 * best["x"]).reshape(content.shape).astype(np.float32)
    final = best["terms"]
    if extractor is not exact:  # report float32 figures, comparable with a float32 run's
        final = _floats(objective.terms(image[None], exact(image[None]), content_features, style_targets))
    if preserve_color:
        image = color.preserve_color(original, image)
    return Result(image, final, history[0], len(history), seconds, history)
