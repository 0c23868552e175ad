"""End-to-end: the production build served under a sub-path, in headless Chromium.

Builds web/ with BASE=/deep-style/, serves it with `vite preview`, and drives it with
web/e2e/browser.mjs (playwright-core + Debian's chromium). The page's output pixels are compared
with the Python model's output for the same input, on WebGL (SwiftShader here) and on WASM.
"""

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BASE = "/deep-style/"

pytestmark = [
    pytest.mark.skipif(not (ROOT / "node_modules" / "playwright-core").is_dir(), reason="npm ci first"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """The production build, in a folder of this test process's own (the tests run in parallel
    processes, each building and serving its own copy; web/dist is left to scripts/serve.sh)."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(["npm", "run", "build", "--silent", "--", "--outDir", str(dist)], cwd=ROOT,
                   env={**os.environ, "BASE": BASE}, check=True, capture_output=True, timeout=600)
    return dist


@pytest.fixture(scope="module")
def site(built_site):
    env = {**os.environ, "BASE": BASE}
    port = _free_port()
    # its own process group: npx starts vite as a child, which terminating npx alone would leave running
    server = subprocess.Popen(["npx", "vite", "preview", "--config", "web/vite.config.ts", "--outDir", str(built_site),
                               "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("vite preview did not start")
        yield f"http://127.0.0.1:{port}{BASE}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def run_scenario(site, tmp_path, scenario, name="run"):
    out = tmp_path / name
    out.mkdir()
    (out / "scenario.json").write_text(json.dumps(scenario))
    proc = subprocess.run(["node", str(ROOT / "web" / "e2e" / "browser.mjs"), site, str(out / "scenario.json"), str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    report = json.loads((out / "report.json").read_text())
    assert "error" not in report, report.get("error", "") + "\n" + "\n".join(report["console"][-20:]) + proc.stderr
    assert report["foreign"] == [], f"requests left the site: {report['foreign']}"
    return report, out


def saved_pixels(out, name):
    d = json.loads((out / f"{name}.json").read_text())
    rgba = np.array(d["data"], np.float32).reshape(d["height"], d["width"], 4)
    return rgba[..., :3]


def python_painting(photo, style_id="great-wave"):
    """The shipped gallery checkpoint's output for `photo` (HxWx3, 0-255) in one pass, in Keras."""
    from convert import networks, train

    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())
    index = next(s["index"] for s in manifest["styles"] if s["id"] == style_id)
    net, recipe, _ = train.load_run(ROOT / "checkpoints" / "gallery")
    return networks.stylize(net, np.asarray(photo, np.float32), np.eye(len(recipe.styles), dtype=np.float32)[index])


@pytest.fixture(scope="module")
def photo_and_expected(tmp_path_factory, chelsea_small):
    """A lossless test photo (odd size: the graph pads) and the Keras model's output for style 'great-wave'."""
    folder = tmp_path_factory.mktemp("site-input")
    photo = np.clip(np.rint(chelsea_small[:, :94]), 0, 255).astype(np.uint8)  # 64 x 94
    Image.fromarray(photo).save(folder / "photo.png")
    return folder / "photo.png", photo, python_painting(photo)


@pytest.mark.parametrize("query", ["?backend=webgl", "?nowebgl"], ids=["webgl", "wasm"])
def test_upload_stylize_download(site, tmp_path, photo_and_expected, query):
    path, photo, expected = photo_and_expected
    backend = "wasm" if "nowebgl" in query else "webgl"
    # The square is painted at 1080 px: minutes on this machine's software WebGL, seconds on WASM.
    square_steps = [{"square": "square"}, {"await": "done"}] if backend == "wasm" else []
    report, out = run_scenario(site, tmp_path, {"query": query, "steps": [
        {"upload": str(path)}, {"style": "great-wave"}, {"await": "done"}, {"save": "out"},
        {"download": "full"}, *square_steps,
    ]})
    assert f"on {backend}" in report["statuses"][-1]["text"], report["statuses"]
    got = saved_pixels(out, "out")
    assert got.shape == expected.shape
    diff = np.abs(got - expected)
    print(f"{backend}: page vs Python model, mean abs {diff.mean():.2f}, max {diff.max():.0f} (0-255)")
    assert diff.mean() < 1.5 and np.percentile(diff, 99) < 10
    assert np.abs(got - photo).mean() > 10  # it is stylised, not the photo
    with Image.open(out / "full.png") as im:
        assert im.size == (94, 64)
        np.testing.assert_array_equal(np.asarray(im.convert("RGB"), np.float32), got)
    assert report["downloads"]["full"]["suggested"] == "photo-great-wave.png"
    if backend != "wasm":
        return
    with Image.open(out / "square.png") as im:
        assert im.size == (1080, 1080)
        square = np.asarray(im.convert("RGB"), np.float32)
    assert report["downloads"]["square"]["suggested"] == "photo-great-wave-1080.png"
    # The painting is 94 x 64: the square is not it enlarged but the photo's centre painted at 1080 px,
    # with the network's strokes at full resolution (far more detail from pixel to pixel than an enlargement).
    enlarged = np.asarray(Image.fromarray(got[:, 15:79].astype(np.uint8)).resize((1080, 1080), Image.BICUBIC), np.float32)
    centre = np.asarray(Image.fromarray(photo[:, 15:79]).resize((1080, 1080), Image.BICUBIC), np.float32)
    detail = lambda im: np.abs(np.diff(im, axis=1)).mean()
    print(f"{backend}: square, pixel-to-pixel detail {detail(square):.2f} against {detail(enlarged):.2f} enlarged; "
          f"from the enlarged photo {np.abs(square - centre).mean():.1f}")
    assert detail(square) > 3 * detail(enlarged)
    assert np.abs(square - centre).mean() > 10  # painted, not the photo
    assert report["statuses"][-1]["text"].startswith("Done: the 1080 × 1080 square"), report["statuses"]


def test_the_example_page_paints_through_the_public_engine_api(site, tmp_path, photo_and_expected):
    """web/examples/minimal.html: createStylizer and one paint(), as another site would use the engine."""
    path, photo, _ = photo_and_expected
    expected = python_painting(photo, "starry-night")  # the first style, which the example's list starts at
    report, out = run_scenario(site, tmp_path, {"page": "examples/minimal.html", "query": "?backend=webgl", "steps": [
        {"upload": str(path)}, {"await": "done"}, {"save": "out"},
    ]})
    assert report["statuses"][-1]["text"] == "Done: 94 × 64 in the style of The Starry Night, Vincent van Gogh.", report["statuses"]
    got = saved_pixels(out, "out")
    diff = np.abs(got - expected)
    print(f"example page vs Python model, mean abs {diff.mean():.2f}, max {diff.max():.0f} (0-255)")
    assert diff.mean() < 1.5 and np.percentile(diff, 99) < 10


def test_the_square_download_is_the_photos_centre_painted_at_1080(site, tmp_path):
    """A 1200 x 1080 photo: painted at 512 px on screen, its square is the centre 1080 x 1080 of the
    photo painted at full size (equal to Python's network on those pixels); painted at full size on
    screen, the square is the painting's own centre, pixel for pixel."""
    from skimage import data

    photo = np.asarray(Image.fromarray(data.astronaut()).resize((1200, 1080), Image.LANCZOS))
    Image.fromarray(photo).save(tmp_path / "wide.png")
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"upload": str(tmp_path / "wide.png")}, {"style": "great-wave"}, {"await": "done"},
        {"square": "painted"}, {"await": "done"},
        {"size": 4096}, {"await": "done"}, {"download": "full"}, {"square": "cropped"},
    ]})
    painted, full, cropped = (np.asarray(Image.open(out / f"{n}.png").convert("RGB"), np.float32)
                              for n in ("painted", "full", "cropped"))
    assert painted.shape == cropped.shape == (1080, 1080, 3) and full.shape == (1080, 1200, 3)
    np.testing.assert_array_equal(cropped, full[:, 60:1140])
    expected = np.clip(np.rint(python_painting(photo[:, 60:1140])), 0, 255)
    diff = np.abs(painted - expected)
    print(f"square painted at 1080 px vs Python on the photo's centre: mean {diff.mean():.2f}, "
          f"99th percentile {np.percentile(diff, 99):.1f}")
    assert diff.mean() < 1.5 and np.percentile(diff, 99) < 10
    assert report["statuses"][1]["text"].startswith("Done: the 1080 × 1080 square"), report["statuses"]
    print([s["text"] for s in report["statuses"]])


