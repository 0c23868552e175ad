"""SavedModel -> TensorFlow.js graph model, with an inventory of the files a visitor downloads.

Why graph models and not the layers format
    tfjs-layers 4.22 cannot read Keras 3 models: Keras 3 writes ``batch_shape`` where tfjs-layers
    expects ``batchInputShape``, and any custom layer (instance norm, conditional instance norm,
    AdaIN) would need a JavaScript twin anyway. A graph model is a frozen TensorFlow graph that
    tfjs-converter executes op by op, so it needs no JavaScript per layer. The ops the style
    networks use (MirrorPad, Conv2D, ResizeNearestNeighbor, Mean, SquaredDifference, Rsqrt, Relu,
    MatMul, Sigmoid, Log, ...) convert and run in tfjs 4.22, and dynamic height and width survive
    the conversion (tests/test_export.py checks a test network and the real transformer in Node).

The path is therefore: wrap the network in a ``tf.Module`` whose ``tf.function`` takes
``TensorSpec([1, None, None, 3], float32, name='content')`` (:func:`save_graph_function`), save it
as a SavedModel, and run the official converter on it (:func:`convert_saved_model`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["QUANTIZE_CHOICES", "convert_saved_model", "describe_graph_model", "save_graph_function"]

#: ``quantize`` values accepted by :func:`convert_saved_model`. Measured on 0-255 outputs against
#: the float32 model: float16 weights differ by about 0.35, uint8 (affine) by about 6.5.
QUANTIZE_CHOICES = (None, "float16", "uint8")

_STDERR_TAIL_CHARS = 4000

# The converter's own ``__main__`` joins argv with spaces and splits it again, so a path with a
# space in it would break. Calling ``converter.convert`` with a real argv list is the same
# official code path without that flaw.
_CONVERTER_SHIM = (
    "import sys\n"
    "from tensorflowjs.converters import converter\n"
    "converter.convert(sys.argv[1:])\n"
)


def save_graph_function(module_or_fn, saved_model_dir, *, input_name="content", output_name="stylized",
                        channels: int = 3):
    """Save ``module_or_fn`` as a SavedModel whose serving signature takes one image.

    ``module_or_fn`` is anything callable on a float32 ``[1, H, W, channels]`` tensor: a Keras model, a
    ``tf.Module`` with a ``__call__``, or a plain function closing over variables. It is wrapped in
    a ``tf.function`` with input signature ``TensorSpec([1, None, None, 3], float32,
    name=input_name)`` so height and width stay dynamic in the exported graph, and its output is
    returned under ``output_name``. Returns ``saved_model_dir`` as a :class:`~pathlib.Path`.
    """
    import tensorflow as tf

    spec = tf.TensorSpec([1, None, None, channels], tf.float32, name=input_name)
    holder = tf.Module()
    holder.net = module_or_fn  # tracked, so its variables are saved with the graph

    @tf.function(input_signature=[spec])
    def serve(content):
        return {output_name: module_or_fn(content)}

    holder.serve = serve
    saved_model_dir = Path(saved_model_dir)
    tf.saved_model.save(holder, str(saved_model_dir), signatures={"serving_default": serve})
    return saved_model_dir


def convert_saved_model(saved_model_dir, out_dir, quantize=None, *, weight_shard_size_bytes=None,
                        signature_name=None, timeout=None):
    """Convert a SavedModel into a TensorFlow.js graph model in ``out_dir``.

    Runs the official converter (``tensorflowjs.converters.converter``) in a subprocess with
    ``--input_format=tf_saved_model --output_format=tfjs_graph_model``. ``quantize`` is ``None``
    (float32 weights), ``'float16'`` or ``'uint8'``; it is passed as ``--quantize_float16=*`` (the
    flag takes a value: a bare flag would swallow the next argument).

    Files that an earlier ``model.json`` in ``out_dir`` listed are removed first, so the folder
    holds exactly one model. Raises :class:`RuntimeError` with the tail of the converter's stderr
    if it exits non-zero, and returns :func:`describe_graph_model` of the result.
    """
    if quantize not in QUANTIZE_CHOICES:
        raise ValueError(f"quantize must be one of {QUANTIZE_CHOICES}, not {quantize!r}")
    saved_model_dir = Path(saved_model_dir)
    out_dir = Path(out_dir)
    if not saved_model_dir.is_dir():
        raise FileNotFoundError(f"no SavedModel folder at {saved_model_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_previous_model(out_dir)

    args = ["--input_format=tf_saved_model", "--output_format=tfjs_graph_model"]
    if quantize is not None:
        args.append(f"--quantize_{quantize}=*")
    if weight_shard_size_bytes is not None:
        args.append(f"--weight_shard_size_bytes={int(weight_shard_size_bytes)}")
    if signature_name is not None:
        args.append(f"--signature_name={signature_name}")
    cmd = [sys.executable, "-c", _CONVERTER_SHIM, *args, str(saved_model_dir), str(out_dir)]

    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["TF_ENABLE_ONEDNN_OPTS"] = "0"  # the converter's graph rewrites, whatever the CPU: one graph everywhere
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if proc.returncode != 0:
        tail = proc.stderr[-_STDERR_TAIL_CHARS:].strip()
        raise RuntimeError(
            f"tensorflowjs converter exited with status {proc.returncode} converting "
            f"{saved_model_dir} -> {out_dir}:\n{tail}")
    if not (out_dir / "model.json").is_file():
        raise RuntimeError(f"tensorflowjs converter exited 0 but wrote no model.json in {out_dir}")
    description = describe_graph_model(out_dir)
    description["quantize"] = quantize
    return description


def describe_graph_model(out_dir):
    """Inventory of a converted graph model: ``model.json`` plus every weight shard it lists.

    Returns ``{'format', 'files': [{'path', 'bytes', 'sha256'}], 'total_bytes', 'weight_bytes'}``
    with ``path`` relative to ``out_dir`` in POSIX form (as a URL beside ``model.json`` would be).
    Files in the folder that ``model.json`` does not reference are not counted: a visitor never
    downloads them.
    """
    out_dir = Path(out_dir)
    model_json = out_dir / "model.json"
    with open(model_json, encoding="utf-8") as f:
        meta = json.load(f)
    rel_paths = ["model.json"] + _shard_paths(meta)
    files = []
    for rel in rel_paths:
        path = out_dir / rel
        if not path.is_file():
            raise RuntimeError(f"{model_json} lists a weight file that is missing: {path}")
        files.append({"path": rel, "bytes": path.stat().st_size, "sha256": _sha256(path)})
    return {
        "format": meta.get("format", "graph-model"),
        "files": files,
        "total_bytes": sum(f["bytes"] for f in files),
        "weight_bytes": sum(f["bytes"] for f in files[1:]),
    }


def _shard_paths(meta):
    paths = []
    for group in meta.get("weightsManifest", []):
        for rel in group.get("paths", []):
            if rel not in paths:
                paths.append(rel)
    return paths


def _remove_previous_model(out_dir):
    model_json = out_dir / "model.json"
    if not model_json.is_file():
        return
    try:
        with open(model_json, encoding="utf-8") as f:
            shards = _shard_paths(json.load(f))
    except (OSError, ValueError):
        shards = []
    for rel in shards:
        path = (out_dir / rel).resolve()
        # Only ever delete inside out_dir, whatever a stale model.json says.
        if path.parent == out_dir.resolve() and path.is_file():
            path.unlink()
    model_json.unlink()


def _sha256(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def save_style_network(transformer, saved_model_dir, multiple: int | None = None):
    """Save a multi-style transformer as a SavedModel with inputs ``content`` and ``style``.

    ``content`` is [1, H, W, 3] RGB in [0, 255] of any size: the graph reflect-pads it to a multiple
    of ``multiple`` (default: 2 to the number of stride-2 layers) and crops the output back, so the browser
    needs no padding logic. ``style`` is [1, n_styles] style weights (one-hot, or a mix to blend
    styles; Dumoulin et al. 2017). The output ``stylized`` is [1, H, W, 3] in [0, 255].
    """
    import tensorflow as tf

    from .networks import padding_multiple

    n_styles = int(transformer.inputs[1].shape[-1])
    multiple = multiple or padding_multiple(transformer)

    class StyleNetwork(tf.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.float32, name="content"),
                                      tf.TensorSpec([1, n_styles], tf.float32, name="style")])
        def serve(self, content, style):
            h, w = tf.shape(content)[1], tf.shape(content)[2]
            pad_h, pad_w = (-h) % multiple, (-w) % multiple
            padded = tf.pad(content, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="REFLECT")
            out = self.net([padded, style], training=False)
            return {"stylized": tf.clip_by_value(out[:, :h, :w, :], 0.0, 255.0)}

    module = StyleNetwork(transformer)
    saved_model_dir = Path(saved_model_dir)
    tf.saved_model.save(module, str(saved_model_dir), signatures={"serving_default": module.serve})
    return saved_model_dir
