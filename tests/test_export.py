"""Export to a TensorFlow.js graph model, then run it in Node and compare with TensorFlow.

The network is small and random, but built from the ops the style networks use: reflect padding
(MirrorPad), Conv2D, strided Conv2D, instance normalisation (Mean, SquaredDifference, Rsqrt),
ReLU, a transposed convolution (Conv2DBackpropInput), nearest upsampling (ResizeNearestNeighbor)
and tanh scaled to 0-255, with dynamic height and width.
"""

import hashlib
import json
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from convert.export import convert_saved_model, save_graph_function

ROOT = Path(__file__).resolve().parents[1]
PREDICT = ROOT / "scripts" / "tfjs_predict.mjs"
HAVE_TFJS = (ROOT / "node_modules" / "@tensorflow" / "tfjs" / "package.json").is_file()
HAVE_WASM = (ROOT / "node_modules" / "@tensorflow" / "tfjs-backend-wasm" / "package.json").is_file()
NODE = shutil.which("node")

needs_node = pytest.mark.skipif(
    not (HAVE_TFJS and NODE),
    reason="needs node and node_modules/@tensorflow/tfjs: run `npm ci` in the repository root")

# One test process for the whole module, so that the conversions of `exported` are made once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("export")]

SIZES = [(48, 64), (40, 56)]
# Tolerances on a 0-255 output scale. Measured here: float32 about 1e-4 (cpu backend), float16
# weights about 0.1-0.4.
TOLERANCE = {None: 1e-2, "float16": 1.0}
WASM_TOLERANCE = 2e-2
# The ops the style networks need; the test network must put each of them through the converter.
STYLE_OPS = {"MirrorPad", "Conv2D", "Conv2DBackpropInput", "ResizeNearestNeighbor", "Mean",
             "SquaredDifference", "Rsqrt", "Relu", "Tanh"}


def _build_network(tf, seed=0):
    """A tf.Module: 0-255 RGB [1, H, W, 3] -> 0-255 RGB of the same size (H, W multiples of 4)."""
    rng = np.random.default_rng(seed)

    def var(shape, fan_in, name, scale=1.0):
        w = rng.normal(0.0, scale * np.sqrt(2.0 / fan_in), shape).astype(np.float32)
        return tf.Variable(w, name=name)

    class Net(tf.Module):
        def __init__(self):
            super().__init__(name="tiny_style")
            self.c1 = var([9, 9, 3, 8], 9 * 9 * 3, "c1")
            self.d1 = var([3, 3, 8, 16], 3 * 3 * 8, "d1")
            self.d2 = var([3, 3, 16, 32], 3 * 3 * 16, "d2")
            self.r1 = var([3, 3, 32, 32], 3 * 3 * 32, "r1")
            self.u1 = var([3, 3, 16, 32], 3 * 3 * 32, "u1")  # transposed: [h, w, out, in]
            self.u2 = var([3, 3, 16, 8], 3 * 3 * 16, "u2")
            self.c2 = var([9, 9, 8, 3], 9 * 9 * 8, "c2", scale=0.5)
            self.gamma = {n: tf.Variable(rng.uniform(0.8, 1.2, c).astype(np.float32), name=f"g_{n}")
                          for n, c in [("c1", 8), ("d1", 16), ("d2", 32), ("r1", 32), ("u1", 16), ("u2", 8)]}
            self.beta = {n: tf.Variable(rng.normal(0, 0.1, g.shape).astype(np.float32), name=f"b_{n}")
                         for n, g in self.gamma.items()}

        def _conv(self, x, w, stride=1):
            p = w.shape[0] // 2
            x = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")
            return tf.nn.conv2d(x, w, strides=stride, padding="VALID")

        def _norm(self, x, name):
            mean, var_ = tf.nn.moments(x, axes=[1, 2], keepdims=True)
            return (x - mean) * tf.math.rsqrt(var_ + 1e-5) * self.gamma[name] + self.beta[name]

        def __call__(self, x):
            x = x / 127.5 - 1.0
            h = tf.nn.relu(self._norm(self._conv(x, self.c1), "c1"))
            h1 = tf.nn.relu(self._norm(self._conv(h, self.d1, 2), "d1"))
            h2 = tf.nn.relu(self._norm(self._conv(h1, self.d2, 2), "d2"))
            h2 = h2 + self._norm(self._conv(h2, self.r1), "r1")
            shape = tf.shape(h1)
            u = tf.nn.conv2d_transpose(h2, self.u1, output_shape=shape, strides=2, padding="SAME")
            u = tf.nn.relu(self._norm(u, "u1"))
            size = tf.shape(u)[1:3] * 2
            u = tf.image.resize(u, size, method="nearest")
            u = tf.nn.relu(self._norm(self._conv(u, self.u2), "u2"))
            return 127.5 * tf.tanh(self._conv(u, self.c2)) + 127.5

    return Net()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """SavedModel of the random network, its Python outputs, and both conversions (timed)."""
    import tensorflow as tf

    tf.random.set_seed(0)
    root = tmp_path_factory.mktemp("export")
    net = _build_network(tf)
    saved = save_graph_function(net, root / "saved_model")

    rng = np.random.default_rng(1)
    inputs = {size: rng.uniform(0, 255, (1, *size, 3)).astype(np.float32) for size in SIZES}
    serve = tf.saved_model.load(str(saved)).signatures["serving_default"]
    expected = {size: serve(content=tf.constant(x))["stylized"].numpy() for size, x in inputs.items()}

    converted, seconds = {}, {}
    for quantize in TOLERANCE:
        t0 = time.perf_counter()
        converted[quantize] = convert_saved_model(saved, root / f"tfjs_{quantize or 'float32'}", quantize)
        seconds[quantize] = time.perf_counter() - t0
    print(f"\nconversion seconds: {seconds}")
    n_params = sum(int(np.prod(v.shape)) for v in net.variables)
    return {"root": root, "saved": saved, "n_params": n_params, "inputs": inputs, "expected": expected,
            "converted": converted, "dirs": {q: root / f"tfjs_{q or 'float32'}" for q in TOLERANCE}}


