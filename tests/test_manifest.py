import copy
import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from convert import manifest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
SHIPPED = MODELS / "manifest.json"
PREDICT = ROOT / "scripts" / "tfjs_predict.mjs"
HAVE_TFJS = (ROOT / "node_modules" / "@tensorflow" / "tfjs" / "package.json").is_file()


@pytest.fixture(scope="module")
def shipped():
    return json.loads(SHIPPED.read_text())


def test_shipped_manifest_follows_the_schema_and_its_files(shipped):
    manifest.validate(shipped)
    for model in shipped["models"]:
        for f in model["files"]:
            data = (MODELS / f["path"]).read_bytes()
            assert len(data) == f["bytes"] and hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
        assert model["total_bytes"] == sum(f["bytes"] for f in model["files"])
    for style in shipped["styles"]:
        for entry in (style["thumbnail"], style["adain_statistics"], style["painting"]):
            data = (MODELS / entry["path"]).read_bytes()
            assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]


def test_shipped_adain_statistics_are_the_paintings(shipped):
    """Each gallery painting's shipped AdaIN statistics: 512 means then 512 deviations; where the
    painting is on this machine, they are what adain.style_statistics computes from it at 512 px with
    the shipped encoder."""
    import numpy as np

    from convert import adain, images

    recipe = next(m for m in shipped["models"] if m["id"] == "gallery")["recipe"]
    checked = 0
    for style in shipped["styles"]:
        values = np.frombuffer((MODELS / style["adain_statistics"]["path"]).read_bytes(), "<f4")
        assert values.shape == (1024,) and np.all(values[512:] >= 0)
        painting = Path(recipe["styles"][style["index"]])
        if painting.exists() and checked < 2:
            encode = adain.shipped_encoder(MODELS)  # the statistics belong to the encoder shipped beside them
            mean, std = adain.style_statistics(images.load_image(painting, size=512)[None], encode)["relu4_1"]
            np.testing.assert_allclose(values[:512], np.asarray(mean).ravel(), rtol=1e-3, atol=1e-3)
            np.testing.assert_allclose(values[512:], np.asarray(std).ravel(), rtol=1e-3, atol=1e-3)
            checked += 1


def test_gallery_has_twelve_described_styles_within_the_size_budget(shipped):
    gallery = [s for s in shipped["styles"] if s["model"] == "gallery"]
    assert len(gallery) == 12
    assert sorted(s["index"] for s in gallery) == list(range(12))
    model = next(m for m in shipped["models"] if m["id"] == "gallery")
    assert model["inputs"]["style"] == [1, 12]
    assert model["total_bytes"] <= 1_500_000  # all twelve styles together: the gallery's download budget
    for style in gallery:
        assert style["title"] and style["artist"] and style["licence"], style["id"]
        assert "evaluation" in style and 0 < style["evaluation"]["style_fraction"] < 1.5, style["id"]
    starry = next(s for s in gallery if s["id"] == "starry-night")
    assert (starry["title"], starry["artist"], starry["year"]) == ("The Starry Night", "Vincent van Gogh", "1889")


@pytest.mark.parametrize("change, words", [
    (lambda m: m["styles"][0].pop("title"), "'title' is a required property"),
    (lambda m: m["models"][0]["files"][0].update(sha256="xyz"), "does not match"),
    (lambda m: m["styles"][0].update(model="nope"), "names model nope"),
    (lambda m: m["styles"][1].update(id=m["styles"][0]["id"]), "not unique"),
    (lambda m: m.update(schema=2), "schema"),
], ids=["no-title", "bad-sha", "unknown-model", "duplicate-id", "schema-version"])
def test_validation_names_the_problem(shipped, change, words):
    broken = copy.deepcopy(shipped)
    change(broken)
    with pytest.raises(manifest.ManifestError, match=words):
        manifest.validate(broken)