@pytest.mark.slow
def test_a_newer_choice_replaces_the_painting_under_way(site, tmp_path, chelsea_small):
    """Choosing another painting while one is being painted (in tiles) stops the first: while the new
    one paints, the old picture is not offered for download, and what lands is exactly what the new
    choice paints on its own. A blend partner that becomes the main painting is dropped."""
    photo = Image.fromarray(np.clip(chelsea_small, 0, 255).astype(np.uint8)).resize((384, 384), Image.LANCZOS)
    photo.save(tmp_path / "square.png")
    download_disabled = "() => [...document.querySelectorAll('.downloads button')].map((b) => b.disabled)"
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl&tile=128", "steps": [
        {"upload": str(tmp_path / "square.png")}, {"await": "done"}, {"save": "starry"},
        {"eval": download_disabled, "as": "painted"},
        {"style": "great-wave"}, {"wait": 400},  # The Great Wave is under way
        {"eval": "() => document.querySelector('[data-testid=status]').textContent", "as": "under_way"},
        {"eval": download_disabled, "as": "while_painting"},
        {"style": "udnie", "now": True}, {"await": "done"}, {"save": "replaced"},
        {"style": "great-wave"}, {"await": "done"}, {"style": "udnie"}, {"await": "done"}, {"save": "alone"},
        {"blend_with": "great-wave"}, {"await": "done"}, {"style": "great-wave"}, {"await": "done"},
        {"eval": "() => [document.querySelector('[data-testid=blend-with]').value, !!document.querySelector('[data-testid=blend]')]",
         "as": "blend_after"},
    ]})
    assert report["painted"] == [False, False]
    assert "Painting" in report["under_way"], report["under_way"]
    assert report["while_painting"] == [True, True]  # the Starry Night painting is not offered as The Great Wave
    replaced, alone, starry = (saved_pixels(out, n) for n in ("replaced", "alone", "starry"))
    np.testing.assert_array_equal(replaced, alone)
    assert np.abs(replaced - starry).mean() > 5
    assert report["blend_after"] == ["", False]
    assert not [line for line in report["console"] if line.startswith("pageerror")], report["console"]


def test_a_sample_that_cannot_be_fetched_says_so(site, tmp_path):
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "block": ["**/samples/**"], "steps": [
        {"click": "button.sample >> nth=0"}, {"await": "error"},
    ]})
    text = report["statuses"][0]["text"]
    assert text.startswith("The sample “") and "could not be loaded (HTTP 404)" in text, text


def test_webgpu_that_fails_its_self_test_gives_way_to_the_next_backend(site, built_site, tmp_path, photo_and_expected):
    """WebGPU comes first where the browser offers an adapter, but only once a network has painted on
    it. Chromium's software WebGPU adapter (--enable-unsafe-webgpu) loses its device running graph
    models here: the page says so, moves to WebGL, and paints what the Python model paints."""
    path, _, expected = photo_and_expected
    ready = ("() => new Promise((resolve) => { const check = () => { const s = document.querySelector('[data-testid=status]');"
             " if (s && s.classList.contains('idle')) resolve(s.textContent); else setTimeout(check, 200); }; check(); })")
    report, out = run_scenario(site, tmp_path, {"flags": ["--enable-unsafe-webgpu"], "steps": [
        {"eval": ready, "as": "ready"}, {"upload": str(path)}, {"style": "great-wave"}, {"await": "done"}, {"save": "out"},
        {"eval": "() => performance.getEntriesByType('resource').map((e) => e.name)", "as": "resources"},
    ]})
    print("ready:", report["ready"], "| done:", report["statuses"][-1]["text"])
    # Here the lost WebGPU device takes Chromium's software WebGL down with it, so the page ends on WASM.
    assert "WebGPU did not work on this device" in report["ready"], report["ready"]
    backend = report["ready"].rsplit("uses ", 1)[1].rstrip(".")
    assert backend in ("webgl", "wasm")
    assert f"on {backend}" in report["statuses"][-1]["text"]
    diff = np.abs(saved_pixels(out, "out") - expected)
    assert diff.mean() < 1.5 and np.percentile(diff, 99) < 10
    # the WebGPU backend is its own chunk, fetched because an adapter was offered
    chunk = next(p.name for p in (built_site / "assets").glob("*.js")
                 if "webgpu" in p.read_text(errors="ignore") and p.name.startswith("dist-"))
    assert any(r.endswith("/" + chunk) for r in report["resources"]), chunk


def test_bad_input_corpus_through_the_page(site, tmp_path, photo_and_expected):
    """Every file of tests/corpus.py uploaded in turn: each bad one gets its message and a good photo
    right after it is still painted; each good one is painted at the expected size."""
    from corpus import make_corpus, record

    good, _, _ = photo_and_expected
    cases = make_corpus(tmp_path / "corpus")
    steps = []
    for case, path in cases:
        steps += [{"upload": str(path)}, {"await": "settled", "timeout": 120_000}]
        if case.page[0] == "error":
            steps += [{"upload": str(good)}, {"await": "done"}]
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": steps})
    statuses = iter(report["statuses"])
    seen = {}
    for case, _ in cases:
        status = next(statuses)
        if case.page[0] == "error":
            assert status["kind"] == "error" and case.page[1] in status["text"], (case.file, status)
            after = next(statuses)
            assert after["kind"] == "done" and "94 × 64" in after["text"], (case.file, after)
            seen[case.file] = {"result": "refused", "message": status["text"]}
        else:
            width, height = case.size
            assert status["kind"] == "done" and f"{width} × {height}" in status["text"], (case.file, status)
            seen[case.file] = {"result": "painted", "message": f"{width} x {height}"}
    record("page", seen)


@pytest.fixture(scope="module")
def own_style(tmp_path_factory):
    """A picture to use as one's own style: scikit-image's coffee, 96 x 64 (multiples of 8)."""
    import skimage.data

    folder = tmp_path_factory.mktemp("own-style")
    im = Image.fromarray(skimage.data.coffee()).resize((96, 64), Image.LANCZOS)
    im.save(folder / "coffee.png")
    return folder / "coffee.png", np.asarray(im, np.float32)


