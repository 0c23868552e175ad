"""models/manifest.json: the one description of shipped models and styles that the site reads.

Its JSON Schema is ``models/manifest.schema.json`` (shared with the TypeScript engine, which reads the
same file); :func:`validate` checks a manifest against it. :mod:`convert.publish` writes the models
into it; this module holds what needs no network: the schema, file entries, the evaluation figures
and the small pictures of the paintings themselves.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from . import images

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


def file_entry(path: Path, root: Path) -> dict:
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


def put_models(manifest: dict, models: list[dict]) -> None:
    """Replace models of the same id where they stand (a re-export changes no order); add new ones at the end."""
    ids = [m["id"] for m in manifest["models"]]
    for model in models:
        if model["id"] in ids:
            manifest["models"][ids.index(model["id"])] = model
        else:
            manifest["models"].append(model)
            ids.append(model["id"])


def gallery_paintings(manifest: dict, size: int):
    """(style, its painting at longer side ``size``, or the ImageError or lookup error why not) for
    every style, the painting found at the path its model's recipe names."""
    recipes = {m["id"]: m["recipe"] for m in manifest["models"] if m["kind"] == "multi-style"}
    for style in manifest["styles"]:
        try:
            yield style, images.load_image(recipes[style["model"]]["styles"][style["index"]], size=size)
        except (KeyError, IndexError, images.ImageError) as error:
            yield style, error


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
    for style, image in gallery_paintings(manifest, size):
        if isinstance(image, Exception):
            log(f"{style['id']}: no picture of the painting ({image})")
            continue
        path = folder / f"{style['id']}.webp"
        Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8)).save(path, "WEBP", quality=80, method=6)
        style["painting"] = file_entry(path, models_dir)