@pytest.mark.skipif(not HAVE_TFJS, reason="node_modules absent: run `npm ci`")
def test_shipped_model_in_tfjs_matches_keras(shipped, chelsea_small, tmp_path):
    """The exported, float16 gallery model in TensorFlow.js (Node) against the Keras checkpoint."""
    from convert import networks, train

    net, recipe, step = train.load_run(ROOT / "checkpoints" / "gallery")
    model = next(m for m in shipped["models"] if m["id"] == "gallery")
    assert model["trained"]["steps"] == step  # models/ is the committed checkpoint's export
    x = chelsea_small[None, :, :90].astype("<f4")  # 64 x 90: padded inside the graph
    worst = 0.0
    for style in (np.eye(12, dtype="<f4")[0], np.eye(12, dtype="<f4")[7], np.full(12, 1 / 12, "<f4")):
        np.save(tmp_path / "x.npy", x)
        np.save(tmp_path / "s.npy", style[None])
        proc = subprocess.run(["node", str(PREDICT), str(MODELS / "gallery"), str(tmp_path / "x.npy"),
                               str(tmp_path / "y.npy"), "--input", f"style={tmp_path / 's.npy'}"],
                              capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stderr[-2000:]
        y = np.load(tmp_path / "y.npy")[0]
        expected = networks.stylize(net, x[0], style)
        assert y.shape == expected.shape and y.min() >= 0 and y.max() <= 255
        worst = max(worst, float(np.abs(y - expected).max()))
        assert np.abs(y - expected).mean() < 0.5
    print(f"max abs difference, tfjs float16 model vs Keras float32: {worst:.2f} (0-255)")
    assert worst < 1.0  # measured 0.08 on 2026-11-26


@pytest.mark.slow
def test_export_records_a_run_and_replaces_it_on_re_export(tmp_path, chelsea_small, stripes_style):
    from PIL import Image

    from convert import publish, train

    styles = []
    for name, image in (("a_style.png", stripes_style), ("b_style.png", np.flipud(stripes_style))):
        Image.fromarray(image.astype(np.uint8)).save(tmp_path / name)
        styles.append(str(tmp_path / name))
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(chelsea_small.astype(np.uint8)).save(photos / "p.png")
    recipe = train.Recipe(styles=styles, photos=str(photos), steps=1, batch=1, crop=32, scale=64,
                          widths=(4, 8, 8), residual_blocks=1)
    train.train(recipe, tmp_path / "run", log=lambda *a: None, jit_compile=False)
    models = tmp_path / "models"
    first = publish.export_multi_style(tmp_path / "run", models, "tiny", "float16", chelsea_small, "chelsea",
                                        log=lambda *a: None)
    # What other exports wrote stays: a model after this one, and a style's AdaIN statistics.
    first["models"].append({**first["models"][0], "id": "other"})
    (models / "adain-statistics").mkdir()
    (models / "adain-statistics" / "a-style.bin").write_bytes(bytes(4096))
    statistics = {"path": "adain-statistics/a-style.bin", "bytes": 4096,
                  "sha256": hashlib.sha256(bytes(4096)).hexdigest()}
    first["styles"][0]["adain_statistics"] = statistics
    (models / "manifest.json").write_text(json.dumps(first))
    result = publish.export_multi_style(tmp_path / "run", models, "tiny", "float16", chelsea_small, "chelsea",
                                         log=lambda *a: None)
    assert [m["id"] for m in result["models"]] == ["tiny", "other"]
    assert result["styles"][0]["adain_statistics"] == statistics and "adain_statistics" not in result["styles"][1]
    assert [s["id"] for s in result["styles"]] == ["a-style", "b-style"]
    assert result["styles"][1]["index"] == 1 and result["styles"][0]["artist"] is None
    manifest.validate(json.loads((models / "manifest.json").read_text()))
    assert len(list((models / "tiny" / "thumbnails").glob("*.jpg"))) == 2
    # A small picture of each painting itself, for the cards: the painting's colours, at most 192 px.
    for style, source in zip(result["styles"], (stripes_style, np.flipud(stripes_style))):
        with Image.open(models / style["painting"]["path"]) as im:
            assert im.format == "WEBP" and max(im.size) <= manifest.PAINTING_SIZE
            small = np.asarray(im.convert("RGB").resize((32, 32)), np.float32)
        expected = np.asarray(Image.fromarray(source.astype(np.uint8)).resize((32, 32)), np.float32)
        assert np.abs(small - expected).mean() < 12


def test_arbitrary_style_models_are_shipped_within_four_megabytes(shipped):
    by_id = {m["id"]: m for m in shipped["models"]}
    encoder, decoder = by_id["adain-encoder"], by_id["adain-decoder"]
    assert encoder["kind"] == "adain-encoder" and decoder["kind"] == "adain-decoder"
    assert encoder["inputs"] == {"image": [1, -1, -1, 3]} and decoder["inputs"] == {"features": [1, -1, -1, 512]}
    assert encoder["total_bytes"] + decoder["total_bytes"] <= 4_000_000  # the arbitrary-style network's download budget (4 MB)
    for model in (encoder, decoder):  # Tile ops were half of a decoder pass on wasm (networks.resize_for_export)
        ops = {n["op"] for n in json.loads((MODELS / model["url"]).read_text())["modelTopology"]["node"]}
        assert "Tile" not in ops, model["id"]
    if "run" in encoder["recipe"]:  # a distilled encoder: its run is committed, so Python can run what the page runs
        assert (ROOT / encoder["recipe"]["run"] / "state.json").exists()
        assert encoder["trained"]["steps"] == json.loads((ROOT / encoder["recipe"]["run"] / "state.json").read_text())["step"]
    assert decoder["recipe"]["holdout"]  # the styles it never trained on are recorded


def test_style_evaluation_carries_the_gatys_step_count_and_the_schema_takes_it(shipped):
    block = {"pairs": 40, "content": 1.0, "style": 0.1, "style_fraction": 0.2, "ratio_to_gatys": 5.5,
             "gatys_pairs": 2, "gatys_trajectories": 2, "gatys_steps_to_match_median": 37}
    results = {"size": 384, "summary": {"per_style": {"a": block, "b": {**block, "gatys_steps_to_match_median": None},
                                                      "c": {k: v for k, v in block.items() if "match" not in k}}}}
    figures = manifest.style_evaluation(results)
    assert figures["a"]["gatys_steps_to_match"] == 37 and figures["b"]["gatys_steps_to_match"] is None
    assert "gatys_steps_to_match" not in figures["c"]  # references cached before trajectories were kept
    changed = copy.deepcopy(shipped)
    changed["styles"][0]["evaluation"] = figures["b"]
    manifest.validate(changed)
    changed["styles"][0]["evaluation"]["gatys_steps_to_match"] = "many"
    with pytest.raises(ValueError):
        manifest.validate(changed)
