"""The run folder (convert/runs.py): recipes with a kind, read in the old form too. No TensorFlow."""

import json
from pathlib import Path

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
