"""The run folder: its recipe, its checkpoint and its log, for every kind of training run.

A run folder holds
* ``recipe.json``: what the run trains, with its ``"kind"`` (one of :data:`KINDS`);
* ``state.json``: the step and the names of the checkpoint's two files, written last;
* ``transformer-<step>.weights.h5`` and ``optimizer-<step>.npz``: the network's weights and Adam's state;
* ``log.jsonl``: one JSON record a line (a ``session`` record opens each session, then losses and
  validation figures); ``renders/`` and ``tensorboard/`` where the trainer makes them.

Every file is replaced atomically (a temporary file, then ``os.replace``), so a kill at any moment
leaves the previous consistent checkpoint in force. Nothing here imports Keras or TensorFlow: the
command line reads run folders before it loads any network.

Recipes written before ``"kind"`` was recorded are read by their keys (:func:`kind_of`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

#: The trained runs that ship with the project (committed checkpoints), which a fresh clone paints with.
CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"

#: Each kind of run, and how messages name it: what it is, and what a folder of it is.
KINDS = {"gallery": "a fast style network", "adain": "an AdaIN decoder", "distill": "an encoder distillation"}
RUN_NAMES = {"gallery": "training run", "adain": "AdaIN run", "distill": "encoder distillation run"}

#: Recipe entries that name data: compared by their last path component when a run resumes.
DATA_KEYS = ("photos", "styles")


class RecipeMismatch(ValueError):
    """A run folder holds a run that this recipe cannot continue."""


def atomic_write(path: Path, write) -> None:
    """``write(temporary_path)``, then move the file into place in one step."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def write_json(path: Path, value) -> None:
    atomic_write(path, lambda p: p.write_text(json.dumps(value, indent=2)))


def kind_of(recipe: dict) -> str | None:
    """A recipe's kind: its ``"kind"``, or for a recipe without one, the kind its keys show."""
    if "kind" in recipe:
        return recipe["kind"]
    if "prune_images" in recipe:
        return "distill"
    if "holdout" in recipe:
        return "adain"
    if "residual_blocks" in recipe:
        return "gallery"
    return None


def read_recipe(run_dir) -> dict | None:
    """The saved recipe of ``run_dir`` (``"kind"`` filled in for an older one), or None without one."""
    path = Path(run_dir) / "recipe.json"
    if not path.exists():
        return None
    saved = json.loads(path.read_text())
    kind = kind_of(saved)
    return {**saved, "kind": kind} if kind else saved


def run_kind(run_dir) -> str | None:
    """The kind of run ``run_dir`` holds, or None when it has no recipe (or an unknown one)."""
    saved = read_recipe(run_dir)
    return None if saved is None else kind_of(saved)


def read_state(run_dir) -> dict | None:
    path = Path(run_dir) / "state.json"
    return json.loads(path.read_text()) if path.exists() else None


def has_checkpoint(run_dir) -> bool:
    return (Path(run_dir) / "state.json").exists() and (Path(run_dir) / "recipe.json").exists()


def load_run(run_dir, kind: str) -> tuple[dict, dict]:
    """A ``kind`` run folder's saved recipe (without ``"kind"``; ``widths`` a tuple) and checkpoint state.

    Raises FileNotFoundError when either is missing, RecipeMismatch when the folder holds another kind.
    """
    run_dir = Path(run_dir)
    state, saved = read_state(run_dir), read_recipe(run_dir)
    if state is None or saved is None:
        raise FileNotFoundError(f"{run_dir}: no {RUN_NAMES[kind]} with a checkpoint here")
    if saved.get("kind") != kind:
        raise RecipeMismatch(f"{run_dir} holds another kind of run (not {KINDS[kind]})")
    saved = {k: v for k, v in saved.items() if k != "kind"}
    saved["widths"] = tuple(saved["widths"])
    return saved, state


