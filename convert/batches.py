"""The trainers' Keras datasets: batch ``i`` is global step ``first_step + i``, seeded by that step.

Seeding each batch by its step makes a resumed run draw exactly the batches an uninterrupted one
would have drawn. Training is one pass (epochs=1) with shuffle=False, since Keras shuffles a
PyDataset's batch order by default.
"""

from __future__ import annotations

import keras
import numpy as np

from .data import large_enough, random_crops


class CropBatches(keras.utils.PyDataset):
    """Random crops of in-memory photos, each paired with a random style's one-hot vector.

    Styles are drawn from ``styles_drawn`` (indices; None: all), uniformly or with
    ``draw_probabilities`` (one per drawn style, summing to 1).

    Each batch also carries the style weight's ramp factor for its global step, min(1, step /
    ramp_steps): part of the data rather than read from the optimiser, so the loss stays a pure
    function of its inputs on every backend (JAX traces it statelessly).
    """

    def __init__(self, photos: list[np.ndarray], n_styles: int, batch: int, crop: int, batches: int, seed: int,
                 first_step: int = 0, ramp_steps: int = 1, styles_drawn: list[int] | None = None,
                 draw_probabilities=None):
        super().__init__()
        self.styles_drawn = np.arange(n_styles) if styles_drawn is None else np.asarray(styles_drawn)
        self.draw_probabilities = None if draw_probabilities is None else np.asarray(draw_probabilities, np.float64)
        if self.draw_probabilities is not None and self.draw_probabilities.shape != self.styles_drawn.shape:
            raise ValueError(f"{len(self.draw_probabilities)} draw probabilities for {len(self.styles_drawn)} styles")
        self.first_step, self.ramp_steps = first_step, max(1, ramp_steps)
        self.photos = large_enough(photos, crop)
        self.dropped = len(photos) - len(self.photos)
        if not self.photos:
            raise ValueError(f"no photo is at least {crop} px on its shorter side")
        self.n_styles, self.batch, self.crop, self.batches, self.seed = n_styles, batch, crop, batches, seed

    def __len__(self):
        return self.batches

    def __getitem__(self, index):
        step = self.first_step + index
        rng = np.random.default_rng((self.seed, step))
        content = random_crops(rng, self.photos, self.batch, self.crop)
        if self.draw_probabilities is None:  # (kept as it was, so that uniform runs draw what they always drew)
            drawn = self.styles_drawn[rng.integers(len(self.styles_drawn), size=self.batch)]
        else:
            drawn = rng.choice(self.styles_drawn, size=self.batch, p=self.draw_probabilities)
        style = np.eye(self.n_styles, dtype=np.float32)[drawn]
        ramp = np.full((self.batch,), min(1.0, step / self.ramp_steps), np.float32)
        return (content, style, ramp), np.zeros((self.batch,), np.float32)


class PairBatches(keras.utils.PyDataset):
    """Random same-size crops of photos (content) and paintings (style); batch i is step first_step + i."""

    def __init__(self, photos, paintings, batch: int, crop: int, batches: int, seed: int, first_step: int = 0):
        super().__init__()
        self.photos = large_enough(photos, crop)
        self.paintings = large_enough(paintings, crop)
        if not self.photos or not self.paintings:
            raise ValueError(f"need photos and style images at least {crop} px on their shorter side")
        self.batch, self.crop, self.batches, self.seed, self.first_step = batch, crop, batches, seed, first_step

    def __len__(self):
        return self.batches

    def __getitem__(self, index):
        rng = np.random.default_rng((self.seed, self.first_step + index))
        content = random_crops(rng, self.photos, self.batch, self.crop)
        style = random_crops(rng, self.paintings, self.batch, self.crop)
        return (content, style), np.zeros((self.batch,), np.float32)