def test_own_style_with_the_arbitrary_style_network(site, tmp_path, photo_and_expected, own_style):
    """Upload a photo and one's own style picture: the page's AdaIN output matches Python's (the
    shipped encoder and decoder are uint8-quantised, Python's are float32), at full strength and at 0."""
    from convert import adain

    path, photo, _ = photo_and_expected
    style_path, style = own_style
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"upload": str(path)}, {"await": "done"}, {"style_file": str(style_path)}, {"await": "done"}, {"save": "full"},
        {"strength": 0}, {"await": "done"}, {"save": "zero"},
    ]})
    dec, _, _ = adain.load_run(ROOT / "checkpoints" / "adain")
    encode = adain.shipped_encoder(ROOT / "models")
    stats = adain.style_statistics(style[None], encode)
    for name, alpha in (("full", 1.0), ("zero", 0.0)):
        got = saved_pixels(out, name)
        expected = adain.stylize(dec, photo.astype(np.float32), stats, alpha=alpha, encode=encode)
        diff = np.abs(got - expected)
        print(f"AdaIN alpha {alpha}: page vs Python, mean abs {diff.mean():.2f}, 99th percentile "
              f"{np.percentile(diff, 99):.0f} (0-255)")
        assert got.shape == expected.shape
        assert diff.mean() < 6 and np.percentile(diff, 99) < 40
    full, zero = saved_pixels(out, "full"), saved_pixels(out, "zero")
    assert np.abs(full - zero).mean() > 5  # the style changes the output
    assert np.abs(zero - photo).mean() < np.abs(full - photo).mean()  # alpha 0 is nearer the photo


COLUMN_PROFILE = """() => {
  const c = document.querySelector('[data-testid=output]');
  const { data, width, height } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  const cols = new Array(width - 1).fill(0), rows = new Array(height - 1).fill(0);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const p = 4 * (y * width + x);
    for (let k = 0; k < 3; k++) {
      if (x + 1 < width) cols[x] += Math.abs(data[p + 4 + k] - data[p + k]) / (3 * height);
      if (y + 1 < height) rows[y] += Math.abs(data[p + 4 * width + k] - data[p + k]) / (3 * width);
    }
  }
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum += data[i] + data[i + 1] + data[i + 2];
  return { width, height, cols, rows, mean: sum / (3 * width * height) };
}"""


def tile_side(length, tile, overlap=64, multiple=4):
    """One side of web/src/engine/tiles.ts's plan: the tiles' starts and their size (the last one ends at the edge)."""
    def spread(t):
        if length <= t:
            return [0]
        step = max(multiple, (t - overlap) // multiple * multiple)
        last = math.ceil((length - t) / multiple) * multiple
        return [*range(0, last, step), last]

    widest = spread(tile)
    n = len(widest)
    for size in range(max(multiple, math.ceil((length + (n - 1) * overlap) / n / multiple) * multiple), tile, multiple):
        if len(spread(size)) <= n:
            return spread(size), size
    return widest, tile


@pytest.mark.slow
def test_a_large_photo_renders_by_tiles_without_seams(site, tmp_path, chelsea_small):
    """3000 x 2000 at full size: 12 overlapping tiles of at most 1024 px (800 x 712, 64 px cross-fades),
    every tile normalised by the whole picture's instance-norm statistics, measured first. The result
    is what Python's network gives in one full-size pass, and the mean jump between neighbouring
    columns (rows) inside the cross-fades is within 2/255 of that pass's own jump there (the
    network paints streaks of its own, which are not seams)."""
    import skimage.data

    big = Image.fromarray(skimage.data.astronaut()).resize((3000, 2000), Image.BICUBIC)
    big.save(tmp_path / "big.png")
    # WebGL's tiles (on WASM the page would paint this in 1536 px tiles)
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl&tile=1024", "steps": [
        {"size": 4096}, {"style": "great-wave"}, {"upload": str(tmp_path / "big.png")},
        {"await": "done", "timeout": 900_000}, {"eval": COLUMN_PROFILE, "as": "profile"}, {"download": "big"},
    ]})
    expected = python_painting(big)
    with Image.open(out / "big.png") as im:
        got = np.asarray(im.convert("RGB"), np.float32)
    diff = np.abs(got - expected)
    print(f"3000 x 2000 in 12 tiles vs Python in one pass: mean {diff.mean():.2f}, 99th percentile "
          f"{np.percentile(diff, 99):.1f}, max {diff.max():.0f}")
    assert diff.mean() < 1.5 and np.percentile(diff, 99) < 10
    assert "3000 × 2000" in report["statuses"][-1]["text"]
    profile = report["profile"]
    for axis, length in (("cols", 3000), ("rows", 2000)):
        jumps = np.array(profile[axis])
        # the same profile of Python's one full-size pass: what the network itself paints there
        along, across = (1, (0, 2)) if axis == "cols" else (0, (1, 2))
        own = np.abs(np.diff(expected, axis=along)).mean(axis=across)
        # fades run over [start, start + 64) of each later tile and [end - 64, end) of each earlier one
        starts, size = tile_side(length, 1024)
        assert len(starts) == {"cols": 4, "rows": 3}[axis] and size < 1024
        band = np.zeros(len(jumps), bool)
        for s in starts[1:]:
            band[max(0, s - 2): s + 66] = True
        for s in starts[:-1]:
            band[max(0, s + size - 66): s + size + 1] = True
        inside, outside = jumps[band], jumps[~band]
        excess = (jumps - own)[band]
        print(f"{axis}: mean jump in cross-fades {inside.mean():.2f}, elsewhere {outside.mean():.2f}, "
              f"worst in cross-fades {inside.max():.2f}, 99th percentile elsewhere {np.percentile(outside, 99):.2f}; "
              f"worst excess over one full-size pass in cross-fades {excess.max():.2f}")
        # a seam is a jump the full-size painting does not have: the network's own streaks are not
        assert excess.max() < 2.0


def test_works_offline_after_one_visit(site, tmp_path, photo_and_expected):
    """The service worker (Workbox) keeps the app shell and, once used, the model: offline, a reload
    still shows the gallery and stylises a new photo."""
    path, _, expected = photo_and_expected
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"waitsw": True}, {"upload": str(path)}, {"style": "great-wave"}, {"await": "done"},
        {"offline": True}, {"reload": True}, {"upload": str(path)}, {"style": "great-wave"}, {"await": "done"},
        {"save": "offline"},
    ]})
    assert report["statuses"][-1]["text"].startswith("Done")
    got = saved_pixels(out, "offline")
    assert np.abs(got - expected).mean() < 1.5


def test_blending_two_paintings_lands_between_them(site, tmp_path, photo_and_expected):
    """A 50/50 blend of two styles' normalisation parameters (Dumoulin et al. 2017) gives an output
    nearer to each painting's own than the two are to each other."""
    path, _, _ = photo_and_expected
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"upload": str(path)}, {"style": "great-wave"}, {"await": "done"}, {"save": "a"},
        {"style": "udnie"}, {"await": "done"}, {"save": "b"},
        {"style": "great-wave"}, {"await": "done"}, {"blend_with": "udnie"}, {"await": "done"}, {"save": "mix"},
    ]})
    a, b, mix = (saved_pixels(out, n) for n in ("a", "b", "mix"))
    ab = np.abs(a - b).mean()
    print(f"blend: |a-b| {ab:.1f}, |mix-a| {np.abs(mix - a).mean():.1f}, |mix-b| {np.abs(mix - b).mean():.1f}")
    assert np.abs(mix - a).mean() < ab and np.abs(mix - b).mean() < ab
    assert np.abs(mix - a).mean() > 0.1 * ab and np.abs(mix - b).mean() > 0.1 * ab


def test_exif_rotated_photo_is_upright(site, tmp_path, chelsea_small):
    """A JPEG stored landscape with EXIF orientation 6 (rotate 90 degrees) is processed portrait."""
    im = Image.fromarray(np.clip(chelsea_small[:64, :96], 0, 255).astype(np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6
    im.save(tmp_path / "rotated.jpg", quality=95, exif=exif)
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"upload": str(tmp_path / "rotated.jpg")}, {"await": "done"}]})
    assert "64 × 96" in report["statuses"][-1]["text"], report["statuses"]


