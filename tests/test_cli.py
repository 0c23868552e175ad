"""Tests for the ``deepstyle`` command: run as a real subprocess, as a user would.

Bad files, bad output paths and bad numbers must give exit status 2 and one clear line on stderr
(no traceback, nothing written) before any model is built; a tiny real run must write the image,
the summary and the JSON report. Every input file is generated in pytest's tmp_path.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convert.color import rgb_to_yiq
from convert.images import load_image

_SCRIPT = Path(sys.executable).with_name("deepstyle")
if _SCRIPT.is_file() and os.access(_SCRIPT, os.X_OK):
    COMMAND = [str(_SCRIPT)]
else:  # no console script next to this interpreter: call the same entry point
    COMMAND = [sys.executable, "-c", "import sys; from convert.cli import main; sys.exit(main())"]

HEIC_HEADER = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"


def deepstyle(*args, cwd, timeout=600):
    """Run the command; return (CompletedProcess, seconds taken)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", COLUMNS="100")
    start = time.perf_counter()
    proc = subprocess.run(COMMAND + [str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    return proc, time.perf_counter() - start


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def assert_one_line_error(proc, *keywords):
    """Exit 2; stderr is exactly one 'deepstyle: error:' line holding every keyword; no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("deepstyle: error: "), line
    for word in keywords:
        assert word.lower() in line.lower(), f"{word!r} not in {line!r}"
    assert proc.stdout == "", proc.stdout
    return line


def assert_usage_error(proc, option, *keywords):
    """argparse's answer: exit 2, usage, then 'deepstyle gatys: error: argument OPTION: ...'."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("usage: deepstyle gatys"), proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"deepstyle gatys: error: argument {option}"), last
    for word in keywords:
        assert word.lower() in last.lower(), f"{word!r} not in {last!r}"


def save_png(path, array):
    Image.fromarray(np.clip(np.rint(array), 0, 255).astype(np.uint8)).save(path)


def stripes(size=64):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    r = 128 + 127 * np.sin((xx + yy) / 3.0)
    g = 60 + 40 * np.cos(xx / 5.0)
    b = 128 - 127 * np.sin((xx + yy) / 3.0)
    return np.stack([r, g, b], -1)


# Bad input generators: each writes (or not) a file named `name` in `folder`, returns its path.

def _zero_byte(folder):
    path = folder / "photo.jpg"
    path.write_bytes(b"")
    return path


def _text_as_jpg(folder):
    path = folder / "notes.jpg"
    path.write_text("This is my shopping list, not a photo.\nMilk\nEggs\n")
    return path


def _truncated_jpeg(folder):
    path = folder / "half.jpg"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (150, 200, 3), dtype=np.uint8)).save(path, quality=90)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _heic(folder):
    path = folder / "IMG_0001.HEIC"
    path.write_bytes(HEIC_HEADER + b"\x00" * 64)
    return path


def _svg(folder):
    path = folder / "logo.svg"
    path.write_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')
    return path


def _missing(folder):
    return folder / "nope.png"


def _folder(folder):
    path = folder / "holiday.png"
    path.mkdir()
    return path


BAD_INPUTS = {
    "zero-byte": (_zero_byte, ("empty", "0 bytes")),
    "text-as-jpg": (_text_as_jpg, ("not an image", "text file")),
    "truncated-jpeg": (_truncated_jpeg, ("truncated or corrupt",)),
    "heic": (_heic, ("HEIC/HEIF", "not supported", "JPEG or PNG")),
    "svg": (_svg, ("SVG", "vector", "PNG or JPEG")),
    "missing": (_missing, ("no such file",)),
    "folder": (_folder, ("is a folder",)),
}


@pytest.fixture
def good_png(tmp_path):
    path = tmp_path / "good.png"
    save_png(path, stripes(32))
    return path


@pytest.mark.parametrize("role", ["content", "style"])
@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_bad_input_file(tmp_path, good_png, role, kind):
    make, keywords = BAD_INPUTS[kind]
    bad = make(tmp_path)
    content, style = (bad, good_png) if role == "content" else (good_png, bad)
    before = listing(tmp_path)
    proc, seconds = deepstyle("gatys", content.name, style.name, "-o", "out.png", "--report", "r.json",
                              "--steps", 100000, cwd=tmp_path)
    line = assert_one_line_error(proc, *keywords)
    assert f"deepstyle: error: {bad.name}: " in line  # names the file as the user wrote it
    assert listing(tmp_path) == before  # no output image, no report, nothing else
    assert seconds < 60


