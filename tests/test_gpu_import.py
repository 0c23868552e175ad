"""scripts/gpu/gpu_import.py: a GPU session's archives become the committed runs again."""

import importlib.util
import json
import tarfile
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("gpu_import", ROOT / "scripts" / "gpu" / "gpu_import.py")
gpu_import = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_import)


def pack_run(outdir: Path, name: str, step: int, recipe: dict, renders: list[int]) -> None:
    run = outdir / "work" / name
    (run / "renders").mkdir(parents=True)
    (run / f"transformer-{step:07d}.weights.h5").write_bytes(b"weights %d" % step)
    (run / f"optimizer-{step:07d}.npz").write_bytes(b"adam %d" % step)
    (run / "state.json").write_text(json.dumps({"step": step, "weights": f"transformer-{step:07d}.weights.h5",
                                                "optimizer": f"optimizer-{step:07d}.npz"}))
    (run / "recipe.json").write_text(json.dumps(recipe))
    (run / "log.jsonl").write_text('{"step": 10, "loss": 5.0}\n')
    for r in renders:  # the last one as wide as a 12-style grid
        width = 2400 if r == max(renders) else 40
        Image.new("RGB", (width, 30), (r % 256, 90, 160)).save(run / "renders" / f"step-{r:07d}.jpg")
    with tarfile.open(outdir / f"{name}.tar.gz", "w:gz") as tar:
        tar.add(run, arcname=name)


@pytest.fixture(autouse=True)
def data_here(monkeypatch):
    """The data folder the imported recipes name, as on the machine the committed runs train on."""
    monkeypatch.setenv("DEEPSTYLE_DATA", "../shared/data")


def test_import_moves_runs_home(tmp_path):
    out, checkpoints, docs = tmp_path / "out", tmp_path / "checkpoints", tmp_path / "docs"
    out.mkdir()
    gallery = checkpoints / "gallery"
    gallery.mkdir(parents=True)
    (gallery / "transformer-0000100.weights.h5").write_bytes(b"old")
    (gallery / "optimizer-0000100.npz").write_bytes(b"old")
    (gallery / "state.json").write_text(json.dumps({"step": 100, "weights": "transformer-0000100.weights.h5",
                                                    "optimizer": "optimizer-0000100.npz"}))
    pack_run(out, "gallery", 300, {"photos": ".gpudata/photos", "styles": [".gpufixed/styles/a.jpg"], "crop": 256},
             renders=[50, 150, 300])
    pack_run(out, "adain-w10", 40, {"photos": "/tmp/pack/photos", "styles": ["/tmp/pack/paintings", "/x/fixed/styles"],
                                    "holdout": ["a.jpg"]}, renders=[40])
    assert gpu_import.main([str(out), "--checkpoints", str(checkpoints), "--docs", str(docs),
                            "--date", "2026-12-01"]) == 0

    assert sorted(p.name for p in gallery.iterdir()) == [
        "log.jsonl", "optimizer-0000300.npz", "recipe.json", "state.json", "transformer-0000300.weights.h5"]
    recipe = json.loads((gallery / "recipe.json").read_text())
    assert recipe == {"photos": "../shared/data/photos", "styles": ["../shared/data/styles/a.jpg"], "crop": 256}
    renders = docs / "training" / "gallery-gpu-2026-12-01"
    assert sorted(p.name for p in renders.iterdir()) == ["step-0000150.jpg", "step-0000300.jpg"]  # the log stays the run's
    with Image.open(renders / "step-0000300.jpg") as im:  # shrunk: the repository travels to the GPU
        assert im.size == (gpu_import.RENDER_WIDTH, 20)
    with Image.open(renders / "step-0000150.jpg") as im:
        assert im.size == (40, 30)
    adain = json.loads((checkpoints / "adain" / "recipe.json").read_text())
    assert adain["styles"] == ["../shared/data/paintings", "../shared/data/styles"]
    assert json.loads((checkpoints / "adain" / "state.json").read_text())["step"] == 40


def test_import_refuses_a_shorter_run_unless_forced(tmp_path):
    """A session that started afresh must not quietly replace the longer committed run."""
    out, checkpoints, docs = tmp_path / "out", tmp_path / "checkpoints", tmp_path / "docs"
    out.mkdir()
    gallery = checkpoints / "gallery"
    gallery.mkdir(parents=True)
    (gallery / "state.json").write_text(json.dumps({"step": 500, "weights": "transformer-0000500.weights.h5",
                                                    "optimizer": "optimizer-0000500.npz"}))
    (gallery / "transformer-0000500.weights.h5").write_bytes(b"long run")
    pack_run(out, "gallery", 300, {"photos": "d/photos", "styles": ["f/styles/a.jpg"]}, renders=[])
    args = [str(out), "--checkpoints", str(checkpoints), "--docs", str(docs)]
    with pytest.raises(SystemExit, match="not past the committed 500"):
        gpu_import.main(args)
    assert (gallery / "transformer-0000500.weights.h5").read_bytes() == b"long run"
    assert gpu_import.main(args + ["--force"]) == 0
    assert sorted(p.name for p in gallery.iterdir()) == [
        "log.jsonl", "optimizer-0000300.npz", "recipe.json", "state.json", "transformer-0000300.weights.h5"]


