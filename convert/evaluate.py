"""Figures for a style network against the optimisation method, on any folder of photos.

For each photo and style: the network's output is scored with the very objective it was trained
on (:class:`convert.losses.StyleObjective`), beside two references on the same photo at the same
size: the unstylised photo (how much style the network added: its style loss as a fraction of the
photo's) and a Gatys et al. (2016) optimisation of the same objective with L-BFGS (how close the
network comes to what the objective allows: the ratio of content + style losses, the quality bar
of Johnson et al. 2016, who report their network's loss against Gatys's).

A Gatys run costs minutes per pair on a CPU, so its results are cached in a JSON file keyed by the
photo's and painting's bytes, the size, the steps and the objective; a cache committed to the
repository lets evaluations accumulate across sessions and machines.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np

from . import adain, gatys, images, losses, networks, precision, train, vgg
from .losses import StyleObjective


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


#: Bump when gatys.py or losses.py change what a cached result means.
#: 2: the loss network is identified by its weights' values (vgg.weights_digest), not its file's bytes.
CACHE_VERSION = 2


def cache_key(photo: Path, style: Path, size: int, steps: int, objective: StyleObjective,
              precision_name: str = "float32") -> str:
    """A reference's key; a bfloat16 optimisation's differs from a float32 one's (float32 keys are unchanged)."""
    fields = [CACHE_VERSION, vgg.weights_digest(), _digest(photo), _digest(style), size, steps, objective.as_dict()]
    if precision_name != "float32":
        fields.append(precision_name)
    blob = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


class GatysCache:
    """A JSON file of Gatys results, written atomically after every new entry."""

    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self.entries = json.loads(self.path.read_text()) if self.path and self.path.exists() else {}

    def get(self, key):
        return self.entries.get(key)

    def put(self, key, value):
        self.merge({key: value})

    def merge(self, entries: dict, write: bool = True) -> int:
        """Add ``entries`` (another cache's, say from a GPU session or a parallel shard); returns how
        many keys were new. ``write=False`` only counts."""
        new = len(set(entries) - set(self.entries))
        self.entries.update(entries)
        if self.path and write:
            if self.path.exists():  # keep what another process added meanwhile
                self.entries = {**json.loads(self.path.read_text()), **self.entries}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(self.entries, indent=1, sort_keys=True) + "\n")
            os.replace(tmp, self.path)
        return new


def _scores(terms: dict, objective: StyleObjective) -> dict:
    out = {k: float(np.asarray(v)[0]) for k, v in terms.items()}
    out["content_plus_style"] = objective.content_weight * out["content"] + objective.style_weight * out["style"]
    return out


def _layers(per_layer: dict) -> dict:
    return {layer: float(np.asarray(v)[0]) for layer, v in per_layer.items()}


def gatys_reference(photo_path, style_path, size: int, steps: int, objective: StyleObjective,
                    cache: GatysCache, log: Callable[[str], None] = print, photo=None, style=None,
                    compute: bool = True, precision_choice: str = "auto") -> dict | None:
    """The Gatys optimisation's figures for one photo and style, from ``cache`` or computed and cached
    (None when it is not cached and ``compute`` is False)."""
    key = cache_key(photo_path, style_path, size, steps, objective, precision.resolve(precision_choice).name)
    reference = cache.get(key)
    if reference is None and not compute:
        return None
    if reference is None:
        photo = images.load_image(photo_path, size=size) if photo is None else photo
        style = images.load_image(style_path, size=size) if style is None else style
        start = time.perf_counter()
        result = gatys.stylize(photo, style, objective, steps=steps, precision_choice=precision_choice)
        reference = dict(result.losses)
        reference["content_plus_style"] = (objective.content_weight * reference["content"]
                                           + objective.style_weight * reference["style"])
        reference["seconds"] = round(time.perf_counter() - start, 1)
        reference["trajectory"] = trajectory(result.history, objective)
        cache.put(key, reference)
        log(f"gatys {Path(photo_path).name} x {Path(style_path).stem}: "
            f"{reference['content_plus_style']:.3f} in {reference['seconds']} s")
    return reference