def test_bad_content_reported_before_style(tmp_path):
    """Both inputs bad: the message is about CONTENT, the first argument."""
    content, style = _zero_byte(tmp_path), _svg(tmp_path)
    proc, _ = deepstyle("gatys", content, style, "-o", tmp_path / "out.png", cwd=tmp_path)
    line = assert_one_line_error(proc, "empty")
    assert str(content) in line and "logo.svg" not in line


@pytest.mark.parametrize("output, keywords", [
    ("out.gif", ("'.gif' is not a supported output format", ".png", ".jpg", ".webp")),
    ("notes.txt", ("'.txt' is not a supported output format",)),
    ("noext", ("no file extension",)),
    ("existing.png", ("is an existing folder",)),
])
def test_bad_output_path_checked_before_optimisation(tmp_path, good_png, output, keywords):
    if output == "existing.png":
        (tmp_path / output).mkdir()
    before = listing(tmp_path)
    proc, seconds = deepstyle("gatys", good_png, good_png, "-o", output, "--steps", 100000, "--size", 64,
                              cwd=tmp_path)
    line = assert_one_line_error(proc, *keywords)
    assert f"deepstyle: error: {output}: " in line
    assert listing(tmp_path) == before
    assert seconds < 60  # 100000 L-BFGS steps were asked for: the check came first


@pytest.mark.parametrize("report, keywords", [
    ("r.txt", ("must be a .json file",)),
    ("reports.json", ("is a directory",)),
])
def test_bad_report_path_checked_before_optimisation(tmp_path, good_png, report, keywords):
    if report == "reports.json":
        (tmp_path / report).mkdir()
    before = listing(tmp_path)
    proc, seconds = deepstyle("gatys", good_png, good_png, "-o", "out.png", "--report", report,
                              "--steps", 100000, cwd=tmp_path)
    assert_one_line_error(proc, report, *keywords)
    assert listing(tmp_path) == before
    assert seconds < 60


def test_style_scale_too_large_refused(tmp_path, good_png):
    proc, seconds = deepstyle("gatys", good_png, good_png, "-o", "out.png", "--size", 4096,
                              "--style-scale", 100, cwd=tmp_path)
    assert_one_line_error(proc, "--style-scale", "409600", "4096")
    assert not (tmp_path / "out.png").exists()
    assert seconds < 60


@pytest.mark.parametrize("args, option, keywords", [
    (["--steps", "0"], "--steps", ("at least 1", "0")),
    (["--steps", "abc"], "--steps", ("whole number", "'abc'")),
    (["--size", "5"], "--size", ("between 16 and 4096", "5")),
    (["--style-weight", "-1"], "--style-weight", ("finite number >= 0", "-1")),
    (["--tv-weight", "nan"], "--tv-weight", ("finite number >= 0",)),
    (["--style-scale", "0"], "--style-scale", ("greater than 0",)),
])
def test_bad_numbers(tmp_path, good_png, args, option, keywords):
    proc, _ = deepstyle("gatys", good_png, good_png, "-o", "out.png", *args, cwd=tmp_path)
    assert_usage_error(proc, option, *keywords)
    assert not (tmp_path / "out.png").exists()


