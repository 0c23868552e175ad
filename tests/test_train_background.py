"""scripts/train_background.sh: the training command it starts for a committed run's recipe."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convert.train import Recipe

ROOT = Path(__file__).resolve().parents[1]


def committed_run(tmp_path, recipe: dict, kind: str = "gallery") -> Path:
    run = tmp_path / "run"
    run.mkdir()
    (run / "recipe.json").write_text(json.dumps({"kind": kind, **recipe}))
    (run / "state.json").write_text(json.dumps({"step": 10}))
    return run


def started_command(tmp_path, recipe: dict, kind: str = "gallery") -> list[str]:
    """The arguments train_background.sh hands the training command for ``recipe``."""
    run = committed_run(tmp_path, recipe, kind)
    argv = tmp_path / "argv.json"
    fake = tmp_path / "deepstyle"  # stands in for the trainer: records what it was asked to do
    fake.write_text(f"#!{sys.executable}\nimport json, sys\njson.dump(sys.argv[1:], open({str(argv)!r}, 'w'))\n")
    fake.chmod(0o755)
    proc = subprocess.run([str(ROOT / "scripts/train_background.sh"), "7", str(run), "--batch", "2"],
                          env={**os.environ, "DEEPSTYLE": str(fake), "PY": sys.executable},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for _ in range(100):
        if argv.exists():
            return json.loads(argv.read_text())
        time.sleep(0.1)
    pytest.fail("the training command was not started")


def value(args, flag):
    return args[args.index(flag) + 1]


def test_a_run_resumes_with_its_recipe_and_the_options_given(tmp_path):
    recipe = Recipe(styles=["a.jpg", "b.jpg"], photos="photos", crop=256, learning_rate=3e-4, widths=(8, 16, 32),
                    residual_blocks=2, style_scales=[0.5, 2.0])
    args = started_command(tmp_path, json.loads(json.dumps(recipe.__dict__)))
    assert args[:3] == ["train", "--run", str(tmp_path / "run")]
    assert args[args.index("--styles") + 1:args.index("--styles") + 3] == ["a.jpg", "b.jpg"]
    assert value(args, "--crop") == "256" and value(args, "--lr") == "0.0003"
    assert value(args, "--residual-blocks") == "2" and value(args, "--style-scales") == "0.5"
    assert value(args, "--time-limit-min") == "7" and value(args, "--keep-snapshots") == "24"
    assert "--from" not in args and "--colour-head" not in args
    assert args[-2:] == ["--batch", "2"]  # options after the run override the recipe (argparse keeps the last)


def test_a_grown_run_resumes_from_its_base_at_its_own_depth_and_width(tmp_path):
    recipe = Recipe(styles=["a.jpg", "b.jpg"], photos="photos", residual_blocks=5, init_from="checkpoints/base",
                    style_scales=[0.5, 2.0], residual_width=96, colour_head=True)
    args = started_command(tmp_path, json.loads(json.dumps(recipe.__dict__)))
    assert value(args, "--from") == "checkpoints/base" and value(args, "--residual-blocks") == "5"
    assert value(args, "--residual-width") == "96" and args.count("--colour-head") == 1  # a flag: no value
    assert args[args.index("--colour-head") + 1].startswith("--")
    # the base's styles and widths (--styles would mean new ones); its own scales, which replace the base's
    assert "--styles" not in args and "--widths" not in args
    assert args[args.index("--style-scales") + 1:][:2] == ["0.5", "2.0"]


def test_a_run_that_adds_styles_is_not_resumed_in_the_background(tmp_path):
    recipe = Recipe(styles=["a.jpg", "b.jpg"], photos="photos", init_from="base", train_styles=[1], freeze_shared=True)
    run = committed_run(tmp_path, json.loads(json.dumps(recipe.__dict__)))
    proc = subprocess.run([str(ROOT / "scripts/train_background.sh"), "7", str(run)],
                          env={**os.environ, "DEEPSTYLE": "false", "PY": sys.executable}, capture_output=True, text=True)
    assert proc.returncode == 2 and "adds or retrains styles" in proc.stderr and not (run / "train.pid").exists()


def test_an_adain_run_resumes_with_adain_train(tmp_path):
    from convert.adain import AdaINRecipe

    recipe = AdaINRecipe(photos="photos", styles=["paintings", "styles"], holdout=["a.jpg", "b.jpg"],
                         upsample="bilinear", init_from="checkpoints/adain", block_weight=5.0, anchor_weight=0.25,
                         tone_weight=0.1)
    args = started_command(tmp_path, json.loads(json.dumps(recipe.__dict__)), kind="adain")
    assert args[:3] == ["adain-train", "--run", str(tmp_path / "run")]
    assert args[args.index("--holdout") + 1:args.index("--holdout") + 3] == ["a.jpg", "b.jpg"]
    assert value(args, "--upsample") == "bilinear" and value(args, "--from") == "checkpoints/adain"
    assert value(args, "--block-weight") == "5.0" and "--residual-blocks" not in args
    assert value(args, "--anchor-weight") == "0.25" and value(args, "--tone-weight") == "0.1"


def test_recipe_args_gives_single_settings_and_refuses_unknown_ones(tmp_path):
    run = committed_run(tmp_path, json.loads(json.dumps(Recipe(styles=["a.jpg"], photos="p", residual_blocks=5,
                                                               style_scales=[0.5], style_draws=[3.0]).__dict__)))
    script = [sys.executable, str(ROOT / "scripts/recipe_args.py"), str(run)]
    out = subprocess.run(script + ["residual_blocks", "style_scales", "style_draws"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.split() == ["--residual-blocks", "5", "--style-scales", "0.5",
                                                          "--style-draws", "3.0"]
    out = subprocess.run(script + ["upsample"], capture_output=True, text=True)
    assert out.returncode == 2 and "no option for upsample in a gallery run" in out.stderr
    (run / "recipe.json").write_text("{not json")
    out = subprocess.run(script, capture_output=True, text=True)
    assert out.returncode == 2 and "cannot read the recipe" in out.stderr