def test_a_damaged_model_file_is_refused_and_other_styles_still_work(site, tmp_path, photo_and_expected,
                                                                      own_style):
    path, _, _ = photo_and_expected
    style_path, _ = own_style
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "corrupt": ["**/models/gallery/*.bin*"], "steps": [
        {"upload": str(path)}, {"await": "error"}, {"style_file": str(style_path)}, {"await": "done"}]})
    error, done = report["statuses"][0]["text"], report["statuses"][-1]["text"]
    assert "damaged" in error and "checksum" in error, error
    assert done.startswith("Done"), done


def test_keyboard_alone_picks_a_sample_and_a_painting(site, tmp_path):
    """From the photo picker, Tab reaches the first sample (Enter loads it); Space chooses a painting,
    the arrow keys move through the paintings as one radio group, and Tab enters it at the chosen one."""
    focused = "() => [document.activeElement.dataset.style, document.activeElement.getAttribute('aria-checked')]"
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"focus": "[data-testid=file]"}, {"press": "Tab"}, {"press": "Enter"}, {"await": "done"},
        {"focus": "[data-style=udnie]"}, {"press": "Space"}, {"await": "done"},
        {"eval": "() => document.activeElement.getAttribute('aria-checked')", "as": "checked"},
        {"press": "ArrowRight"}, {"await": "done"}, {"eval": focused, "as": "right"},
        {"press": "ArrowLeft"}, {"press": "ArrowLeft"}, {"await": "done"}, {"eval": focused, "as": "left"},
        {"eval": "() => [...document.querySelectorAll('[role=radio]')].filter((r) => r.tabIndex === 0).map((r) => r.dataset.style)",
         "as": "tab_stops"},
    ]})
    assert report["statuses"][0]["text"].startswith("Done: 451 × 300")  # chelsea, the first sample
    assert report["checked"] == "true"
    assert report["right"] == ["edtaonisl", "true"] and report["left"] == ["minotaur", "true"]
    assert report["tab_stops"] == ["minotaur"]
    assert report["finalStatus"].startswith("Done")


# Before the page's own scripts: on the next GPU read (a fence, as tfjs makes before every download),
# the WebGL context is lost through WEBGL_lose_context, as when a driver resets mid-run.
LOSE_CONTEXT_ON_READ = """(() => {
  for (const C of [self.WebGL2RenderingContext, self.WebGLRenderingContext].filter(Boolean)) {
    for (const name of ['fenceSync', 'readPixels']) {
      const original = C.prototype[name];
      if (!original) continue;
      C.prototype[name] = function (...args) {
        if (self.__loseContextAtNextRead) {
          self.__loseContextAtNextRead = false;
          self.__contextsLost = (self.__contextsLost || 0) + 1;
          this.getExtension('WEBGL_lose_context').loseContext();
        }
        return original.apply(this, args);
      };
    }
  }
})()"""


def test_webgl_context_loss_mid_run_is_recovered(site, tmp_path, photo_and_expected):
    """The context is lost in the middle of a painting, twice: each time the page rebuilds the WebGL
    backend, rebuilds the model from the bytes it has, paints again, says so, and its output still
    matches the Python model."""
    path, _, expected = photo_and_expected
    arm = {"eval": "() => { self.__loseContextAtNextRead = true; return true; }", "as": "armed"}
    report, out = run_scenario(site, tmp_path, {"query": "?backend=webgl", "init": [LOSE_CONTEXT_ON_READ], "steps": [
        {"upload": str(path)}, {"await": "done"},
        arm, {"style": "great-wave"}, {"await": "done"}, {"save": "after"},
        arm, {"style": "udnie"}, {"await": "done"},
        {"eval": "() => self.__contextsLost", "as": "lost"},
    ]})
    first, second, third = (s["text"] for s in report["statuses"])
    assert "recovered" not in first
    for text in (second, third):
        assert "WebGL context lost" in text and "recovered on webgl" in text, text
    assert report["lost"] == 2
    got = saved_pixels(out, "after")
    diff = np.abs(got - expected)
    print(f"after a context loss: page vs Python, mean abs {diff.mean():.2f}, max {diff.max():.0f}")
    assert diff.mean() < 1.5 and np.percentile(diff, 99) < 10


# Before the page's own scripts: the GPU reports a 2048 px texture limit, as small or old GPUs do.
SMALL_GPU = """(() => {
  for (const C of [self.WebGL2RenderingContext, self.WebGLRenderingContext].filter(Boolean)) {
    const original = C.prototype.getParameter;
    C.prototype.getParameter = function (p) {
      const value = original.call(this, p);
      return p === this.MAX_TEXTURE_SIZE ? Math.min(value, 2048) : value;
    };
  }
})()"""


@pytest.mark.slow
def test_too_big_for_the_gpu_falls_back_to_smaller_tiles(site, tmp_path, chelsea_small):
    """With a 2048 px texture limit a 256 x 256 pass does not fit (its 3x3 convolution unrolls to a
    2172 x 2173 texture): the page paints it again in 128 px tiles, says so, and the result equals the
    same tiling forced on WASM."""
    photo = Image.fromarray(np.clip(chelsea_small, 0, 255).astype(np.uint8)).resize((256, 256), Image.LANCZOS)
    photo.save(tmp_path / "square.png")
    steps = [{"upload": str(tmp_path / "square.png")}, {"await": "done", "timeout": 300_000}, {"save": "out"}]
    small, out_small = run_scenario(site, tmp_path, {"query": "?backend=webgl", "init": [SMALL_GPU], "steps": steps},
                                    name="small-gpu")
    text = small["statuses"][0]["text"]
    assert "tiles of 128 px" in text and "on webgl" in text, text
    forced, out_forced = run_scenario(site, tmp_path, {"query": "?nowebgl&tile=128", "steps": steps}, name="forced")
    diff = np.abs(saved_pixels(out_small, "out") - saved_pixels(out_forced, "out"))
    print(f"fallback tiles on webgl vs the same tiles on wasm: mean abs {diff.mean():.2f}, max {diff.max():.0f}")
    assert diff.mean() < 1 and np.percentile(diff, 99) < 4