def test_missing_output_option(tmp_path, good_png):
    proc, _ = deepstyle("gatys", good_png, good_png, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("usage: deepstyle gatys"), proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last == "deepstyle gatys: error: the following arguments are required: -o/--output", last


def test_no_command(tmp_path):
    proc, _ = deepstyle(cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("deepstyle: error:")
    assert "required" in proc.stderr and "Traceback" not in proc.stderr


def test_help(tmp_path):
    proc, _ = deepstyle("--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: deepstyle")
    assert "gatys" in proc.stdout and "Gatys" in proc.stdout


def test_every_subcommand_has_help(capsys):
    """`deepstyle SUBCOMMAND --help` for each: argparse formats every option's help (a bare % in one
    made `eval --help` end in a traceback)."""
    from convert.options import build_parser

    for name in ("gatys", "train", "adain-train", "adain-distill", "export", "eval", "average", "stylize"):
        with pytest.raises(SystemExit) as done:
            build_parser().parse_args([name, "--help"])
        assert done.value.code == 0
        text = capsys.readouterr().out
        assert text.startswith(f"usage: deepstyle {name}"), text[:80]


def test_gatys_help(tmp_path):
    proc, _ = deepstyle("gatys", "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: deepstyle gatys")
    for option in ("content", "style", "-o OUTPUT, --output OUTPUT", "--size", "--style-scale", "--steps",
                   "--content-weight", "--style-weight", "--tv-weight", "--preserve-color",
                   "--init {content,noise}", "--seed", "--report", "-q, --quiet"):
        assert option in proc.stdout, option


# ----------------------------------------------------------------------------------------------
# Real (tiny) runs
# ----------------------------------------------------------------------------------------------

@pytest.fixture
def chelsea_and_stripes(tmp_path):
    import skimage.data

    content, style = tmp_path / "chelsea.png", tmp_path / "stripes.png"
    Image.fromarray(skimage.data.chelsea()).save(content)  # 451 x 300
    save_png(style, stripes(96))
    return content, style


@pytest.mark.slow
def test_tiny_run_writes_image_summary_and_report(tmp_path, chelsea_and_stripes):
    content, style = chelsea_and_stripes
    proc, _ = deepstyle("gatys", content.name, style.name, "-o", "out.png", "--size", 48, "--steps", 6,
                        "--report", "r.json", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr

    out = tmp_path / "out.png"
    with Image.open(out) as img:
        assert img.format == "PNG" and img.mode == "RGB"
        assert img.size == (48, 32)
        pixels = np.asarray(img, np.float32)
    # Not blank and still the cat: close to the photo at the same size, but changed by the style.
    photo = load_image(content, size=48)
    difference = np.abs(pixels - photo).mean()
    assert pixels.std() > 10
    assert 0.01 < difference < 60, difference

    lines = proc.stdout.splitlines()
    assert lines[0].startswith("wrote out.png (48x32) after "), proc.stdout
    for word in ("content", "style", "tv", "total"):
        assert word in lines[1], proc.stdout

    report = json.loads((tmp_path / "r.json").read_text())
    assert report["size"] == [48, 32]
    assert report["content"] == "chelsea.png" and report["style"] == "stripes.png"
    assert report["output"] == "out.png"
    assert report["steps"] == 6
    assert report["preserve_color"] is False and report["init"] == "content"
    from convert.options import OBJECTIVE_DEFAULTS
    from convert.losses import StyleObjective

    defaults = StyleObjective().as_dict()
    assert {k: defaults[k] for k in OBJECTIVE_DEFAULTS} == OBJECTIVE_DEFAULTS  # what --help states
    assert report["objective"] == defaults
    initial, final = report["initial_losses"], report["final_losses"]
    assert set(final) >= {"content", "style", "tv", "total"}
    assert all(np.isfinite(v) for v in final.values())
    from convert.precision import detect

    # started from the photo: zero content loss, to bfloat16's rounding where `auto` picks it (tests/test_gatys.py)
    assert initial["content"] == pytest.approx(0.0, abs=1e-4 if detect().name == "bfloat16" else 1e-6)
    assert final["total"] < initial["total"]
    assert final["style"] < initial["style"]
    # The printed total is the report's.
    assert f"total {final['total']:.4f} (from {initial['total']:.4f})" in lines[1]


@pytest.mark.slow
def test_tiny_run_preserve_color_and_options(tmp_path, chelsea_and_stripes):
    """--preserve-color keeps the photo's chroma; weights, scale and nested output folders go through."""
    content, style = chelsea_and_stripes
    proc, _ = deepstyle("gatys", content, style, "-o", tmp_path / "new" / "dir" / "out.png",
                        "--report", tmp_path / "reports" / "r.json", "--size", 40, "--steps", 4,
                        "--preserve-color", "--style-weight", 20, "--tv-weight", 0, "--style-scale", 0.5,
                        "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr

    with Image.open(tmp_path / "new" / "dir" / "out.png") as img:
        assert img.size == (40, 27)
        pixels = np.asarray(img.convert("RGB"), np.float32)
    photo = load_image(content, size=40)
    iq_out, iq_photo = rgb_to_yiq(pixels)[..., 1:], rgb_to_yiq(photo)[..., 1:]
    assert np.abs(iq_out - iq_photo).mean() < 2.0  # the photo's colours, not the stripes' red/blue

    report = json.loads((tmp_path / "reports" / "r.json").read_text())
    assert report["size"] == [40, 27]
    assert report["preserve_color"] is True
    assert report["style_scale"] == 0.5
    assert report["objective"]["style_weight"] == 20.0
    assert report["objective"]["tv_weight"] == 0.0
    assert report["objective"]["content_weight"] == 1.0
    assert report["final_losses"]["total"] < report["initial_losses"]["total"]


# ---------------------------------------------------------------------------------------------
# train and eval: inputs are checked before any photo is loaded or model built.


@pytest.fixture
def train_inputs(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    save_png(photos / "a.png", stripes(64))
    styles = tmp_path / "styles"
    styles.mkdir()
    save_png(styles / "s.png", stripes(48))
    return photos, styles


def test_train_rejects_a_bad_style_file(tmp_path, train_inputs):
    photos, styles = train_inputs
    (styles / "bad.jpg").write_text("hello")
    proc, seconds = deepstyle("train", "--photos", photos, "--styles", styles / "s.png", styles / "bad.jpg",
                              "--run", tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "bad.jpg", "not an image")
    assert seconds < 60 and not (tmp_path / "run" / "state.json").exists()


@pytest.mark.parametrize("args, words", [
    (["--photos", "missing"], ("missing", "not a folder")),
    (["--crop", "100"], ("--crop 100", "multiple of 8")),
    (["--crop", "512", "--scale", "256"], ("--crop 512", "larger than --scale")),
], ids=["no-photos", "crop-not-multiple", "crop-over-scale"])
def test_train_rejects_bad_settings(tmp_path, train_inputs, args, words):
    photos, styles = train_inputs
    base = {"--photos": photos, "--styles": styles, "--run": tmp_path / "run"}
    for key, value in zip(args[::2], args[1::2]):
        base[key] = value
    flat = [str(x) for kv in base.items() for x in kv]
    proc, _ = deepstyle("train", *flat, cwd=tmp_path)
    assert_one_line_error(proc, *words)


def test_train_needs_one_style_scale_per_style(tmp_path, train_inputs):
    photos, styles = train_inputs
    proc, _ = deepstyle("train", "--photos", photos, "--styles", styles / "s.png", "--run", tmp_path / "run",
                        "--style-scales", "1", "2", cwd=tmp_path)
    assert_one_line_error(proc, "--style-scales", "2 numbers for 1 styles")
    assert not (tmp_path / "run" / "recipe.json").exists()
    # Fine-tuning: one number per new style, checked before the base run is loaded.
    proc, _ = deepstyle("train", "--from", tmp_path / "base", "--photos", photos, "--styles", styles / "s.png",
                        "--run", tmp_path / "run", "--style-scales", "1", "2", cwd=tmp_path)
    assert_one_line_error(proc, "--style-scales", "2 numbers for 1 new styles")


def test_train_needs_one_style_draw_per_style_and_one_drawn(tmp_path, train_inputs):
    photos, styles = train_inputs
    common = ["--photos", photos, "--styles", styles / "s.png", "--run", tmp_path / "run"]
    proc, _ = deepstyle("train", *common, "--style-draws", "1", "2", cwd=tmp_path)
    assert_one_line_error(proc, "--style-draws", "2 numbers for the run's 1 styles")
    proc, _ = deepstyle("train", *common, "--style-draws", "0", cwd=tmp_path)
    assert_one_line_error(proc, "--style-draws", "drawn with weight 0")
    assert not (tmp_path / "run" / "recipe.json").exists()


def test_train_needs_styles_unless_it_continues_a_run(tmp_path, train_inputs):
    photos, _ = train_inputs
    proc, _ = deepstyle("train", "--photos", photos, "--run", tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "--styles", "only --from")
    proc, _ = deepstyle("train", "--from", tmp_path / "base", "--photos", photos, "--widths", "16", "32", "96",
                        "--run", tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "--widths", "keeps its base's widths")
    proc, _ = deepstyle("train", "--from", tmp_path / "base", "--photos", photos, "--residual-blocks", "5",
                        "--run", tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "base", "no trained gallery run")
    assert not (tmp_path / "run" / "recipe.json").exists()


def test_retrain_and_eval_styles_name_styles_of_the_run(tmp_path, train_inputs):
    photos, _ = train_inputs
    proc, _ = deepstyle("train", "--photos", photos, "--run", tmp_path / "run", "--retrain", "udnie",
                        "--styles", photos, cwd=tmp_path)
    assert_one_line_error(proc, "--retrain", "--from")
    shipped = Path(__file__).resolve().parent.parent / "checkpoints" / "gallery"
    proc, _ = deepstyle("train", "--from", shipped, "--photos", photos, "--retrain", "udine", "--run",
                        tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "--retrain udine", "not one of this run's styles", "udnie", "edtaonisl")
    assert not (tmp_path / "run" / "recipe.json").exists()
    proc, _ = deepstyle("eval", "--run", shipped, "--photos", photos, "--styles", "udnie", "udine",
                        "-o", tmp_path / "r.json", cwd=tmp_path)
    assert_one_line_error(proc, "--styles udine", "not one of this run's styles", "great-wave")
    assert not (tmp_path / "r.json").exists()


def test_eval_needs_a_run_with_a_checkpoint(tmp_path, train_inputs):
    photos, _ = train_inputs
    (tmp_path / "run").mkdir()
    proc, _ = deepstyle("eval", "--run", tmp_path / "run", "--photos", photos, "-o", tmp_path / "r.json",
                        cwd=tmp_path)
    assert_one_line_error(proc, "run", "no training run with a checkpoint")
    proc, _ = deepstyle("eval", "--run", tmp_path / "run", "--photos", photos, "-o", tmp_path / "r.txt",
                        cwd=tmp_path)
    assert_one_line_error(proc, "r.txt", ".json")


def test_average_writes_a_weights_only_run_from_the_newest_snapshots(tmp_path):
    import shutil

    from convert.runs import CHECKPOINTS

    run = tmp_path / "run"
    shutil.copytree(CHECKPOINTS / "gallery", run)
    proc, _ = deepstyle("average", "--run", run, "--last", "2", "-o", tmp_path / "avg", cwd=tmp_path)
    assert_one_line_error(proc, "no weight snapshots", "--keep-snapshots")
    weights = run / json.loads((run / "state.json").read_text())["weights"]
    (run / "snapshots").mkdir()
    for step in (100, 200, 300):
        shutil.copyfile(weights, run / "snapshots" / f"transformer-{step:07d}.weights.h5")
    proc, _ = deepstyle("average", "--run", run, "--last", "4", "-o", tmp_path / "avg", cwd=tmp_path)
    assert_one_line_error(proc, "--last 4", "only 3 snapshots")
    proc, _ = deepstyle("average", "--run", run, "--last", "2", "-o", run, cwd=tmp_path)
    assert_one_line_error(proc, "-o", "new run folder")
    assert not (tmp_path / "avg").exists()

    proc, _ = deepstyle("average", "--run", run, "--last", "2", "-o", tmp_path / "avg", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "averaged 2 snapshots (steps 200 to 300)" in proc.stdout
    state = json.loads((tmp_path / "avg" / "state.json").read_text())
    assert state["averaged_steps"] == [200, 300] and state["optimizer"] is None
    assert json.loads((tmp_path / "avg" / "recipe.json").read_text()) == json.loads((run / "recipe.json").read_text())
    # The mean of copies of one file is that file's weights.
    assert _same_weights(tmp_path / "avg" / state["weights"], weights)


def _same_weights(a, b) -> bool:
    import numpy as np

    from convert.runs import read_weights

    x, y = read_weights(a), read_weights(b)
    return x.keys() == y.keys() and all(np.allclose(x[k], y[k], rtol=1e-6) for k in x)


def test_adain_train_rejects_an_unknown_holdout(tmp_path, train_inputs):
    photos, styles = train_inputs
    proc, seconds = deepstyle("adain-train", "--photos", photos, "--styles", styles, "--holdout", "nope.jpg",
                              "--run", tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "--holdout", "nope.jpg")
    proc, _ = deepstyle("adain-train", "--photos", photos, "--styles", tmp_path / "missing", "--run",
                        tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "missing", "no such file")


def test_adain_train_from_needs_a_trained_run_of_the_same_shape(tmp_path, train_inputs):
    photos, styles = train_inputs
    held = sorted(p.name for p in Path(styles).iterdir())[0]
    proc, _ = deepstyle("adain-train", "--photos", photos, "--styles", styles, "--from", tmp_path / "base",
                        "--run", tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "base", "no trained AdaIN run")
    base = tmp_path / "base"
    base.mkdir()
    (base / "recipe.json").write_text(json.dumps({"kind": "adain", "photos": "p", "styles": ["s"], "holdout": [held],
                                                  "widths": [128, 64, 32]}))
    (base / "state.json").write_text(json.dumps({"step": 5, "weights": "w.h5", "optimizer": "o.npz"}))
    proc, _ = deepstyle("adain-train", "--photos", photos, "--styles", styles, "--from", base, "--widths", "8", "8", "8",
                        "--holdout", held, "--run", tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "--widths", "128 64 32 wide")
    proc, _ = deepstyle("adain-train", "--photos", photos, "--styles", styles, "--from", base, "--upsample", "bilinear",
                        "--run", tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "--holdout", held)
    assert not (tmp_path / "run").exists()



def test_the_command_lines_decoder_widths_are_the_decoders():
    """options.DECODER_WIDTHS repeats adain.DEFAULT_DECODER_WIDTHS so that --from is checked without TensorFlow."""
    from convert.adain import DEFAULT_DECODER_WIDTHS
    from convert.options import DECODER_WIDTHS, build_parser

    assert DECODER_WIDTHS == DEFAULT_DECODER_WIDTHS
    args = build_parser().parse_args(["adain-train", "--photos", "p", "--styles", "s", "--run", "r"])
    assert tuple(args.widths) == DEFAULT_DECODER_WIDTHS


def test_the_command_lines_style_layers_are_the_decoders():
    """options.ADAIN_STYLE_LAYERS repeats adain.STYLE_LAYERS; the default is the paper's four, and a
    layer outside them is refused by argparse before anything loads."""
    from convert.adain import AdaINRecipe, STYLE_LAYERS
    from convert.options import ADAIN_STYLE_LAYERS, build_parser

    assert ADAIN_STYLE_LAYERS == STYLE_LAYERS
    base = ["adain-train", "--photos", "p", "--styles", "s", "--run", "r"]
    assert tuple(build_parser().parse_args(base).style_layers) == AdaINRecipe("p", ["s"]).style_layers
    assert build_parser().parse_args(base + ["--style-layers", "relu4_1", "relu5_1"]).style_layers == ["relu4_1", "relu5_1"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(base + ["--style-layers", "relu4_2"])


def test_the_photo_anchor_and_tone_term_are_off_unless_asked_for_and_never_negative():
    from convert.adain import AdaINRecipe
    from convert.options import build_parser

    base = ["adain-train", "--photos", "p", "--styles", "s", "--run", "r"]
    assert build_parser().parse_args(base).anchor_weight == AdaINRecipe("p", ["s"]).anchor_weight == 0.0
    assert build_parser().parse_args(base + ["--anchor-weight", "0.25"]).anchor_weight == 0.25
    with pytest.raises(SystemExit):
        build_parser().parse_args(base + ["--anchor-weight", "-1"])
    assert build_parser().parse_args(base).tone_weight == AdaINRecipe("p", ["s"]).tone_weight == 0.0
    assert build_parser().parse_args(base + ["--tone-weight", "0.1"]).tone_weight == 0.1
    with pytest.raises(SystemExit):
        build_parser().parse_args(base + ["--tone-weight", "-0.1"])

# ---------------------------------------------------------------------------------------------
# stylize: the shipped networks on the command line, and the bad-input corpus (tests/corpus.py).

def test_bad_input_corpus_through_the_command_line(tmp_path):
    """Every file of the corpus in one `deepstyle stylize` call: each bad one is reported on its own
    line and skipped, each good one is painted at the expected size; exit status 1 (some skipped)."""
    from corpus import make_corpus, record

    cases = make_corpus(tmp_path / "corpus")
    proc, _ = deepstyle("stylize", *[p for _, p in cases], "--style", "great-wave", "--size", 512,
                        "-o", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("deepstyle: skipping: ")]
    seen = {}
    for case, path in cases:
        said = [line.removeprefix("deepstyle: skipping: ") for line in lines if f"{path}:" in line]
        out = tmp_path / "out" / f"{path.stem}-great-wave.png"
        if case.cli[0] == "error":
            assert len(said) == 1 and case.cli[1] in said[0], (case.file, said)
            assert not out.exists()
            seen[case.file] = {"result": "refused", "message": said[0].removeprefix(f"{path}: ")}
        else:
            assert not said, (case.file, said)
            with Image.open(out) as im:
                assert im.size == case.size, (case.file, im.size)
                painted = np.asarray(im.convert("RGB"), np.float32)
            if painted.shape[0] * painted.shape[1] > 1:  # (one pixel has no spread)
                assert painted.std() > 5, case.file  # a picture, not a flat wash
            seen[case.file] = {"result": "painted", "message": f"{im.size[0]} x {im.size[1]}"}
    record("cli", seen)


def test_stylize_checks_its_inputs_first(tmp_path):
    good = tmp_path / "cat.png"
    save_png(good, stripes(64))
    proc, seconds = deepstyle("stylize", good, "--style", "no-such-style", "-o", tmp_path / "o.png", cwd=tmp_path)
    assert_one_line_error(proc, "no-such-style", "not a gallery style")
    proc, _ = deepstyle("stylize", good, "--style", "great-wave", "-o", tmp_path / "o.txt", cwd=tmp_path)
    assert_one_line_error(proc, "o.txt")
    proc, _ = deepstyle("stylize", good, "--style", "great-wave", "--strength", "2", "-o", tmp_path / "o.png",
                        cwd=tmp_path)
    assert_one_line_error(proc, "--strength", "between 0 and 1")
    proc, _ = deepstyle("stylize", tmp_path / "missing.jpg", "--style", "great-wave", "-o", tmp_path / "o.png",
                        cwd=tmp_path)
    assert proc.returncode == 2 and "missing.jpg: no such file" in proc.stderr and "no photo could be read" in proc.stderr
    assert not (tmp_path / "o.png").exists()


def test_stylize_and_the_python_api_paint_gallery_styles_and_ones_own_picture(tmp_path, chelsea_small):
    """`deepstyle stylize`: a gallery id runs the multi-style network, matching networks.stylize; a
    picture path runs AdaIN, with --strength. `from convert import stylize` gives the same pixels
    for both, and strength 0 gives back the photo."""
    from convert import networks, stylize, train
    from convert.paint import PaintError, Painter

    photo = tmp_path / "cat.png"
    Image.fromarray(np.clip(chelsea_small, 0, 255).astype(np.uint8)).save(photo)
    style = tmp_path / "stripes.png"
    save_png(style, stripes(64))
    proc, _ = deepstyle("stylize", photo, "--style", "udnie", "-o", tmp_path / "udnie.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    net, recipe, _ = train.load_run(Path(__file__).resolve().parent.parent / "checkpoints" / "gallery")
    index = [Path(s).name for s in recipe.styles].index("picabia_udnie_1913.jpg")
    image = load_image(photo)
    expected = networks.stylize(net, image, np.eye(len(recipe.styles), dtype=np.float32)[index])
    got = load_image(tmp_path / "udnie.png")
    assert np.abs(got - expected).max() <= 1.0  # the PNG rounds
    assert np.abs(stylize(image, style="udnie") - got).max() <= 1.0
    proc, _ = deepstyle("stylize", photo, "--style", style, "--strength", "0.7", "-o", tmp_path / "own.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    own = load_image(tmp_path / "own.png")
    assert np.abs(stylize(image, style=str(style)) - image).mean() > 10
    painted = stylize(image, style=str(style), strength=0.7)
    assert painted.shape == image.shape
    assert np.abs(painted - own).max() <= 1.0
    assert np.abs(stylize(image, style="udnie", strength=0) - image).max() <= 1.0
    with pytest.raises(PaintError, match="unknown style 'no-such-style'"):
        Painter().check("no-such-style")
    with pytest.raises(PaintError, match="strength must be between 0 and 1"):
        Painter().paint(image, "udnie", strength=2)


def test_adain_distill_checks_its_inputs(tmp_path, train_inputs):
    photos, styles = train_inputs
    proc, _ = deepstyle("adain-distill", "--photos", photos, "--styles", tmp_path / "missing", "--run",
                        tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "missing", "no such file")
    proc, _ = deepstyle("adain-distill", "--photos", photos, "--styles", styles, "--crop", "60", "--scale", "64",
                        "--run", tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "--crop 60", "multiple of 8")
    proc, _ = deepstyle("adain-distill", "--photos", photos, "--styles", styles, "--widths", "8", "8",
                        "--run", tmp_path / "run", cwd=tmp_path)
    assert proc.returncode == 2 and "--widths" in proc.stderr
    proc, _ = deepstyle("adain-distill", "--photos", photos, "--styles", styles, "--holdout", "nope.jpg",
                        "--run", tmp_path / "run", cwd=tmp_path)
    assert_one_line_error(proc, "--holdout", "nope.jpg")
    assert not (tmp_path / "run").exists()


def test_encoder_runs_are_not_mistaken_for_decoder_runs(tmp_path, train_inputs):
    """An `adain-distill` run is only an --encoder; a folder that is not one is refused with a clear line."""
    photos, _ = train_inputs
    encoder_run, decoder_run = tmp_path / "encoder", tmp_path / "decoder"
    for run, recipe in ((encoder_run, {"prune_images": 48, "holdout": [], "widths": [8] * 7}),
                        (decoder_run, {"holdout": [], "styles": [str(photos)], "widths": [8, 8, 8]})):
        run.mkdir()
        (run / "recipe.json").write_text(json.dumps(recipe))
        (run / "state.json").write_text(json.dumps({"step": 1, "weights": "w.weights.h5", "optimizer": "o.npz"}))
    proc, _ = deepstyle("eval", "--run", encoder_run, "--photos", photos, "-o", tmp_path / "r.json", cwd=tmp_path)
    assert_one_line_error(proc, "encoder run", "--encoder")
    proc, _ = deepstyle("export", "--adain", "--run", encoder_run, "--models", tmp_path / "models", cwd=tmp_path)
    assert_one_line_error(proc, "encoder run", "--encoder")
    proc, _ = deepstyle("stylize", str(photos / "a.png"), "--style", str(photos / "a.png"), "-o",
                        tmp_path / "out.png", "--adain-run", encoder_run, "--encoder", "vgg", cwd=tmp_path)
    assert_one_line_error(proc, "encoder run", "--encoder")
    proc, _ = deepstyle("export", "--adain", "--run", decoder_run, "--encoder", tmp_path / "nothing",
                        "--models", tmp_path / "models", cwd=tmp_path)
    assert_one_line_error(proc, "--encoder", "adain-distill")
    proc, _ = deepstyle("stylize", str(photos / "a.png"), "--style", str(photos / "a.png"), "-o",
                        tmp_path / "out.png", "--adain-run", decoder_run, "--encoder", decoder_run, cwd=tmp_path)
    assert_one_line_error(proc, "--encoder", "adain-distill")
    assert not (tmp_path / "out.png").exists()


def test_thin_pictures_paint_with_ones_own_style_too(tmp_path):
    """The corpus's 1 x 1, 20000 x 20 and 3 x 5000 pictures through the arbitrary-style network
    (the gallery is in the corpus test): painted at their shrunk sizes, no traceback."""
    from corpus import make_corpus

    cases = {case.file: (case, path) for case, path in make_corpus(tmp_path / "corpus")}
    thin = [cases[name] for name in ("dot.png", "panorama.png", "strip.png")]
    style = tmp_path / "stripes.png"
    save_png(style, stripes(64))
    proc, _ = deepstyle("stylize", *[p for _, p in thin], "--style", style, "--size", 512, "-o", tmp_path / "out",
                        cwd=tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    for case, path in thin:
        with Image.open(tmp_path / "out" / f"{path.stem}-stripes.png") as im:
            assert im.size == case.size, (case.file, im.size)