def test_python_network_is_dynamic_and_in_range(exported):
    for (h, w), y in exported["expected"].items():
        assert y.shape == (1, h, w, 3)
        assert 0.0 <= y.min() and y.max() <= 255.0
        # Not saturated to a constant: the comparison with tfjs would otherwise prove little.
        assert y.std() > 10.0, f"output std {y.std():.2f} at {h}x{w}"


@pytest.mark.parametrize("quantize", list(TOLERANCE), ids=lambda q: q or "float32")
def test_convert_reports_the_files_written(exported, quantize):
    desc = exported["converted"][quantize]
    out_dir = exported["dirs"][quantize]
    assert desc["quantize"] == quantize
    assert desc["format"] == "graph-model"
    paths = [f["path"] for f in desc["files"]]
    assert paths[0] == "model.json"
    assert len(paths) >= 2 and all(p.startswith("group") and p.endswith(".bin") for p in paths[1:])
    on_disk = sorted(p.name for p in out_dir.iterdir())
    assert on_disk == sorted(paths)
    for f in desc["files"]:
        data = (out_dir / f["path"]).read_bytes()
        assert f["bytes"] == len(data)
        assert f["sha256"] == hashlib.sha256(data).hexdigest()
    assert desc["total_bytes"] == sum(f["bytes"] for f in desc["files"])
    meta = json.loads((out_dir / "model.json").read_text())
    assert meta["format"] == "graph-model"
    content = meta["signature"]["inputs"]["content"]
    assert [d["size"] for d in content["tensorShape"]["dim"]] == ["1", "-1", "-1", "3"]
    assert list(meta["signature"]["outputs"]) == ["stylized"]
    ops = {node["op"] for node in meta["modelTopology"]["node"]}
    assert STYLE_OPS <= ops, f"missing from the graph: {STYLE_OPS - ops}"


def test_float16_halves_the_weights(exported):
    full = exported["converted"][None]["weight_bytes"]
    half = exported["converted"]["float16"]["weight_bytes"]
    n_params = exported["n_params"]
    # Graph constants (paddings, scales) ride along with the variables, hence the small slack.
    assert 4 * n_params <= full < 4 * n_params + 1024, (full, n_params)
    assert 2 * n_params <= half < 2 * n_params + 1024, (half, n_params)


def test_reconverting_replaces_the_previous_model(exported, tmp_path):
    out = tmp_path / "again"
    shutil.copytree(exported["dirs"][None], out)  # a previous export: group1-shard1of1.bin
    (out / "NOTES.txt").write_text("not part of any model")
    desc = convert_saved_model(exported["saved"], out, "float16", weight_shard_size_bytes=4096)
    shards = [f["path"] for f in desc["files"][1:]]
    assert len(shards) > 1 and "group1-shard1of1.bin" not in shards  # small shards: several files
    assert sorted(p.name for p in out.iterdir()) == sorted(["model.json", "NOTES.txt", *shards])
    assert desc["weight_bytes"] == exported["converted"]["float16"]["weight_bytes"]


def test_converter_failure_raises_with_its_stderr(tmp_path):
    not_a_model = tmp_path / "empty"
    not_a_model.mkdir()
    with pytest.raises(RuntimeError, match="converter exited with status") as err:
        convert_saved_model(not_a_model, tmp_path / "out")
    assert "SavedModel file does not exist" in str(err.value)
    with pytest.raises(ValueError):
        convert_saved_model(not_a_model, tmp_path / "out", quantize="int4")


