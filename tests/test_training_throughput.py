"""scripts/gpu/training_throughput.py: a session's speed from its run folder's log."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("training_throughput", ROOT / "scripts" / "gpu" / "training_throughput.py")
throughput = importlib.util.module_from_spec(spec)
spec.loader.exec_module(throughput)


def test_the_last_session_is_timed_without_its_first_record(tmp_path):
    session = {"precision": "bfloat16", "jit_compile": True, "backend": "jax", "batch": 16, "crop": 256,
               "learning_rate": 1e-3, "style_scales": None}
    lines = [{"step": 0, "session": {**session, "batch": 2}, "time": 0.0}, {"step": 10, "loss": 5, "time": 50.0},
             {"step": 10, "session": session, "time": 100.0},
             {"step": 20, "loss": 4, "time": 190.0},  # includes compiling: left out
             {"step": 30, "loss": 4, "time": 200.0}, {"step": 30, "val": {}, "time": 201.0},
             {"step": 40, "loss": 3, "time": 205.0}, {"step": 50, "loss": 3, "time": 210.0}]
    (tmp_path / "log.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))
    rate = throughput.session_rate(tmp_path)
    assert rate["batch"] == 16 and rate["precision"] == "bfloat16"
    assert rate["steps"] == 20 and rate["seconds"] == pytest.approx(10.0)


def test_too_short_a_session_is_not_timed(tmp_path):
    (tmp_path / "log.jsonl").write_text(json.dumps({"step": 0, "session": {"batch": 2}, "time": 0}) + "\n"
                                        + json.dumps({"step": 10, "loss": 1, "time": 5}) + "\n")
    assert throughput.session_rate(tmp_path) is None