@pytest.mark.slow
def test_soak_100_paintings_leave_memory_flat(site, tmp_path, chelsea_small, own_style):
    """100 paintings of mixed sizes (one tiled, its statistics measured over the whole picture) and
    styles (all twelve, and one's own through AdaIN): the live tensors and their bytes after the last
    equal those after the first 20, to the tensor and the byte, so a leak of one tensor in any
    of the other 80 fails it."""
    style_path, _ = own_style
    photos = []
    for width, height in ((94, 64), (150, 100), (240, 160), (400, 200)):  # 400 x 200 in two tiles of at most 256
        path = tmp_path / f"p{width}.png"
        Image.fromarray(np.clip(chelsea_small, 0, 255).astype(np.uint8)).resize((width, height)).save(path)
        photos.append(str(path))
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())
    styles = [s["id"] for s in manifest["styles"]]
    memory = {"eval": "() => { const d = document.querySelector('[data-testid=memory]').dataset;"
                      " return [Number(d.tensors), Number(d.bytes)]; }"}
    steps = [{"size": 1024}, {"upload": photos[0]}, {"await": "done"}, {"style_file": str(style_path)},
             {"await": "done"}]
    count, current = 2, styles[0]
    while count < 100:
        if count % 13 == 0:
            steps.append({"upload": photos[(count // 13) % len(photos)]})
        elif count % 29 == 0:
            steps.append({"style_file": str(style_path)})
            current = None
        else:
            current = styles[(styles.index(current) + 1) % len(styles)] if current else styles[0]
            steps.append({"style": current})
        steps.append({"await": "done"})
        count += 1
        if count == 20:
            steps.append({**memory, "as": "warm"})
    steps.append({**memory, "as": "end"})
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl&tile=256", "steps": steps})
    done = [s for s in report["statuses"] if s["kind"] == "done"]
    assert len(done) == 100
    sizes = {s["text"].split(" in ")[0] for s in done}
    assert {"Done: 94 × 64", "Done: 400 × 200"} <= sizes, sizes
    print(f"soak: {len(done)} paintings; tensors/bytes after 20: {report['warm']}, after 100: {report['end']}")
    assert report["end"] == report["warm"]


# ---------------------------------------------------------------------------------------------
# Live camera (Chromium's fake camera playing a y4m file made here) and video files (PyAV).

LIVE_FRAME = """() => {
  const c = document.querySelector('[data-testid=live-output]');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  const v = document.querySelector('.live video');
  const raw = document.createElement('canvas');
  raw.width = c.width; raw.height = c.height;
  const r = raw.getContext('2d');
  r.drawImage(v, 0, 0, c.width, c.height);
  const s = document.querySelector('[data-testid=live-stats]').dataset;
  return { width: c.width, height: c.height, data: Array.from(d.data), raw: Array.from(r.getImageData(0, 0, c.width, c.height).data),
           frames: Number(s.frames), tensors: Number(s.tensors), bytes: Number(s.bytes), fps: Number(s.fps),
           latency: Number(s.latency), side: Number(s.side) };
}"""


def _rgb(frame, key="data"):
    return np.array(frame[key], np.float32).reshape(frame["height"], frame["width"], 4)[..., :3]


def _distance(f, g):
    """Mean abs difference of two live frames, at the smaller one's size (the loop adapts its size)."""
    size = (min(f["width"], g["width"]), min(f["height"], g["height"]))
    a, b = (np.asarray(Image.fromarray(_rgb(x).astype(np.uint8)).resize(size, Image.BILINEAR), np.float32) for x in (f, g))
    return float(np.abs(a - b).mean())


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory):
    from media import moving_frames, write_y4m

    return write_y4m(tmp_path_factory.mktemp("camera") / "camera.y4m", moving_frames(40), fps=10)


@pytest.mark.slow
def test_live_camera_is_painted_continuously_switches_style_and_leaks_nothing(site, tmp_path, camera_file, own_style):
    """Live mode on the fake camera (WASM): frames keep coming and change as the picture moves, they
    are painted (far from the raw frame), switches to another painting and to one's own picture (AdaIN)
    apply without stopping, a snapshot saves the frame, and 300 more frames leave the live tensors and
    their bytes where they were."""
    snap = {"eval": LIVE_FRAME, "push": "frames"}
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl", "camera": str(camera_file), "steps": [
        {"mode": "live"}, {"await": "done", "timeout": 60_000}, {"frames": 20}, snap, {"wait": 700}, snap,
        # Metzinger's palette lies far from every other painting's (mean colour 100 or more away on
        # the test clip, where one style's frames differ by up to 26): the switch shows in the colours.
        {"style": "metzinger"}, {"wait": 1500}, snap, {"wait": 700}, snap,
        {"style_file": str(own_style[0])}, {"await": "done"}, {"wait": 1500}, snap,
        {"download_link": "text=Snapshot (PNG)", "as": "snapshot.png"},
        {"more_frames": 20}, snap, {"more_frames": 300, "timeout": 400_000}, snap,
    ]})
    assert report["statuses"][0]["text"].startswith("Live: painting the camera")
    assert report["statuses"][1]["text"] == "Style: your picture “coffee.png”."
    a, b, c, d, e, warm, last = report["frames"]
    assert a["frames"] < b["frames"] < c["frames"] < d["frames"] < e["frames"]
    moved = _distance(a, b)
    # A style is a palette: the mean colour moves more across the switch than between two frames of one style.
    palette = lambda f: _rgb(f).reshape(-1, 3).mean(0)  # noqa: E731
    switched, same_style, own = (float(np.abs(palette(f) - palette(g)).sum()) for f, g in ((b, c), (c, d), (d, e)))
    painted = [np.abs(_rgb(f) - _rgb(f, "raw")).mean() for f in (a, b, c, d)]
    print(f"live: {last['frames']} frames, {last['fps']} fps, {last['latency']} ms a frame at {last['side']} px; "
          f"frame-to-frame {moved:.1f}; palette change across the switch {switched:.1f}, to one's own {own:.1f}, "
          f"within one style {same_style:.1f}; "
          f"painted vs raw {np.round(painted, 1)}; tensors/bytes at frame {warm['frames']} "
          f"{warm['tensors']}/{warm['bytes']}, at frame {last['frames']} {last['tensors']}/{last['bytes']}")
    assert min(painted) > 15  # painted, not the camera's picture
    assert moved > 1  # the output follows the moving picture
    assert switched > 3 * same_style and switched > 10
    assert own > 3 * same_style and own > 10
    assert last["frames"] - warm["frames"] >= 300
    assert (last["tensors"], last["bytes"]) == (warm["tensors"], warm["bytes"])  # all three models loaded by then
    with Image.open(out / "snapshot.png") as im:
        assert im.size[0] > 0 and np.asarray(im.convert("RGB")).std() > 5


