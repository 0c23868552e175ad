"""Bring a GPU session's runs home: the archives scripts/gpu/gpu_train.sh packs into OUTDIR become the
committed runs again.

* ``gallery.tar.gz`` replaces ``checkpoints/gallery``, ``adain-w<W>.tar.gz`` (``--adain W``, default
  the one there is) replaces ``checkpoints/adain``, or each the run OUTDIR/origins.json says it continued
  (gpu_train.sh's GALLERY_RUN and ADAIN_RUN, checkpoints/gallery-deep say): the newest checkpoint (weights, optimiser state,
  state.json), the recipe and the whole log. The recipe's data paths are moved from the GPU
  machine's packed copy back to ``--data-here`` (default $DEEPSTYLE_DATA), so the run resumes and
  evaluates here; older checkpoint files are removed. A run that is not past the committed step is
  refused (a session that started afresh would otherwise replace a longer run) unless --force.
* The session's first and last renders (at most 1,600 px wide) go to ``docs/training/<run>-gpu-<date>/``
  (the log is not copied there: it is the run's own ``log.jsonl``).
* ``gatys.tar.gz`` (references, when the session computed any) is merged into the evaluation cache.

An archive may come in parts, ``NAME.tar.gz.part-aa``, ``-ab``, ... (a device call returns files
of at most 16 MiB): they are joined in a scratch folder, OUTDIR itself is only read.

Usage: python scripts/gpu/gpu_import.py OUTDIR [--adain W] [--date YYYY-MM-DD] [--dry-run] [--force]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RENDER_WIDTH = 1600  # px: renders kept in docs/ are shrunk to this


def relocate(value, new_root: str):
    """The GPU machine's data paths, moved under ``new_root`` by their names: a folder (photos,
    paintings, styles) becomes new_root/NAME, a file new_root/FOLDER/NAME (styles/x.jpg)."""
    if isinstance(value, list):
        return [relocate(v, new_root) for v in value]
    path = Path(value)
    return str(Path(new_root, path.parent.name, path.name) if path.suffix else Path(new_root, path.name))


def import_run(archive: Path, name: str, destination: Path, docs: Path, data_here: str, dry_run: bool,
               force: bool = False) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        run = Path(tmp) / name
        state = json.loads((run / "state.json").read_text())
        recipe = json.loads((run / "recipe.json").read_text())
        moved = {key: relocate(recipe[key], data_here) for key in ("photos", "styles")}
        renders = sorted((run / "renders").glob("step-*.jpg")) if (run / "renders").is_dir() else []
        old_state = json.loads((destination / "state.json").read_text()) if (destination / "state.json").exists() else {}
        before = old_state.get("step", 0)
        if state["step"] <= before and not force:
            raise SystemExit(f"{archive.name}: step {state['step']} is not past the committed {before} in {destination} "
                             "(did the session start afresh?); --force replaces it anyway")
        new_renders = [r for r in renders if int(r.stem.split("-")[1]) > before]
        summary = (f"{archive.name}: step {before} -> {state['step']}, data {recipe['photos']} -> {moved['photos']}, "
                   f"{len(new_renders)} new renders -> {docs}")
        if dry_run:
            return summary
        destination.mkdir(parents=True, exist_ok=True)
        # The new checkpoint's files first, state.json last (it names them), then the old files go.
        for file in (state["weights"], state["optimizer"], "log.jsonl"):
            shutil.copy2(run / file, destination / file)
        (destination / "recipe.json").write_text(json.dumps({**recipe, **moved}, indent=2))
        shutil.copy2(run / "state.json", destination / "state.json")
        for key in ("weights", "optimizer"):
            if old_state.get(key) and old_state[key] != state[key] and (destination / old_state[key]).exists():
                (destination / old_state[key]).unlink()
        if new_renders:
            docs.mkdir(parents=True, exist_ok=True)
            for render in dict.fromkeys([new_renders[0], new_renders[-1]]):
                shrink(render, docs / render.name)
        return summary


def shrink(render: Path, destination: Path, width: int = RENDER_WIDTH) -> None:
    """Copy a render, at most ``width`` pixels wide (the repository travels with every device call)."""
    from PIL import Image

    with Image.open(render) as im:
        if im.width <= width:
            shutil.copy2(render, destination)
            return
        im.convert("RGB").resize((width, round(im.height * width / im.width)), Image.LANCZOS).save(
            destination, quality=85)


def run_name(archive: Path) -> str:
    """The run folder an archive holds: adain-w10.tar.gz holds adain-w10."""
    return archive.name.removesuffix(".tar.gz")


def joined(outdir: Path, scratch: Path) -> Path:
    """A folder holding OUTDIR's archives whole (and its origins.json): ``outdir`` itself, or ``scratch``
    when some came in parts."""
    parts = sorted(outdir.glob("*.tar.gz.part-*"))
    if not parts:
        return outdir
    for whole in [*outdir.glob("*.tar.gz"), *outdir.glob("origins.json")]:
        (scratch / whole.name).symlink_to(whole.resolve())
    for part in parts:
        name = part.name[: part.name.index(".part-")]
        if (outdir / name).exists():
            raise SystemExit(f"{outdir}: both {name} and parts of it")
        with open(scratch / name, "ab") as whole:
            whole.write(part.read_bytes())
    return scratch


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="the OUTDIR that scripts/gpu/gpu_train.sh wrote")
    parser.add_argument("--adain", help="style weight W of the adain-w<W> run to keep (default: the only one)")
    parser.add_argument("--data-here", default=os.environ.get("DEEPSTYLE_DATA"),
                        help="the data folder here, as the recipes should name it (default $DEEPSTYLE_DATA)")
    parser.add_argument("--checkpoints", type=Path, default=ROOT / "checkpoints")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    parser.add_argument("--force", action="store_true", help="replace a committed run even by one of fewer steps")
    args = parser.parse_args(argv)
    if not args.outdir.is_dir():
        parser.error(f"{args.outdir}: no such folder")
    if args.data_here is None:
        parser.error("no data folder: pass --data-here DATA or set DEEPSTYLE_DATA to the folder holding photos/ "
                     "and styles/ here")
    with tempfile.TemporaryDirectory() as scratch:
        args.outdir = joined(args.outdir, Path(scratch))
        return _import(parser, args)


def _import(parser, args) -> int:
    adain = sorted(args.outdir.glob("adain-w*.tar.gz"))
    if args.adain is not None:
        adain = [a for a in adain if a.name == f"adain-w{args.adain}.tar.gz"]
        if not adain:
            parser.error(f"no adain-w{args.adain}.tar.gz in {args.outdir}")
    elif len(adain) > 1:
        parser.error(f"{len(adain)} AdaIN runs in {args.outdir}: choose one with --adain")
    # name -> the committed run it continued (its folder name under --checkpoints)
    origins = {"gallery": "gallery", **{run_name(a): "adain" for a in adain}}
    if (args.outdir / "origins.json").exists():
        origins.update({name: Path(run).name for name, run in json.loads((args.outdir / "origins.json").read_text()).items()})
    jobs = []
    if (args.outdir / "gallery.tar.gz").exists():
        jobs.append((args.outdir / "gallery.tar.gz", "gallery", origins["gallery"]))
    jobs += [(a, run_name(a), origins[run_name(a)]) for a in adain]
    if not jobs and not (args.outdir / "gatys.tar.gz").exists():
        parser.error(f"{args.outdir}: no gallery.tar.gz, adain-w*.tar.gz or gatys.tar.gz")
    for archive, name, kept in jobs:
        print(import_run(archive, name, args.checkpoints / kept, args.docs / "training" / f"{kept}-gpu-{args.date}",
                         args.data_here, args.dry_run, args.force))
    if (args.outdir / "gatys.tar.gz").exists():
        sys.path.insert(0, str(ROOT))
        from convert.evaluate import GatysCache

        cache = GatysCache(args.docs / "eval" / "gatys_cache.json")
        with tarfile.open(args.outdir / "gatys.tar.gz") as tar:
            shards = [json.load(tar.extractfile(m)) for m in tar.getmembers() if m.isfile() and m.name.endswith(".json")]
        new = cache.merge({k: v for shard in shards for k, v in shard.items()}, write=not args.dry_run)
        print(f"gatys.tar.gz: {new} new references -> {cache.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