def write_recipe(run_dir, kind: str, recipe: dict) -> None:
    """``recipe`` (a dict) as the run's recipe.json, with its kind."""
    write_json(Path(run_dir) / "recipe.json", {"kind": kind, **recipe})


def _portable(key: str, value):
    if key not in DATA_KEYS or value is None:
        return value
    return [Path(v).name for v in value] if isinstance(value, list) else Path(value).name


def check_resumable(run_dir, recipe: dict, keys: tuple[str, ...], kind: str, defaults: dict | None = None) -> None:
    """Refuse to continue ``run_dir``'s checkpoint under a ``recipe`` (a dict) that differs in ``keys``.

    A key the saved recipe lacks (one added to the recipes since it was written) counts as its
    value in ``defaults``.

    A folder without a checkpoint is fine (a run that failed before its first save is no run). Data
    paths are compared by file and folder names, so a run moves between machines that keep the
    same pictures in other places (a GPU machine's packed copy, say). The folder must hold a
    ``kind`` run.
    """
    run_dir = Path(run_dir)
    if not (run_dir / "state.json").exists():
        return
    saved = read_recipe(run_dir)
    if saved is None:
        raise RecipeMismatch(f"{run_dir} holds a checkpoint but no recipe.json: cannot tell what it was trained as")
    if kind_of(saved) != kind:
        raise RecipeMismatch(f"{run_dir} holds another kind of run (not {KINDS[kind]}); use a new run folder")
    for key in keys:
        before = saved.get(key, (defaults or {}).get(key))
        if json.dumps(_portable(key, before)) != json.dumps(_portable(key, recipe.get(key))):
            raise RecipeMismatch(f"{run_dir} holds a run with another {key}; use a new run folder")


def save_checkpoint(run_dir, trainer, step: int) -> Path:
    """The trainer's network weights (.weights.h5), optimiser state (.npz) and the step, each replaced
    atomically; returns the weights file.

    ``trainer`` is a compiled Keras model with a ``network`` property, the model the checkpoint holds.
    state.json is written last and names the files it belongs to, so a crash between writes leaves
    the previous consistent checkpoint in force.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    weights = run_dir / f"transformer-{step:07d}.weights.h5"  # the name for every kind of network
    optim = run_dir / f"optimizer-{step:07d}.npz"
    partial = weights.with_name(weights.name.replace(".weights.h5", ".partial.weights.h5"))  # Keras wants the suffix
    trainer.network.save_weights(partial)
    os.replace(partial, weights)
    atomic_write(optim, lambda p: _save_npz(p, [np.asarray(v) for v in trainer.optimizer.variables]))
    write_json(run_dir / "state.json", {"step": step, "weights": weights.name, "optimizer": optim.name,
                                        "time": time.time()})
    # Keep only the checkpoint state.json names; this also clears leftovers of a crash mid-save.
    for path in [*run_dir.glob("transformer-*"), *run_dir.glob("optimizer-*")]:
        if path.name not in (weights.name, optim.name):
            path.unlink(missing_ok=True)
    return weights


def _save_npz(path: Path, arrays: list[np.ndarray]) -> None:
    with open(path, "wb") as f:
        np.savez(f, *arrays)


def load_checkpoint(run_dir, trainer) -> int:
    """Restore the latest checkpoint into ``trainer``; returns its step (0 if there is none).

    A checkpoint kept as weights only (``"optimizer": null``: a finished run committed without its
    optimiser state) is refused: Adam's step count and moments belong together, and a fresh
    optimiser at the old step would take steps several times the learning rate for hundreds of steps.
    """
    run_dir = Path(run_dir)
    state = read_state(run_dir)
    if state is None:
        return 0
    if not state.get("optimizer"):
        raise RecipeMismatch(f"{run_dir} is kept as weights only (no optimiser state): it can be used but not "
                             "trained further; train into a new run folder")
    trainer.network.load_weights(run_dir / state["weights"])
    with np.load(run_dir / state["optimizer"]) as saved:
        values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    variables = trainer.optimizer.variables
    if len(values) != len(variables):
        raise ValueError(f"{run_dir}: checkpoint's optimiser has {len(values)} variables, this one {len(variables)}")
    for variable, value in zip(variables, values):
        variable.assign(value)
    return int(state["step"])


def append_log(run_dir, record: dict) -> None:
    """One JSON line onto the run's log.jsonl."""
    with open(Path(run_dir) / "log.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")


