"""Painting pictures with the trained networks: the library call behind ``deepstyle stylize``.

    from convert import stylize
    painting = stylize("cat.jpg", style="udnie")                 # a gallery painting, by id
    painting = stylize(photo_array, style="my-painting.jpg", strength=0.8)   # any picture: AdaIN

A gallery id runs the multi-style network (Dumoulin et al. 2017); a picture, as a path or an
array, runs the arbitrary-style network (Huang & Belongie 2017), shrunk to 512 px as the site does.
``strength`` is the blend towards the photo for the gallery and AdaIN's alpha for a picture (their
eq. 14); ``preserve_color`` keeps the photo's colours (Gatys et al. 2017). Results are float32
HxWx3 arrays in [0, 255], the photo's size.

The networks, and TensorFlow with them, load on the first painting: run folders and styles are
checked before that (:meth:`Painter.check`), so that a mistake is reported in a fraction of a second.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from . import catalogue, color, images, runs

from .runs import CHECKPOINTS

#: A style picture is shrunk to this longer side, never enlarged (as on the page).
STYLE_SIZE = 512


class PaintError(ValueError):
    """A style, strength or run that cannot be painted with; the message says which and why.

    ``option``: the :class:`Painter` argument at fault (``run``, ``adain_run``, ``encoder``), which
    the message starts with, or None."""

    def __init__(self, message: str, option: str | None = None):
        super().__init__(message)
        self.option = option


def gallery_ids(run: Path) -> list[str]:
    """The gallery ids of run ``run``'s styles, in its style vector's order."""
    return [catalogue.describe(p)["id"] for p in _style_files(run)]


def _style_files(run: Path) -> list[str]:
    """Run ``run``'s style files in its style vector's order; PaintError where it has no recipe."""
    recipe = runs.read_recipe(run)
    if recipe is None:
        raise PaintError(f"run {run}: no training run here (recipe.json missing)", "run")
    return recipe["styles"]


def encoder_run(value) -> Path | None:
    """The distilled encoder's run folder ``value`` names, or None for VGG16 itself (``"vgg"``)."""
    if str(value) == "vgg":
        return None
    run = Path(value)
    if not runs.has_checkpoint(run) or runs.run_kind(run) != "distill":
        raise PaintError(f"encoder {value}: not 'vgg' and not an `adain-distill` run folder with a checkpoint",
                         "encoder")
    return run