def block_figure(image, period: int = 8) -> float:
    """How much an image's pixel steps repeat on a ``period``-pixel grid: 1 for none, more for blocks.

    For the differences between neighbouring columns (and, separately, rows), the mean absolute
    difference at each of the ``period`` phases of the grid (:func:`convert.losses.phase_step_means`);
    each direction's figure is its largest phase mean over the mean of all phases, and the result is
    the larger direction's. A network whose three nearest-neighbour upsamplings (a factor of 8) are
    not smoothed by what follows leaves steps every 8 pixels (Odena, Dumoulin & Olah 2016,
    "Deconvolution and Checkerboard Artifacts"); a photo scores about 1.0 to 1.1.
    """
    x = np.asarray(image, np.float32)
    x = x if x.ndim == 3 else x[..., None]
    if min(x.shape[:2]) <= period:
        return 1.0  # too small to hold a grid
    phases = np.asarray(losses.phase_step_means(x[None], period))[0]  # (direction, phase)
    means = phases.mean(axis=-1)
    return float(max(p.max() / m if m > 0 else 1.0 for p, m in zip(phases, means)))


def tone_correlation(image, photo) -> float:
    """The correlation between where ``image`` and ``photo`` are light and where dark: their
    :func:`convert.losses.tone_layout` maps (luma on a 16 px grid). 1 where a painting keeps the
    photo's light and dark in any palette, about 0 where it ignores them, -1 where it inverts them.
    Pictures under 32 px a side are compared on smaller squares, two to their shorter side."""
    pair = np.stack([np.asarray(image, np.float32), np.asarray(photo, np.float32)])
    cell = max(1, min(losses.TONE_CELL, min(pair.shape[1:3]) // 2))
    return float(1.0 - np.asarray(losses.tone_loss(pair[:1], pair[1:], cell))[0] / 2.0)


def trajectory(history: list[dict], objective: StyleObjective) -> list[float]:
    """The lowest content + style loss reached after each of an optimisation's evaluations (5
    significant digits): with it, a network's loss converts to the number of L-BFGS steps that
    Gatys needs to reach it, the comparison of Johnson et al. (2016, Sec. 4.1, Fig. 5)."""
    best, out = np.inf, []
    for terms in history:
        best = min(best, objective.content_weight * terms["content"] + objective.style_weight * terms["style"])
        out.append(float(f"{best:.5g}"))
    return out


def steps_to_match(trajectory: list[float], loss: float) -> int | None:
    """How many Gatys evaluations it took to get content + style down to ``loss`` (None: it never did),
    equal within the trajectory's rounding (1 in 10^4)."""
    return next((n for n, value in enumerate(trajectory, 1) if value <= loss * (1 + 1e-4)), None)


# The quality targets: the gallery network within 1.3x of Gatys-300's loss, AdaIN within 1.8x.
TARGET_RATIOS = (1.3, 1.8)


def steps_within(trajectory: list[float], ratio: float) -> int | None:
    """After how many evaluations the optimisation was within ``ratio`` of its own final content +
    style: a network meets "at most ``ratio`` times Gatys" on a pair exactly when it matches the
    optimisation at that step or later, so this says how far along its curve the target lies."""
    return steps_to_match(trajectory, ratio * trajectory[-1]) if trajectory else None


def _median_and_range(counts: list[int | None]) -> dict:
    # None (never got there within its steps) sorts above every count
    ranked = sorted(counts, key=lambda n: float("inf") if n is None else n)
    return {"median": ranked[(len(ranked) - 1) // 2], "range": [ranked[0], ranked[-1]]}


def evaluate(stylize: Callable[[np.ndarray, int], np.ndarray], photos: list[Path], styles: list[Path],
             size: int = 384, objective: StyleObjective = StyleObjective(), gatys_steps: int = 300,
             gatys_photos: int | None = None, cache: GatysCache | None = None,
             log: Callable[[str], None] = print, gatys_compute: bool = True,
             precision_choice: str = "float32") -> dict:
    """Score ``stylize(photo, style_index)`` on every photo x style.

    photos are loaded with their longer side ``size``; styles likewise (the scale the networks
    train at). Gatys references run for the first ``gatys_photos`` photos of each style (all when
    None; 0 for none), from the cache where possible (and only from it if ``gatys_compute`` is
    False). The loss network and the references run at ``precision_choice``
    (:func:`convert.precision.resolve`; float32 by default, so that figures compare across machines:
    in bfloat16 the style term of a step came out 1.4% to 2.2% lower).
    Returns a JSON-ready dict with per-pair
    figures and per-style and overall summaries.
    """
    cache = cache or GatysCache(None)
    chosen = precision.resolve(precision_choice)
    with precision.scope(chosen):
        extractor = vgg.feature_extractor(objective.taps)
    style_images = [images.load_image(s, size=size) for s in styles]
    style_targets = [objective.style_targets(extractor(s[None])) for s in style_images]
    limit = len(photos) if gatys_photos is None else gatys_photos
    pairs = []
    for p_index, photo_path in enumerate(photos):
        photo = images.load_image(photo_path, size=size)
        content_features = extractor(photo[None])
        photo_terms = [_scores(objective.terms(photo[None], content_features, content_features, t), objective)
                       for t in style_targets]
        photo_layers = [_layers(objective.style_layer_losses(content_features, t)) for t in style_targets]
        for s_index, style_path in enumerate(styles):
            out = np.clip(np.asarray(stylize(photo, s_index), np.float32), 0, 255)
            features = extractor(out[None])
            terms = _scores(objective.terms(out[None], features, content_features, style_targets[s_index]), objective)
            layers = _layers(objective.style_layer_losses(features, style_targets[s_index]))
            pair = {"photo": Path(photo_path).name, "style": Path(style_path).stem, "network": terms,
                    "photo_itself": photo_terms[s_index],
                    "style_fraction": terms["style"] / max(photo_terms[s_index]["style"], 1e-12),
                    # which layers' statistics the output misses: each layer's loss as a fraction of the photo's
                    "style_layer_fractions": {l: layers[l] / max(photo_layers[s_index][l], 1e-12) for l in layers},
                    # blocks on the 8-pixel grid of the networks' upsampling, and the photo's own figure
                    "block_figure": block_figure(out), "photo_block_figure": block_figure(photo),
                    # whether the painting keeps where the photo is light and where dark
                    "tone_correlation": tone_correlation(out, photo)}
            if p_index < limit and gatys_steps > 0:
                reference = gatys_reference(photo_path, style_path, size, gatys_steps, objective, cache, log,
                                            photo, style_images[s_index], compute=gatys_compute,
                                            precision_choice=chosen.name)
                if reference is not None:
                    pair["gatys"] = reference
                    pair["ratio_to_gatys"] = terms["content_plus_style"] / max(reference["content_plus_style"],
                                                                               1e-12)
                    if "trajectory" in reference:
                        pair["gatys_steps_to_match"] = steps_to_match(reference["trajectory"],
                                                                      terms["content_plus_style"])
                        pair["gatys_steps_within"] = {str(r): steps_within(reference["trajectory"], r)
                                                      for r in TARGET_RATIOS}
            pairs.append(pair)
    return {"size": size, "objective": objective.as_dict(), "gatys_steps": gatys_steps,
            "photos": [Path(p).name for p in photos], "styles": [Path(s).stem for s in styles],
            "pairs": pairs, "summary": summarise(pairs)}


def evaluate_run(run_dir, kind: str, photos: list[Path], styles: list[Path], size: int | None = None,
                 encoder_run=None, precision_choice: str = "float32", **options) -> dict:
    """:func:`evaluate` a trained run folder (``kind`` "gallery" or "adain") on ``photos`` x ``styles``.

    A gallery run paints ``styles`` (its own, or some of them) and is scored with its own objective;
    an AdaIN run paints ``styles`` (the paintings it never trained on) with the encoder of ``encoder_run`` (None: VGG16)
    and is scored with Gatys's Gram objective, so that its figures compare with the gallery's. ``size``
    defaults to the run's training scale; ``options`` go to :func:`evaluate`. The results also name
    the run, its step, the precision and the loss network's weights.
    """
    chosen = precision.resolve(precision_choice)
    options.get("log", print)(chosen.note)
    if kind == "adain":
        with precision.scope(chosen):
            decoder, recipe, step = adain.load_run(run_dir)
            encode = adain.relu4_1_encoder(encoder_run) if encoder_run else None  # None: VGG16 itself
        size = size or recipe.scale
        stats = [adain.style_statistics(images.load_image(p, size=size)[None], encode) for p in styles]

        def paint(photo, s):
            return adain.stylize(decoder, photo, stats[s], encode=encode)

        objective = StyleObjective()
    else:
        with precision.scope(chosen):
            transformer, recipe, step = train.load_run(run_dir)
        eye = np.eye(len(recipe.styles), dtype=np.float32)
        size = size or recipe.scale
        own = [str(Path(r)) for r in recipe.styles]
        rows = [own.index(str(Path(p))) for p in styles]  # the network's row of each style asked for

        def paint(photo, s):
            return networks.stylize(transformer, photo, eye[rows[s]])

        objective = recipe.style_objective()
    results = evaluate(paint, photos, [Path(s) for s in styles], size=size, objective=objective,
                       precision_choice=chosen.name, **options)
    results["run"] = {"folder": str(run_dir), "step": step}
    if kind == "adain":
        results["run"]["encoder"] = "vgg" if encoder_run is None else str(encoder_run)
    results["precision"] = chosen.name
    results["loss_network"] = {"weights": str(vgg.weights_path()), "digest": vgg.weights_digest()}
    return results


def summarise(pairs: list[dict]) -> dict:
    """Per style and overall: mean network figures, mean style fraction, and the Gatys ratio computed
    as mean(network content+style) / mean(Gatys content+style) over the pairs that have a reference."""

    def block(rows):
        with_ref = [r for r in rows if "gatys" in r]
        out = {
            "pairs": len(rows),
            "content": float(np.mean([r["network"]["content"] for r in rows])),
            "style": float(np.mean([r["network"]["style"] for r in rows])),
            "content_plus_style": float(np.mean([r["network"]["content_plus_style"] for r in rows])),
            "style_fraction": float(np.mean([r["style_fraction"] for r in rows])),
            "max_style_fraction": float(np.max([r["style_fraction"] for r in rows])),
        }
        if all("block_figure" in r for r in rows):
            out["block_figure"] = float(np.mean([r["block_figure"] for r in rows]))
            out["photo_block_figure"] = float(np.mean([r["photo_block_figure"] for r in rows]))
        if all("tone_correlation" in r for r in rows):
            out["tone_correlation"] = float(np.mean([r["tone_correlation"] for r in rows]))
        if all("style_layer_fractions" in r for r in rows):
            out["style_layer_fractions"] = {l: float(np.mean([r["style_layer_fractions"][l] for r in rows]))
                                            for l in rows[0]["style_layer_fractions"]}
        if with_ref:
            net = np.mean([r["network"]["content_plus_style"] for r in with_ref])
            ref = np.mean([r["gatys"]["content_plus_style"] for r in with_ref])
            out.update(gatys_pairs=len(with_ref), gatys_content_plus_style=float(ref),
                       ratio_to_gatys=float(net / ref))
        matched = [r["gatys_steps_to_match"] for r in with_ref if "gatys_steps_to_match" in r]
        if matched:
            spread = _median_and_range(matched)
            out.update(gatys_trajectories=len(matched), gatys_steps_to_match_median=spread["median"],
                       gatys_steps_to_match_range=spread["range"])
        within = [r["gatys_steps_within"] for r in with_ref if "gatys_steps_within" in r]
        if within:
            # where on the optimisation's curve each target ratio lies: the step the network would have to match
            out["gatys_steps_within"] = {k: _median_and_range([w[k] for w in within]) for k in within[0]}
        return out

    styles = sorted({p["style"] for p in pairs}, key=[p["style"] for p in pairs].index)
    return {"per_style": {s: block([p for p in pairs if p["style"] == s]) for s in styles},
            "overall": block(pairs)}