def test_import_asks_which_adain_run(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    for w in (5, 10):
        pack_run(out, f"adain-w{w}", 1, {"photos": "p/photos", "styles": ["p/styles"]}, renders=[])
    with pytest.raises(SystemExit):
        gpu_import.main([str(out), "--checkpoints", str(tmp_path / "c"), "--docs", str(tmp_path / "d")])
    assert "choose one with --adain" in capsys.readouterr().err
    assert gpu_import.main([str(out), "--adain", "5", "--checkpoints", str(tmp_path / "c"),
                            "--docs", str(tmp_path / "d"), "--dry-run"]) == 0
    assert not (tmp_path / "c").exists()  # a dry run changes nothing


def test_import_joins_an_archive_that_came_in_parts(tmp_path):
    """A device call returns files of at most 16 MiB, so gpu_train.sh splits bigger archives."""
    out, checkpoints, docs = tmp_path / "out", tmp_path / "checkpoints", tmp_path / "docs"
    out.mkdir()
    pack_run(out, "gallery", 300, {"photos": "d/photos", "styles": ["f/styles/a.jpg"]}, renders=[300])
    whole = (out / "gallery.tar.gz").read_bytes()
    (out / "gallery.tar.gz").unlink()
    for i, start in enumerate(range(0, len(whole), 100)):
        (out / f"gallery.tar.gz.part-a{chr(97 + i)}").write_bytes(whole[start: start + 100])
    assert i >= 2
    before = sorted(p.name for p in out.iterdir())
    assert gpu_import.main([str(out), "--checkpoints", str(checkpoints), "--docs", str(docs)]) == 0
    assert json.loads((checkpoints / "gallery" / "state.json").read_text())["step"] == 300
    assert (checkpoints / "gallery" / "transformer-0000300.weights.h5").read_bytes() == b"weights 300"
    assert sorted(p.name for p in out.iterdir()) == before  # OUTDIR is only read


def test_runs_go_back_to_the_runs_they_continued(tmp_path):
    """gpu_train.sh's origins.json names the committed runs (GALLERY_RUN, ADAIN_RUN): a session that
    trained checkpoints/gallery-deep must not land on checkpoints/gallery, also with archives in parts."""
    out, checkpoints, docs = tmp_path / "out", tmp_path / "checkpoints", tmp_path / "docs"
    out.mkdir()
    (checkpoints / "gallery").mkdir(parents=True)
    (checkpoints / "gallery" / "state.json").write_text(json.dumps({"step": 27000}))
    pack_run(out, "gallery", 900, {"photos": "d/photos", "styles": ["f/styles/a.jpg"]}, renders=[900])
    pack_run(out, "adain-w10", 30, {"photos": "d/photos", "styles": ["d/paintings"], "upsample": "bilinear"}, renders=[])
    (out / "origins.json").write_text(json.dumps({"gallery": "checkpoints/gallery-deep",
                                                  "adain-w10": "checkpoints/adain-bilinear"}))
    whole = (out / "gallery.tar.gz").read_bytes()
    (out / "gallery.tar.gz").unlink()
    (out / "gallery.tar.gz.part-aa").write_bytes(whole[:200])
    (out / "gallery.tar.gz.part-ab").write_bytes(whole[200:])
    assert gpu_import.main([str(out), "--checkpoints", str(checkpoints), "--docs", str(docs), "--date", "2026-12-02"]) == 0
    assert json.loads((checkpoints / "gallery-deep" / "state.json").read_text())["step"] == 900
    assert json.loads((checkpoints / "gallery" / "state.json").read_text())["step"] == 27000  # untouched
    assert json.loads((checkpoints / "adain-bilinear" / "recipe.json").read_text())["upsample"] == "bilinear"
    assert not (checkpoints / "adain").exists()
    assert (docs / "training" / "gallery-deep-gpu-2026-12-02" / "step-0000900.jpg").exists()


def test_gatys_references_are_merged_into_the_cache_and_a_dry_run_writes_nothing(tmp_path):
    out, docs = tmp_path / "out", tmp_path / "docs"
    (out / "work").mkdir(parents=True)
    cache = docs / "eval" / "gatys_cache.json"
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps({"old": {"content_plus_style": 1.0}, "both": {"content_plus_style": 2.0}}))
    for shard, entries in enumerate(({"both": {"content_plus_style": 2.0}, "new1": {"content_plus_style": 3.0}},
                                     {"new2": {"content_plus_style": 4.0}})):
        (out / "work" / f"gatys-{shard}.json").write_text(json.dumps(entries))
    with tarfile.open(out / "gatys.tar.gz", "w:gz") as tar:
        for shard in (0, 1):
            tar.add(out / "work" / f"gatys-{shard}.json", arcname=f"gatys-{shard}.json")
    args = [str(out), "--checkpoints", str(tmp_path / "checkpoints"), "--docs", str(docs)]
    before = cache.read_text()
    assert gpu_import.main(args + ["--dry-run"]) == 0 and cache.read_text() == before
    assert gpu_import.main(args) == 0
    assert sorted(json.loads(cache.read_text())) == ["both", "new1", "new2", "old"]


def test_gatys_references_merge_keeps_what_the_output_had(tmp_path):
    import subprocess
    import sys

    out, a, b = tmp_path / "cache.json", tmp_path / "a.json", tmp_path / "b.json"
    out.write_text(json.dumps({"kept": {"x": 1}}))
    a.write_text(json.dumps({"a": {"x": 2}}))
    b.write_text(json.dumps({"b": {"x": 3}, "kept": {"x": 1}}))
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu" / "gatys_references.py"), "--merge", str(out), str(a),
                           str(b)], capture_output=True, text=True, check=True)
    assert "3 references, 2 new" in done.stdout
    assert json.loads(out.read_text()) == {"a": {"x": 2}, "b": {"x": 3}, "kept": {"x": 1}}