def _npy_roundtrip_ok(path, arr):
    back = np.load(path)
    return back.dtype == np.float32 and back.shape == arr.shape and np.array_equal(back, arr)


def _predict(model_dir, x, tmp_path, backend="cpu", tag="run"):
    inp, out = tmp_path / f"{tag}_in.npy", tmp_path / f"{tag}_out.npy"
    np.save(inp, x)
    t0 = time.perf_counter()
    proc = subprocess.run([NODE, str(PREDICT), str(model_dir), str(inp), str(out), "--backend", backend],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, f"tfjs_predict failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert _npy_roundtrip_ok(inp, x)
    return np.load(out), info, wall


@needs_node
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("quantize", list(TOLERANCE), ids=lambda q: q or "float32")
def test_tfjs_matches_python(exported, quantize, size, tmp_path):
    x, expected = exported["inputs"][size], exported["expected"][size]
    y, info, wall = _predict(exported["dirs"][quantize], x, tmp_path)
    assert info["backend"] == "cpu"
    assert info["input_shape"] == list(x.shape)
    assert info["output_shape"] == list(expected.shape)
    assert y.shape == expected.shape and y.dtype == np.float32
    diff = float(np.abs(y - expected).max())
    label = f"{quantize or 'float32'} {size[0]}x{size[1]}"
    print(f"\n{label}: max abs diff {diff:.3g} (0-255 scale), predict {info['predict_ms']} ms, "
          f"load {info['load_ms']} ms, node wall {wall:.1f} s")
    assert diff < TOLERANCE[quantize], f"{label}: tfjs vs TensorFlow max abs diff {diff:.4g}"


@needs_node
@pytest.mark.skipif(not HAVE_WASM, reason="node_modules/@tensorflow/tfjs-backend-wasm absent: run `npm ci`")
def test_tfjs_wasm_backend_matches_python(exported, tmp_path):
    size = SIZES[0]
    y, info, _ = _predict(exported["dirs"][None], exported["inputs"][size], tmp_path, backend="wasm")
    assert info["backend"] == "wasm"
    diff = float(np.abs(y - exported["expected"][size]).max())
    print(f"\nwasm float32 {size[0]}x{size[1]}: max abs diff {diff:.3g}, predict {info['predict_ms']} ms")
    assert diff < WASM_TOLERANCE, f"wasm: tfjs vs TensorFlow max abs diff {diff:.4g}"


@needs_node
def test_predict_cli_errors(exported, tmp_path):
    x = tmp_path / "x.npy"
    np.save(x, exported["inputs"][SIZES[0]])
    cases = [
        ([str(tmp_path / "no_model"), str(x), str(tmp_path / "y.npy")], 1, "model not found"),
        ([str(exported["dirs"][None]), str(tmp_path / "missing.npy"), str(tmp_path / "y.npy")], 1,
         "input not found"),
        ([str(exported["dirs"][None]), str(x)], 2, "usage"),
        ([str(exported["dirs"][None]), str(x), str(tmp_path / "y.npy"), "--backend", "gpu"], 2, "backend"),
    ]
    np.save(tmp_path / "f64.npy", np.zeros((1, 8, 8, 3)))
    cases.append(([str(exported["dirs"][None]), str(tmp_path / "f64.npy"), str(tmp_path / "y.npy")], 1,
                  "float32"))
    for args, code, text in cases:
        proc = subprocess.run([NODE, str(PREDICT), *args], capture_output=True, text=True, cwd=ROOT,
                              timeout=120)
        assert proc.returncode == code, (args, proc.returncode, proc.stderr)
        assert text in proc.stderr, (args, proc.stderr)


def _norm_layers(nodes) -> list[tuple[str, bool]]:
    """The Mean nodes of a converted graph that findNormLayers (web/src/engine/statistics.ts) feeds
    with the whole picture's statistics when the page paints in tiles, each with whether it is an
    instance norm's: a Mean whose input also feeds a SquaredDifference with it, of which a Mean is
    taken (the variance); or any other Mean that keeps its reduced axes (a mean alone)."""
    name = lambda ref: ref.lstrip("^").split(":")[0]  # noqa: E731
    consumers = {}
    for node in nodes:
        for ref in node.get("input", []):
            consumers.setdefault(name(ref), []).append(node)
    norms, paired = [], set()
    for node in nodes:
        if node["op"] != "Mean" or not node.get("input"):
            continue
        source = name(node["input"][0])
        squared = [c for c in consumers.get(node["name"], []) if c["op"] == "SquaredDifference"
                   and source in map(name, c.get("input", []))]
        variance = [c for s in squared for c in consumers.get(s["name"], []) if c["op"] == "Mean"]
        if variance:
            norms.append((node["name"], True))
            paired |= {node["name"], variance[0]["name"]}
    alone = [(node["name"], False) for node in nodes if node["op"] == "Mean" and node.get("input")
             and node.get("attr", {}).get("keep_dims", {}).get("b") and node["name"] not in paired]
    return norms + alone


@needs_node
@pytest.mark.parametrize("colour_head", [False, True], ids=["residual-head", "colour-head"])
def test_style_network_exports_with_any_size_and_style_mix(tmp_path, colour_head):
    """The real multi-style transformer: odd sizes are padded and cropped inside the graph, and a
    mixed style vector gives the same result in TensorFlow.js (Node) as in Keras, with either head."""
    from convert import networks
    from convert.export import save_style_network

    net = networks.transformer(3, (4, 8, 8), 1, colour_head=colour_head)
    rng = np.random.default_rng(0)
    net.get_layer("out_conv").kernel.assign(rng.normal(0, 0.1, (3, 3, 4, 3)).astype(np.float32))
    norm = net.get_layer("dec2_norm")
    norm.beta.assign(rng.normal(0, 1, norm.beta.shape).astype(np.float32))
    if colour_head:
        head = net.get_layer("stylized")
        for table in (head.mean_map, head.detail_map):
            table.assign(rng.normal(0, 0.01, table.shape).astype(np.float32))
    save_style_network(net, tmp_path / "saved")
    convert_saved_model(tmp_path / "saved", tmp_path / "js")
    nodes = json.loads((tmp_path / "js" / "model.json").read_text())["modelTopology"]["node"]
    ops = {node["op"] for node in nodes}
    # No Tile (what UpSampling2D becomes): it took 1.4 s of a 1.6 s frame in tfjs wasm. No Einsum:
    # the wasm backend has no kernel for it.
    assert "Tile" not in ops and "Einsum" not in ops and "Conv2D" in ops, sorted(ops)
    # Every instance norm, and the colour head's mean colour, in the form the page looks for to give
    # it the whole picture's statistics when it paints in tiles (findNormLayers in
    # web/src/engine/statistics.ts), and nothing else
    norms = sum(isinstance(layer, networks.ConditionalInstanceNorm) for layer in net.layers)
    found = _norm_layers(nodes)
    assert sum(is_norm for _, is_norm in found) == norms
    assert [m for m, is_norm in found if not is_norm] == (["StatefulPartitionedCall/transformer_1/stylized_1/Mean"]
                                                         if colour_head else [])

    x = rng.uniform(0, 255, (1, 37, 50, 3)).astype("<f4")
    for style, backend in (([0.2, 0.8, 0.0], "cpu"), ([0.0, 0.0, 1.0], "cpu"), ([0.2, 0.8, 0.0], "wasm")):
        s = np.array([style], "<f4")
        np.save(tmp_path / "x.npy", x)
        np.save(tmp_path / "s.npy", s)
        proc = subprocess.run(["node", str(PREDICT), str(tmp_path / "js"), str(tmp_path / "x.npy"),
                               str(tmp_path / "y.npy"), "--input", f"style={tmp_path / 's.npy'}",
                               "--backend", backend], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        y = np.load(tmp_path / "y.npy")
        expected = networks.stylize(net, x[0], s[0])
        assert y.shape == (1, 37, 50, 3)
        assert np.abs(y[0] - expected).max() < 1e-2
    assert np.abs(expected - networks.stylize(net, x[0], [0.0, 0.0, 1.0])).mean() > 0.5  # styles differ


@needs_node
def test_a_bilinear_decoder_exports_as_resize_bilinear_and_paints_the_same_in_tfjs(tmp_path):
    """The AdaIN decoder with bilinear upsampling, traced for export as the site's decoder is
    (networks.resize_for_export): ResizeBilinear ops, and TensorFlow.js in Node paints what Keras does."""
    from convert import adain, networks
    from convert.export import save_graph_function

    dec = adain.decoder((8, 8, 8), upsample="bilinear")
    rng = np.random.default_rng(0)
    dec.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in dec.get_weights()])
    with networks.resize_for_export():
        save_graph_function(dec, tmp_path / "saved", input_name="features", output_name="image", channels=512)
    convert_saved_model(tmp_path / "saved", tmp_path / "js")
    ops = [node["op"] for node in json.loads((tmp_path / "js" / "model.json").read_text())["modelTopology"]["node"]]
    assert ops.count("ResizeBilinear") == 3 and "Tile" not in ops, sorted(set(ops))
    x = np.abs(rng.normal(10, 5, (1, 3, 5, 512))).astype("<f4")
    y, info, _ = _predict(tmp_path / "js", x, tmp_path)
    expected = np.asarray(dec(x))
    assert y.shape == expected.shape == (1, 24, 40, 3)
    assert np.ptp(expected) > 1.0  # a picture, not a constant
    # float32 sums over 512 channels in another order: within 1e-4 of the output's range
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-4 * float(np.ptp(expected)))
