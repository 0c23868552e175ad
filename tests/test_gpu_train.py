"""scripts/gpu/gpu_train.sh: the training commands a GPU session starts, with a stand-in for Python."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def committed_run(path: Path, recipe: dict, step: int = 10) -> Path:
    path.mkdir(parents=True)
    (path / "recipe.json").write_text(json.dumps(recipe))
    (path / "state.json").write_text(json.dumps({"step": step}))
    return path


def session(tmp_path, **env) -> tuple[dict, dict]:
    """Run gpu_train.sh with every Python call it makes recorded, not run: ({subcommand: argv}, origins.json)."""
    fixed, data, out = tmp_path / "fixed", tmp_path / "data", tmp_path / "out"
    (fixed / "styles").mkdir(parents=True)
    (fixed / "vgg16.npz").write_bytes(b"")
    for folder in ("photos", "paintings", "photos-val"):
        (data / folder).mkdir(parents=True)
    calls = tmp_path / "calls.jsonl"
    fake = tmp_path / "python"  # stands in for the GPU machine's Python: records its arguments
    fake.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n")
    fake.chmod(0o755)
    gallery = committed_run(tmp_path / "gallery-deep", {"kind": "gallery", "residual_blocks": 5,
                                                          "residual_width": 96, "colour_head": True,
                                                          "style_scales": [0.5, 2.0], "style_draws": [1.0, 3.0]})
    proc = subprocess.run(
        [str(ROOT / "scripts/gpu/gpu_train.sh")],
        env={**os.environ, "PY": str(fake), "FIXED": str(fixed), "DATA": str(data), "OUTDIR": str(out),
             "WORK": str(tmp_path / "work"), "GALLERY_RUN": str(gallery), "BUDGET": "200",
             "PROBE_AFTER_S": "0", "SKIP_WHEELS": "1", **env},
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    argvs = [json.loads(line) for line in calls.read_text().splitlines()]
    started = {argv[2]: argv for argv in argvs if argv[:2] == ["-m", "convert.cli"]}
    return started, json.loads((out / "origins.json").read_text())


def value(argv, flag):
    return argv[argv.index(flag) + 1]


def test_a_session_continues_the_committed_runs_at_their_own_shape(tmp_path):
    adain = committed_run(tmp_path / "adain-bilinear", {"kind": "adain", "upsample": "bilinear",
                                                        "init_from": "checkpoints/adain", "block_weight": 5.0,
                                                        "style_layers": ["relu4_1", "relu5_1"],
                                                        "anchor_weight": 0.25, "tone_weight": 0.1})
    started, origins = session(tmp_path, ADAIN_RUN=str(adain))
    gallery, decoder = started["train"], started["adain-train"]
    assert value(gallery, "--residual-blocks") == "5" and value(gallery, "--residual-width") == "96"
    assert gallery.count("--colour-head") == 1
    assert gallery[gallery.index("--style-scales") + 1:][:2] == ["0.5", "2.0"]
    assert gallery[gallery.index("--style-draws") + 1:][:2] == ["1.0", "3.0"]
    assert value(gallery, "--run").endswith("work/gallery")
    assert value(decoder, "--upsample") == "bilinear" and value(decoder, "--from") == "checkpoints/adain"
    assert decoder.count("--from") == 1 and value(decoder, "--block-weight") == "5.0"
    assert decoder[decoder.index("--style-layers") + 1:][:2] == ["relu4_1", "relu5_1"]
    assert value(decoder, "--anchor-weight") == "0.25" and value(decoder, "--tone-weight") == "0.1"
    assert (tmp_path / "work" / "adain-w10" / "state.json").exists()  # the committed run, copied in to resume
    assert origins == {"gallery": str(tmp_path / "gallery-deep"), "adain-w10": str(adain)}


def test_a_new_adain_run_starts_from_a_trained_decoder(tmp_path):
    base = committed_run(tmp_path / "adain", {"kind": "adain", "upsample": "nearest"}, step=9499)
    new = tmp_path / "adain-bilinear"
    started, origins = session(tmp_path, ADAIN_RUN=str(new), ADAIN_FROM=str(base))
    decoder = started["adain-train"]
    assert value(decoder, "--from") == str(base) and value(decoder, "--upsample") == "bilinear"
    assert "--block-weight" not in decoder
    assert not (tmp_path / "work" / "adain-w10").exists()  # nothing to resume: adain-train --from starts it
    assert origins["adain-w10"] == str(new)  # gpu_import.py lands it there, beside the base


def test_a_new_adain_run_takes_its_upsampling_and_block_penalty(tmp_path):
    base = committed_run(tmp_path / "adain", {"kind": "adain", "upsample": "nearest"}, step=9499)
    started, _ = session(tmp_path, ADAIN_RUN=str(tmp_path / "adain-smooth"), ADAIN_FROM=str(base),
                         ADAIN_UPSAMPLE="nearest", ADAIN_BLOCK_WEIGHT="5")
    decoder = started["adain-train"]
    assert value(decoder, "--upsample") == "nearest" and value(decoder, "--block-weight") == "5"


def test_a_new_adain_run_needs_a_trained_base(tmp_path):
    proc = subprocess.run([str(ROOT / "scripts/gpu/gpu_train.sh")],
                          env={**os.environ, "ADAIN_RUN": str(tmp_path / "new"), "ADAIN_FROM": str(tmp_path / "none")},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no trained AdaIN run there" in proc.stdout