class Painter:
    """The networks of three run folders, each loaded on first use; :meth:`paint` paints one picture."""

    def __init__(self, run=CHECKPOINTS / "gallery", adain_run=CHECKPOINTS / "adain",
                 encoder=CHECKPOINTS / "adain-encoder"):
        self.run, self.adain_run, self.encoder = Path(run), Path(adain_run), encoder
        self._gallery = self._adain = None

    def style_index(self, style) -> int | None:
        """The gallery index of ``style`` if it is a gallery id (or a style file's stem) of this
        painter's run, else None."""
        if not isinstance(style, str) or Path(style).suffix:
            return None
        try:
            return catalogue.style_index(_style_files(self.run), style)
        except ValueError:
            return None

    def check(self, style) -> None:
        """Raise PaintError now (before any photo is read) if ``style`` cannot be painted with; a
        style picture's file is read (ImageError if it cannot be)."""
        if self.style_index(style) is not None:
            return
        if isinstance(style, str) and not Path(style).suffix and not Path(style).exists():
            raise PaintError(f"unknown style {style!r}: not a gallery style of {self.run} and not a picture file")
        if not isinstance(style, np.ndarray):
            images.load_image(style, size=16)
        self.check_adain()

    def check_adain(self) -> None:
        """Raise PaintError unless the AdaIN decoder run and the encoder can paint a picture style."""
        encoder_run(self.encoder)
        kind = runs.run_kind(self.adain_run)
        if kind == "distill":
            raise PaintError(f"adain_run {self.adain_run} is an encoder run, not an AdaIN decoder: "
                             "pass it as the encoder (--encoder)", "adain_run")
        if kind != "adain":
            raise PaintError(f"adain_run {self.adain_run}: no AdaIN run here", "adain_run")

    def style_statistics(self, style) -> dict:
        """AdaIN's statistics of a style picture (a path or an HxWx3 array in [0, 255])."""
        from . import adain

        dec, encode = self._adain_networks()
        if not isinstance(style, np.ndarray):
            picture = images.load_image(style, size=STYLE_SIZE, enlarge=False)
        elif max(style.shape[:2]) > STYLE_SIZE:
            picture = images.shrink(style, STYLE_SIZE)
        else:
            picture = style
        return adain.style_statistics(np.asarray(picture, np.float32)[None], encode)

    def paint(self, image, style, strength: float = 1.0, preserve_color: bool = False, statistics=None):
        """``image`` (HxWx3 in [0, 255]) painted in ``style`` (a gallery id, or a picture's path or array).

        ``statistics``: :meth:`style_statistics` of the picture, when painting many photos with one.
        """
        if not 0 <= strength <= 1:
            raise PaintError(f"strength must be between 0 and 1, got {strength:g}")
        image = np.asarray(image, np.float32)
        index = self.style_index(style)
        if index is not None:
            from . import networks

            net, n = self._gallery_network()
            out = networks.stylize(net, image, np.eye(n, dtype=np.float32)[index])
            out = image + strength * (out - image)
        else:
            from . import adain

            dec, encode = self._adain_networks()
            stats = statistics if statistics is not None else self.style_statistics(style)
            out = adain.stylize(dec, image, stats, alpha=strength, encode=encode)
        return color.preserve_color(image, out) if preserve_color else out

    def paint_files(self, photos, outputs, style, strength: float = 1.0, preserve_color: bool = False,
                    size: int | None = None, warn=print, wrote=print) -> int:
        """Paint each readable photo of ``photos`` (shrunk to longer side ``size``, never enlarged) into
        the file beside it in ``outputs``; returns how many were painted.

        Call :meth:`check` first. Unreadable photos are skipped with ``warn(message)``; PaintError
        when none can be read. ``wrote(message)`` reports each file written.
        """
        loaded = []
        for photo, output in zip(photos, outputs):
            try:
                loaded.append((output, images.load_image(photo, size=size, enlarge=False)))
            except images.ImageError as error:
                warn(f"skipping: {error}")
        if not loaded:
            raise PaintError("no photo could be read")
        if self.style_index(style) is None:
            style = str(style) if not isinstance(style, np.ndarray) else style
            statistics = self.style_statistics(style)  # once for all the photos
        else:
            statistics = None
        for output, image in loaded:
            started = time.perf_counter()
            images.save_image(output, self.paint(image, style, strength, preserve_color, statistics))
            h, w = image.shape[:2]
            wrote(f"wrote {output} ({w}x{h}, {time.perf_counter() - started:.1f} s)")
        return len(loaded)

    def _gallery_network(self):
        if self._gallery is None:
            from . import train

            net, recipe, _ = train.load_run(self.run)
            self._gallery = (net, len(recipe.styles))
        return self._gallery

    def _adain_networks(self):
        if self._adain is None:
            from . import adain

            self.check_adain()
            dec, _, _ = adain.load_run(self.adain_run)
            self._adain = (dec, adain.relu4_1_encoder(encoder_run(self.encoder)))
        return self._adain


_default: Painter | None = None


def stylize(image, style: str = "udnie", strength: float = 1.0, preserve_color: bool = False,
            size: int | None = None) -> np.ndarray:
    """Paint ``image`` (a path or an HxWx3 array in [0, 255]) in ``style`` with the committed networks.

    ``size``: shrink a photo read from a path to this longer side first (never enlarging).
    """
    global _default
    if _default is None:
        _default = Painter()
    if not isinstance(image, np.ndarray):
        image = images.load_image(image, size=size, enlarge=False)
    return _default.paint(image, style, strength, preserve_color)
