"""Training data: folders of photos and paintings, read into memory, and random crops of them.

Folders are read once, at the scale the network will see them, as uint8 arrays; unreadable files
are skipped with a warning, so a stray text file or a truncated download does not stop a run.
No Keras here: the command line lists and checks data before any network is loaded
(:mod:`convert.batches` wraps the crops as Keras datasets).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import images


def gallery_style_files(paths: list[Path]) -> list[Path]:
    """Style images as given on a command line: files as they are, or one folder's images (in its
    MANIFEST.tsv order if it has one, so the network's style vector keeps the catalogue's order)."""
    if len(paths) == 1 and Path(paths[0]).is_dir():
        folder = Path(paths[0])
        manifest = folder / "MANIFEST.tsv"
        if manifest.exists():
            names = [line.split("\t")[0] for line in manifest.read_text().splitlines()[1:] if line.strip()]
            return [folder / name for name in names]
        return images.list_images(folder)
    return [Path(p) for p in paths]


def style_files(sources, holdout=()) -> list[Path]:
    """Image files of ``sources`` (folders or files), without those named in ``holdout``."""
    out = []
    for source in sources:
        source = Path(source)
        out.extend(images.list_images(source) if source.is_dir() else [source])
    held = set(holdout)
    return [p for p in out if p.name not in held]


def held_out_files(sources, holdout) -> list[Path]:
    """The image files of ``sources`` named in ``holdout``: the paintings a run never trains on."""
    held = set(holdout)
    return [p for p in style_files(sources) if p.name in held]


def run_styles(recipe: dict) -> list[Path]:
    """The paintings a run's recipe is evaluated on: an AdaIN run's held-out ones (``holdout``), a
    gallery run's own styles."""
    if "holdout" in recipe:
        return held_out_files(recipe["styles"], recipe["holdout"])
    return [Path(s) for s in recipe["styles"]]


def load_images(paths, size: int, log=print) -> tuple[list[np.ndarray], list[Path]]:
    """Each readable image of ``paths`` at longer side ``size`` as uint8; others skipped with a warning."""
    loaded, kept = [], []
    for path in paths:
        try:
            loaded.append(np.round(images.load_image(path, size=size)).astype(np.uint8))
            kept.append(Path(path))
        except images.ImageError as error:
            log(f"warning: skipping {error}")
    return loaded, kept


def load_folder(folder, size: int, log=print) -> tuple[list[np.ndarray], list[Path]]:
    """Every readable image in ``folder`` at longer side ``size`` as uint8; others skipped with a warning."""
    loaded, paths = load_images(images.list_images(folder), size, log)
    if not loaded:
        raise images.ImageError(f"{folder}: no readable images")
    return loaded, paths


def load_paintings(sources, holdout, size: int, log=print) -> list[np.ndarray]:
    """The readable style images of ``sources`` (folders or files) but the held-out ones, as uint8."""
    return load_images(style_files(sources, holdout), size, log)[0]


def large_enough(pictures: list[np.ndarray], crop: int) -> list[np.ndarray]:
    """The pictures at least ``crop`` px on their shorter side."""
    return [p for p in pictures if min(p.shape[:2]) >= crop]


def random_crops(rng: np.random.Generator, pool: list[np.ndarray], count: int, crop: int) -> np.ndarray:
    """``count`` square crops of random pictures of ``pool`` at random places, each mirrored with
    probability 1/2: (count, crop, crop, 3) float32."""
    out = np.empty((count, crop, crop, 3), np.float32)
    for i in range(count):
        image = pool[rng.integers(len(pool))]
        y = rng.integers(image.shape[0] - crop + 1)
        x = rng.integers(image.shape[1] - crop + 1)
        patch = image[y: y + crop, x: x + crop]
        out[i] = patch[:, ::-1] if rng.random() < 0.5 else patch
    return out