#: Where a run keeps copies of its network's weights from earlier checkpoints (``--keep-snapshots``).
SNAPSHOTS = "snapshots"


def keep_snapshot(run_dir, weights: Path, keep: int) -> None:
    """A copy of checkpoint ``weights`` in ``run_dir/snapshots/``, keeping the newest ``keep`` copies.

    Snapshots are what :func:`average_weights` averages; they are weights only, and not committed.
    """
    folder = Path(run_dir) / SNAPSHOTS
    folder.mkdir(exist_ok=True)
    data = Path(weights).read_bytes()
    atomic_write(folder / Path(weights).name, lambda p: p.write_bytes(data))
    for old in snapshots(run_dir)[:-keep]:
        old.unlink(missing_ok=True)


def snapshots(run_dir) -> list[Path]:
    """The run's weight snapshots, oldest first (their names carry the step)."""
    return sorted((Path(run_dir) / SNAPSHOTS).glob("transformer-*.weights.h5"))


def snapshot_step(path) -> int:
    """The step in a checkpoint's or snapshot's file name, ``transformer-0012345.weights.h5``."""
    return int(Path(path).name.split("-")[1].split(".")[0])


def read_weights(path) -> dict[str, np.ndarray]:
    """Every variable of a Keras weight file, by its path inside the file."""
    import h5py

    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: found.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None)
    return found


def average_weights(paths, out: Path) -> None:
    """The mean of the Keras weight files ``paths`` (one network at several steps), written to ``out``.

    Averaging the weights a run passes through late in training, at a small constant learning
    rate, lands nearer the centre of the region the steps wander in than any one of them
    (Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima and Better Generalization").
    Every file must hold the same variables with the same shapes; the mean is taken in float64.
    """
    import h5py

    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("no weight files to average")
    total = {k: v.astype(np.float64) for k, v in read_weights(paths[0]).items()}
    for path in paths[1:]:
        other = read_weights(path)
        if other.keys() != total.keys() or any(other[k].shape != total[k].shape for k in total):
            raise RecipeMismatch(f"{path} holds another network than {paths[0]}: cannot average them")
        for k in total:
            total[k] += other[k]

    def write(tmp: Path):
        import shutil

        shutil.copyfile(paths[0], tmp)
        with h5py.File(tmp, "r+") as f:
            for k, v in total.items():
                f[k][...] = (v / len(paths)).astype(f[k].dtype)

    atomic_write(out, write)


def write_averaged_run(run_dir, paths, out_dir) -> dict:
    """A weights-only run in ``out_dir``: ``run_dir``'s recipe and the mean of the weight files ``paths``.

    Like any finished run kept without its optimiser state, it can be evaluated, exported and
    painted with, and trained further only with ``--from``. Returns its state.json.
    """
    out_dir = Path(out_dir)
    recipe = read_recipe(run_dir)
    if recipe is None or "kind" not in recipe:
        raise FileNotFoundError(f"{run_dir}: no training run's recipe.json here")
    steps = sorted(snapshot_step(p) for p in paths)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / f"transformer-{steps[-1]:07d}.weights.h5"
    average_weights(paths, weights)
    write_recipe(out_dir, recipe.pop("kind"), recipe)
    state = {"step": steps[-1], "weights": weights.name, "optimizer": None, "averaged_steps": steps,
             "time": time.time()}
    write_json(out_dir / "state.json", state)
    for path in out_dir.glob("transformer-*"):
        if path.name != weights.name:
            path.unlink()
    return state
