"""Colour preservation: transfer a painting's style but keep the photo's colours.

Luminance-only transfer of Gatys, Ecker, Bethge, Hertzmann & Shechtman (2017, "Controlling
Perceptual Factors in Neural Style Transfer", sec. 5.1): style is carried by the luminance channel,
so the stylised luminance is combined with the photo's own chroma in YIQ space. For the
optimisation method the style image's luminance is first matched to the photo's mean and deviation
(their eq. 9); a feed-forward network's output is recoloured after the fact with the same
:func:`preserve_color`, which the fast and AdaIN paths reuse.

Arrays are float HxWx3 RGB in [0, 255].
"""

from __future__ import annotations

import numpy as np

#: RGB -> YIQ (NTSC 1953), as used by Gatys et al. 2017.
RGB_TO_YIQ = np.array(
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]],
    dtype=np.float64,
)
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ)


def rgb_to_yiq(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, np.float64) @ RGB_TO_YIQ.T


def yiq_to_rgb(yiq: np.ndarray) -> np.ndarray:
    return np.asarray(yiq, np.float64) @ YIQ_TO_RGB.T


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Y of YIQ, HxW in [0, 255]."""
    return np.asarray(rgb, np.float64) @ RGB_TO_YIQ[0]


def grey(y: np.ndarray) -> np.ndarray:
    """A luminance map as a three-channel grey image, float32."""
    return np.repeat(np.asarray(y, np.float32)[..., None], 3, axis=-1)


def match_luminance(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The style's luminance, shifted and scaled to the content's mean and deviation, as grey RGB.

    Gatys et al. 2017 eq. 9: L_s' = (sigma_c / sigma_s) (L_s - mu_s) + mu_c.
    """
    ys, yc = luminance(style), luminance(content)
    matched = (yc.std() / (ys.std() + 1e-6)) * (ys - ys.mean()) + yc.mean()
    return grey(np.clip(matched, 0, 255))


def preserve_color(content: np.ndarray, stylized: np.ndarray) -> np.ndarray:
    """The stylised image's luminance with the content's chroma (I and Q), float32 RGB in [0, 255].

    Both images must have the same height and width.
    """
    if content.shape[:2] != stylized.shape[:2]:
        raise ValueError(f"content {content.shape[:2]} and stylized {stylized.shape[:2]} differ in size")
    yiq = rgb_to_yiq(content)
    yiq[..., 0] = luminance(stylized)
    return np.clip(yiq_to_rgb(yiq), 0, 255).astype(np.float32)