def test_a_refused_camera_says_so_and_the_page_carries_on(site, tmp_path, camera_file, photo_and_expected):
    path, _, _ = photo_and_expected
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "camera": str(camera_file), "refuseCamera": True,
                                              "steps": [{"mode": "live"}, {"await": "error", "timeout": 60_000},
                                                        {"mode": "photo"}, {"upload": str(path)}, {"await": "done"}]})
    assert "camera was refused" in report["statuses"][0]["text"], report["statuses"]
    assert report["statuses"][1]["text"].startswith("Done")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A 2 s clip (24 frames, 160 x 120, VP8 and an Opus tone) made with PyAV, and its frames."""
    from media import moving_frames, write_webm

    frames = moving_frames(24, 160, 120)
    return write_webm(tmp_path_factory.mktemp("clip") / "clip.webm", frames), frames


def paint_video(name):
    """Steps that paint the chosen clip in video mode and save the WebM as NAME."""
    return [{"click": "[data-testid=video-paint]"}, {"await": "done", "timeout": 300_000},
            {"download_link": "[data-testid=video-download]", "as": name}]


@pytest.mark.slow
def test_a_video_file_round_trips_to_a_playable_webm(site, tmp_path, clip):
    """The page paints every frame of the clip and saves a WebM that PyAV decodes to 24 painted
    frames of 160 x 120, with the sound."""
    from media import read_webm

    path, frames = clip
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"mode": "video"}, {"style": "great-wave"}, {"video_file": str(path)}, {"video_size": 240},
        *paint_video("painted.webm"),
    ]})
    text = report["statuses"][-1]["text"]
    assert text.startswith("Done: 24 frames at 160 × 120, with its sound"), text
    assert report["downloads"]["painted.webm"]["suggested"] == "clip-the-great-wave-off-kanagawa.webm"
    decoded = read_webm(out / "painted.webm")
    assert decoded["frames"].shape == (24, 120, 160, 3)
    assert decoded["codec"] == "vp8" and decoded["audio"] and abs(decoded["audio_seconds"] - 2.0) < 0.1
    diff = np.abs(decoded["frames"].astype(np.float32) - frames).mean()
    steps = np.abs(np.diff(decoded["frames"].astype(np.float32), axis=0)).mean()
    print(f"video: 24 frames, mean distance from the input {diff:.1f}, mean change between frames {steps:.1f}")
    assert diff > 15 and steps > 1


# ---------------------------------------------------------------------------------------------
# Arbitrary style (AdaIN): mixing with a gallery painting's shipped statistics, regions, bad files.


def test_own_picture_mixed_with_a_painting_lands_between_them(site, tmp_path, photo_and_expected, own_style):
    """One's own picture blended 50/50 with The Great Wave (its AdaIN statistics shipped in the
    manifest, no painting file) gives an output nearer each end than the two ends are to each other;
    the 100% end is the painting's statistics alone, matching Python's AdaIN with them."""
    from convert import adain

    path, photo, _ = photo_and_expected
    style_path, _ = own_style
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"upload": str(path)}, {"await": "done"}, {"style_file": str(style_path)}, {"await": "done"}, {"save": "own"},
        {"blend_with": "great-wave"}, {"await": "done"}, {"blend": 1}, {"await": "done"}, {"save": "wave"},
        {"blend": 0.5}, {"await": "done"}, {"save": "mix"},
    ]})
    own, wave, mix = (saved_pixels(out, n) for n in ("own", "wave", "mix"))
    ends = np.abs(own - wave).mean()
    print(f"AdaIN mix: |own-wave| {ends:.1f}, |mix-own| {np.abs(mix - own).mean():.1f}, |mix-wave| {np.abs(mix - wave).mean():.1f}")
    assert ends > 5
    assert np.abs(mix - own).mean() < ends and np.abs(mix - wave).mean() < ends
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())
    entry = next(s for s in manifest["styles"] if s["id"] == "great-wave")["adain_statistics"]
    values = np.frombuffer((ROOT / "models" / entry["path"]).read_bytes(), "<f4")
    stats = {"relu4_1": (values[:512], values[512:])}
    dec, _, _ = adain.load_run(ROOT / "checkpoints" / "adain")
    expected = adain.stylize(dec, photo.astype(np.float32), stats, encode=adain.shipped_encoder(ROOT / "models"))
    diff = np.abs(wave - expected)
    print(f"The Great Wave by its shipped statistics: page vs Python, mean {diff.mean():.2f}")
    assert diff.mean() < 6


def test_a_painted_region_confines_the_second_style(site, tmp_path, chelsea_small):
    """The Great Wave everywhere, Udnie in a stroke painted across the left of the picture: inside
    the stroke the output is Udnie's, far from it The Great Wave's. Then by keyboard: Udnie in the
    right half, and swapped, in the left."""
    photo = Image.fromarray(np.clip(chelsea_small, 0, 255).astype(np.uint8)).resize((160, 100), Image.LANCZOS)
    photo.save(tmp_path / "cat.png")
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"upload": str(tmp_path / "cat.png")}, {"style": "udnie"}, {"await": "done"}, {"save": "b"},
        {"square": "square_b"}, {"await": "done"},
        {"style": "great-wave"}, {"await": "done"}, {"save": "a"}, {"square": "square_a"}, {"await": "done"},
        {"blend_with": "udnie"}, {"await": "done"}, {"where": "region"}, {"await": "done"},
        {"drag": [[0.05, 0.5], [0.35, 0.5]]}, {"await": "done"}, {"save": "region"},
        {"eval": "() => document.querySelector('[data-testid=status]').textContent", "as": "status"},
        # by keyboard: a preset half, then the two regions swapped
        {"focus": "[data-region=right]"}, {"press": "Enter"}, {"await": "done"}, {"save": "right"},
        {"focus": "[data-region=swap]"}, {"press": "Space"}, {"await": "done"}, {"save": "swapped"},
        {"square": "square_swapped"}, {"await": "done"},
    ]})
    a, b, region, right, swapped = (saved_pixels(out, n) for n in ("a", "b", "region", "right", "swapped"))
    # the stroke: y = 50 +- 6 px (brush radius 6% of 100), x from 8 to 56; well inside it, and far from it
    inside = (slice(47, 54), slice(14, 50))
    outside = (slice(None), slice(100, None))
    print(f"region: inside the stroke |out-udnie| {np.abs(region[inside] - b[inside]).mean():.2f} "
          f"(|great wave-udnie| there {np.abs(a[inside] - b[inside]).mean():.1f}); far from it "
          f"|out-great wave| {np.abs(region[outside] - a[outside]).mean():.2f}")
    assert np.abs(a[inside] - b[inside]).mean() > 10
    assert np.abs(region[inside] - b[inside]).mean() < 2
    assert np.abs(region[outside] - a[outside]).mean() < 1
    assert report["status"].startswith("Done")
    # the right half (x >= 80, a seam of 6 px across the middle) replaces the stroke, then swaps sides
    lhs, rhs = (slice(None), slice(0, 74)), (slice(None), slice(86, None))
    print(f"right half: |out-great wave| left {np.abs(right[lhs] - a[lhs]).mean():.2f}, |out-udnie| right "
          f"{np.abs(right[rhs] - b[rhs]).mean():.2f}; swapped: |out-udnie| left {np.abs(swapped[lhs] - b[lhs]).mean():.2f}, "
          f"|out-great wave| right {np.abs(swapped[rhs] - a[rhs]).mean():.2f}")
    assert np.abs(a[rhs] - b[rhs]).mean() > 10 and np.abs(a[lhs] - b[lhs]).mean() > 10
    assert np.abs(right[lhs] - a[lhs]).mean() < 1 and np.abs(right[rhs] - b[rhs]).mean() < 1
    assert np.abs(swapped[lhs] - b[lhs]).mean() < 1 and np.abs(swapped[rhs] - a[rhs]).mean() < 1
    # The 1080 square (the centre 100 x 100, painted at 1080 px) keeps the region: the seam at x = 80
    # falls at its middle, Udnie's square on the left of it and The Great Wave's on the right.
    sq_a, sq_b, sq = (np.asarray(Image.open(out / f"{n}.png").convert("RGB"), np.float32)
                      for n in ("square_a", "square_b", "square_swapped"))
    left, right = (slice(None), slice(0, 480)), (slice(None), slice(600, None))
    print(f"square with the region: |out-udnie| left {np.abs(sq[left] - sq_b[left]).mean():.2f}, "
          f"|out-great wave| right {np.abs(sq[right] - sq_a[right]).mean():.2f} "
          f"(the two squares differ by {np.abs(sq_a - sq_b).mean():.1f})")
    assert np.abs(sq_a - sq_b).mean() > 10
    assert np.abs(sq[left] - sq_b[left]).mean() < 1 and np.abs(sq[right] - sq_a[right]).mean() < 1


@pytest.mark.slow
def test_a_preset_region_is_kept_when_the_picture_size_changes(site, tmp_path, chelsea_small):
    """The right half chosen at 512 px is made again at 600 px when the size changes (a painted region
    would be forgotten): at 600 x 375 the left is The Great Wave's and the right Udnie's."""
    photo = Image.fromarray(np.clip(chelsea_small, 0, 255).astype(np.uint8)).resize((600, 375), Image.LANCZOS)
    photo.save(tmp_path / "cat.png")
    pressed = "() => document.querySelector('[data-region=right]').getAttribute('aria-pressed')"
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"size": 1024}, {"upload": str(tmp_path / "cat.png")}, {"style": "udnie"}, {"await": "done"}, {"save": "b"},
        {"style": "great-wave"}, {"await": "done"}, {"save": "a"},
        {"blend_with": "udnie"}, {"await": "done"}, {"where": "region"}, {"await": "done"},
        {"size": 512}, {"await": "done"}, {"click": "[data-region=right]"}, {"await": "done"},
        {"eval": pressed, "as": "pressed"},
        {"size": 1024}, {"await": "done"}, {"save": "large"},
    ]})
    a, b, large = (saved_pixels(out, n) for n in ("a", "b", "large"))
    assert large.shape == a.shape == (375, 600, 3)
    lhs, rhs = (slice(None), slice(0, 280)), (slice(None), slice(320, None))  # the seam: 24 px across x = 300
    print(f"preset kept at 600 px: |out-great wave| left {np.abs(large[lhs] - a[lhs]).mean():.2f}, "
          f"|out-udnie| right {np.abs(large[rhs] - b[rhs]).mean():.2f}")
    assert report["pressed"] == "true"
    assert np.abs(a[rhs] - b[rhs]).mean() > 10
    assert np.abs(large[lhs] - a[lhs]).mean() < 1 and np.abs(large[rhs] - b[rhs]).mean() < 1


def test_bad_style_files_get_messages(site, tmp_path, photo_and_expected, own_style):
    from corpus import make_corpus

    path, _, _ = photo_and_expected
    style_path, _ = own_style
    cases = {case.file: p for case, p in make_corpus(tmp_path / "corpus")}
    steps = [{"upload": str(path)}, {"await": "done"}]
    for name in ("empty.jpg", "notes.jpg", "phone.heic", "cut.jpg"):
        steps += [{"style_file": str(cases[name])}, {"await": "error"}]
    steps += [{"style_file": str(style_path)}, {"await": "done"}]
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": steps})
    texts = [s["text"] for s in report["statuses"]]
    for text, word in zip(texts[1:5], ("empty", "not an image", "HEIC", "damaged or incomplete")):
        assert word in text, texts
    assert texts[5].startswith("Done")


def test_live_pauses_when_hidden_and_releases_the_camera_when_left(site, tmp_path, camera_file):
    """A hidden tab paints nothing (the loop pauses) and resumes when visible; leaving live mode stops
    the camera."""
    count = "() => Number(document.querySelector('[data-testid=live-stats]').dataset.frames)"
    hide = """() => { Object.defineProperty(document, 'hidden', { value: true, configurable: true });
                 document.dispatchEvent(new Event('visibilitychange')); return true; }"""
    show = """() => { Object.defineProperty(document, 'hidden', { value: false, configurable: true });
                 document.dispatchEvent(new Event('visibilitychange')); return true; }"""
    tracks = """() => { window.__tracks = document.querySelector('.live video').srcObject.getTracks(); return window.__tracks.length; }"""
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "camera": str(camera_file), "steps": [
        {"mode": "live"}, {"await": "done", "timeout": 60_000}, {"frames": 5},
        {"eval": tracks, "as": "tracks"}, {"eval": hide, "as": "_"}, {"wait": 500},
        {"eval": count, "push": "hidden"}, {"wait": 1500}, {"eval": count, "push": "hidden"},
        {"eval": show, "as": "_"}, {"more_frames": 5},
        {"mode": "photo"}, {"wait": 500},
        {"eval": "() => window.__tracks.map((t) => t.readyState)", "as": "after"},
    ]})
    before, later = report["hidden"]
    assert later - before <= 1, report["hidden"]  # at most the frame that was in flight
    assert report["tracks"] == 1 and report["after"] == ["ended"]


@pytest.mark.slow
def test_painting_a_video_can_be_cancelled(site, tmp_path):
    from media import moving_frames, write_webm

    long_clip = write_webm(tmp_path / "long.webm", moving_frames(240, 160, 120), fps=24)
    settings = ("() => [...['video-size', 'video-steady', 'video-file'].map((id) => document.querySelector(`[data-testid=${id}]`).disabled),"
                " !!document.querySelector('[data-testid=size]')]")
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"mode": "video"}, {"video_file": str(long_clip)}, {"click": "[data-testid=video-paint]"}, {"wait": 1500},
        {"eval": settings, "as": "settings_while_painting"},
        {"click": "[data-testid=video-cancel]"}, {"await": "error", "timeout": 120_000},
        {"eval": "() => !!document.querySelector('[data-testid=video-result]')", "as": "result"},
        {"eval": "() => document.querySelector('[data-testid=video-paint]').disabled", "as": "disabled"},
        {"eval": settings, "as": "settings_after"},
    ]})
    assert report["statuses"][0]["text"] == "“long.webm” was cancelled.", report["statuses"]
    assert report["result"] is False and report["disabled"] is False
    # what a painting under way would ignore cannot be changed meanwhile; the photo's Size is not shown here
    assert report["settings_while_painting"] == [True, True, True, False]
    assert report["settings_after"] == [False, False, False, False]


@pytest.mark.slow
def test_flicker_reduction_steadies_still_parts_of_a_video(site, tmp_path, clip):
    """The same clip painted with "Reduce flicker" on and off: on pixels that do not move in the clip,
    the frame-to-frame change of the painting (flicker) falls; where the clip moves, the output
    follows it (the steady version's moving square is still where the square is)."""
    from media import read_webm

    path, frames = clip
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl", "steps": [
        {"mode": "video"}, {"style": "starry-night"}, {"video_file": str(path)}, {"video_size": 240},
        *paint_video("steady.webm"), {"click": "[data-testid=video-steady]"}, *paint_video("raw.webm"),
    ]})
    still = np.abs(np.diff(frames.astype(np.float32), axis=0)).max(-1) == 0  # (23, h, w): pixels that do not move
    moving = ~still
    flicker, follow = {}, {}
    for name in ("steady", "raw"):
        painted = read_webm(out / f"{name}.webm")["frames"].astype(np.float32)
        change = np.abs(np.diff(painted, axis=0)).mean(-1)
        flicker[name] = float(change[still].mean())
        follow[name] = float(change[moving].mean())
    print(f"flicker on still pixels: {flicker['raw']:.2f} without, {flicker['steady']:.2f} with reduction; "
          f"change on moving pixels {follow['raw']:.1f} / {follow['steady']:.1f}")
    assert flicker["steady"] < 0.7 * flicker["raw"]
    assert follow["steady"] > 0.7 * follow["raw"]


