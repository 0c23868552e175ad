"""The run folder (convert/runs.py): recipes with a kind, read in the old form too. No TensorFlow."""

import json
from pathlib import Path

import numpy as np
import pytest

from convert import runs

CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"


def test_committed_runs_without_a_kind_are_read_by_their_keys():
    assert runs.run_kind(CHECKPOINTS / "gallery") == "gallery"
    assert runs.run_kind(CHECKPOINTS / "adain") == "adain"
    assert runs.run_kind(CHECKPOINTS / "adain-encoder") == "distill"
    saved, state = runs.load_run(CHECKPOINTS / "adain-encoder", "distill")
    assert "kind" not in saved and isinstance(saved["widths"], tuple) and state["step"] > 0


def test_new_recipes_carry_their_kind_and_the_kind_is_checked(tmp_path):
    runs.write_recipe(tmp_path, "adain", {"holdout": [], "widths": [8, 8, 8], "styles": [], "photos": "p"})
    assert json.loads((tmp_path / "recipe.json").read_text())["kind"] == "adain"
    assert not list(tmp_path.glob("*.tmp"))
    with pytest.raises(FileNotFoundError, match="no AdaIN run with a checkpoint"):
        runs.load_run(tmp_path, "adain")
    (tmp_path / "state.json").write_text(json.dumps({"step": 1, "weights": "w", "optimizer": "o"}))
    assert runs.load_run(tmp_path, "adain")[1]["step"] == 1
    with pytest.raises(runs.RecipeMismatch, match="not an encoder distillation"):
        runs.load_run(tmp_path, "distill")
    with pytest.raises(runs.RecipeMismatch, match="not a fast style network"):
        runs.check_resumable(tmp_path, {}, (), "gallery")


def test_an_explicit_kind_wins_over_the_keys():
    assert runs.kind_of({"kind": "gallery", "holdout": []}) == "gallery"
    assert runs.kind_of({"prune_images": 96, "holdout": []}) == "distill"
    assert runs.kind_of({"widths": [1]}) is None


def _weights_file(path, values: dict) -> Path:
    """A weights file laid out as Keras writes one: a dataset per variable under layers/."""
    import h5py

    with h5py.File(path, "w") as f:
        for name, value in values.items():
            f.create_dataset(name, data=np.asarray(value, np.float32))
    return Path(path)


def test_averaging_weight_files_takes_the_mean_of_every_variable(tmp_path):
    a = _weights_file(tmp_path / "transformer-0000010.weights.h5", {"layers/conv/vars/0": [[1.0, 2.0]], "layers/norm/vars/0": [3.0]})
    b = _weights_file(tmp_path / "transformer-0000020.weights.h5", {"layers/conv/vars/0": [[3.0, 6.0]], "layers/norm/vars/0": [-1.0]})
    out = tmp_path / "mean.weights.h5"
    runs.average_weights([a, b], out)
    import h5py

    with h5py.File(out, "r") as f:
        assert f["layers/conv/vars/0"][()].tolist() == [[2.0, 4.0]] and f["layers/norm/vars/0"][()].tolist() == [1.0]
        assert f["layers/conv/vars/0"].dtype == np.float32
    assert a.read_bytes() != out.read_bytes() and not list(tmp_path.glob("*.tmp"))
    other = _weights_file(tmp_path / "other.weights.h5", {"layers/conv/vars/0": [[1.0, 2.0, 3.0]], "layers/norm/vars/0": [3.0]})
    with pytest.raises(runs.RecipeMismatch, match="another network"):
        runs.average_weights([a, other], tmp_path / "never.weights.h5")
    assert not (tmp_path / "never.weights.h5").exists()
    with pytest.raises(ValueError, match="no weight files"):
        runs.average_weights([], out)


def test_snapshots_keep_the_newest_and_name_their_step(tmp_path):
    for step in (5, 10, 15, 20):
        weights = _weights_file(tmp_path / f"transformer-{step:07d}.weights.h5", {"v": [float(step)]})
        runs.keep_snapshot(tmp_path, weights, keep=3)
    assert [runs.snapshot_step(p) for p in runs.snapshots(tmp_path)] == [10, 15, 20]