@pytest.mark.slow
def test_live_painting_survives_a_webgl_context_loss(site, tmp_path, camera_file):
    """Live on WebGL, the context is lost at a frame's read: the page rebuilds the backend and the
    model, says so, and frames keep coming, painted."""
    arm = {"eval": "() => { self.__loseContextAtNextRead = true; return true; }", "as": "armed", "action": True}
    report, _ = run_scenario(site, tmp_path, {"query": "?backend=webgl", "camera": str(camera_file),
                                              "init": [LOSE_CONTEXT_ON_READ], "steps": [
        {"mode": "live"}, {"await": "done", "timeout": 60_000}, {"frames": 2, "timeout": 120_000}, arm,
        {"await": "done", "timeout": 120_000}, {"more_frames": 3, "timeout": 120_000},
        {"eval": "() => self.__contextsLost", "as": "lost"}, {"eval": LIVE_FRAME, "as": "frame"},
    ]})
    assert report["lost"] == 1
    assert "live painting recovered on webgl" in report["statuses"][1]["text"], report["statuses"]
    frame = report["frame"]
    assert np.abs(_rgb(frame) - _rgb(frame, "raw")).mean() > 15  # painted again, not the camera's picture


@pytest.mark.slow
def test_own_style_on_a_large_photo_paints_in_tiles(site, tmp_path, own_style):
    """One's own style at 1024 px: the arbitrary-style network runs in 512 px tiles (its encoder's
    full-resolution convolutions would not fit one pass on many GPUs), every tile's content features normalised by
    the whole picture's (an encoder pass over the tiles first), and finishes at full size with what
    Python's single pass gives."""
    import skimage.data

    from convert import adain

    style_path, style = own_style
    photo = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((1000, 700), Image.LANCZOS))
    Image.fromarray(photo).save(tmp_path / "big.png")
    # the tiles of WebGL (on WASM the page paints up to 1024 px in one pass)
    report, out = run_scenario(site, tmp_path, {"query": "?nowebgl&tile=512", "steps": [
        {"size": 1024}, {"upload": str(tmp_path / "big.png")}, {"await": "done", "timeout": 600_000},
        {"style_file": str(style_path)}, {"await": "done", "timeout": 600_000}, {"save": "big"},
    ]})
    assert report["statuses"][-1]["text"].startswith("Done: 1000 × 700"), report["statuses"]
    dec, _, _ = adain.load_run(ROOT / "checkpoints" / "adain")
    encode = adain.shipped_encoder(ROOT / "models")
    expected = adain.stylize(dec, photo.astype(np.float32), adain.style_statistics(style[None], encode), encode=encode)
    got = saved_pixels(out, "big")
    diff = np.abs(got - expected)
    print(f"AdaIN in 512 px tiles vs Python in one pass: mean {diff.mean():.2f}, 99th percentile "
          f"{np.percentile(diff, 99):.1f}; from the photo {np.abs(got - photo).mean():.1f}")
    assert np.abs(got - photo).mean() > 20
    # within the bounds that a single pass of the page keeps to Python (quantised weights;
    # test_own_style_with_the_arbitrary_style_network): 5.9 and 38 measured here, where a single pass
    # of the shipped decoder is 3.5 and 17 from Python and the engine's tiles 1.3 from its one pass
    # (adain.test.ts); the decoder shipped before 2026-12-07 gave 4.3 here and 2.3 in one pass
    assert diff.mean() < 6 and np.percentile(diff, 99) < 40


def serious(violations):
    """axe-core's violations of serious or critical impact (each printed, whatever its impact)."""
    for v in violations:
        print(f"axe {v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}")
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_phone_and_desktop_layouts_touch_the_divider_and_accessibility(site, tmp_path, photo_and_expected):
    """390 x 844 with touch: no sideways scrolling of the page, the result above the paintings (which
    scroll sideways in their own strip), each card showing its painting, 44 px targets, a painting
    chosen by a tap, the before/after divider moved by dragging on the picture. 1280 x 900: the
    painting takes most of the width beside the paintings, and the downloads are offered without
    Share (desktop Chromium has no Web Share for files). Both: no serious or critical axe-core violation.
    On the phone the settings fold under a button."""
    path, _, _ = photo_and_expected
    layout = """() => {
      const top = (s) => document.querySelector(s).getBoundingClientRect().top;
      const strip = document.querySelector('.gallery');
      return { overflow: document.documentElement.scrollWidth - window.innerWidth,
               resultAbovePaintings: top('[data-testid=result]') < top('.gallery'),
               stripScrolls: strip.scrollWidth > strip.clientWidth,
               paintings: [...document.querySelectorAll('.style img.painting')].length,
               smallestTarget: Math.min(...[...document.querySelectorAll('main button, main select')]
                 .filter((e) => e.offsetParent).map((e) => e.getBoundingClientRect().height)) };
    }"""
    split = "() => document.querySelector('[data-testid=compare]').style.getPropertyValue('--split')"
    chosen = "() => document.querySelector('.gallery [aria-checked=true]').dataset.style"
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "viewport": {"width": 390, "height": 844},
                                              "touch": True, "steps": [
        {"upload": str(path)}, {"await": "done"}, {"eval": layout, "as": "layout"},
        {"tap": "[data-style=udnie]"}, {"await": "done"}, {"eval": chosen, "as": "chosen"},
        {"eval": split, "as": "before"}, {"drag": [[0.5, 0.5], [0.2, 0.5]], "on": "compare"},
        {"eval": split, "as": "after"}, {"axe": "axe"},
        {"eval": "() => document.querySelector('[aria-label=Settings]').offsetParent !== null", "as": "settingsShown"},
        {"tap": ".settings-toggle"},
        {"eval": "() => document.querySelector('[aria-label=Settings]').offsetParent !== null", "as": "settingsOpened"},
    ]})
    layout = report["layout"]
    assert layout["overflow"] <= 0, layout
    assert layout["resultAbovePaintings"] and layout["stripScrolls"], layout
    assert layout["paintings"] == 12 and layout["smallestTarget"] >= 44, layout
    assert report["chosen"] == "udnie"
    assert report["before"] == "50%" and 15 <= int(report["after"].rstrip("%")) <= 25, (report["before"], report["after"])
    assert not serious(report["axe"])
    assert not report["settingsShown"] and report["settingsOpened"]  # the settings fold away, and open by a tap

    wide = """() => { const r = document.querySelector('[data-testid=output]').getBoundingClientRect();
      const g = document.querySelector('.gallery').getBoundingClientRect();
      return { width: r.width / window.innerWidth, beside: g.left >= r.right, overflow: document.documentElement.scrollWidth - window.innerWidth,
               buttons: [...document.querySelectorAll('.downloads button')].map((b) => b.textContent) }; }"""
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "viewport": {"width": 1280, "height": 900}, "steps": [
        {"upload": str(path)}, {"style": "udnie"}, {"await": "done"}, {"eval": wide, "as": "wide"},
        {"download": "full"}, {"axe": "axe"}]}, name="desktop")
    wide = report["wide"]
    assert wide["width"] > 0.45 and wide["beside"] and wide["overflow"] <= 0, wide
    assert wide["buttons"] == ["Download PNG", "Download 1080 × 1080"]
    assert report["downloads"]["full"]["suggested"] == "photo-udnie.png"
    assert not serious(report["axe"])


SHARE_SHEET = """
  // a phone's share sheet: takes PNG files and records what it was handed
  window.__shared = [];
  navigator.canShare = (data) => !!(data && data.files && data.files.length);
  navigator.share = async (data) => { for (const f of data.files) window.__shared.push([f.name, f.type, f.size]); };
"""


def test_share_where_the_browser_can(site, tmp_path, photo_and_expected):
    """With a share sheet (a stand-in, as a phone's): Share is offered, and hands over the PNG."""
    path, _, _ = photo_and_expected
    buttons = "() => [...document.querySelectorAll('.downloads button')].map((b) => b.textContent)"
    report, _ = run_scenario(site, tmp_path, {"query": "?nowebgl", "init": [SHARE_SHEET], "steps": [
        {"upload": str(path)}, {"style": "udnie"}, {"await": "done"}, {"eval": buttons, "as": "buttons"},
        {"click": "[data-testid=share]"}, {"wait": 500}, {"eval": "() => window.__shared", "as": "shared"},
    ]})
    assert report["buttons"] == ["Download PNG", "Download 1080 × 1080", "Share", "Share 1080 × 1080"]
    assert len(report["shared"]) == 1
    name, kind, size = report["shared"][0]
    assert name == "photo-udnie.png" and kind == "image/png" and size > 1000
