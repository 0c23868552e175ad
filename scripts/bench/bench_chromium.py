"""Benchmark in Chromium: the shipped gallery model against a Johnson-size reference, same backend,
same page, alternating runs (the Node figure is scripts/bench/bench_tfjs.mjs's; this one is the browser's).

Exports the reference network (random weights: speed does not depend on them) as a uint8 graph model
next to a copy of the shipped models/gallery, writes a page that loads TensorFlow.js from
node_modules, serves the folder on localhost and has headless Chromium (scripts/bench/bench_chromium.mjs)
time both at 512 x 512 (the full graph: padding, network, clip) and the live loop's frame step at
320 x 240, and the arbitrary-style network (shipped encoder, AdaIN, shipped decoder) against the
gallery network at 512 x 512. WASM only: Chromium's WebGL on a machine without a GPU is SwiftShader,
software, 40x slower than WASM and no guide to a GPU. Writes docs/bench/chromium.json.

    .venv/bin/python scripts/bench/bench_chromium.py [--runs 5]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from convert import export, networks  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TFJS = ROOT / "node_modules/@tensorflow/tfjs/dist/tf.min.js"
WASM = ROOT / "node_modules/@tensorflow/tfjs-backend-wasm/dist"

PAGE = """<!doctype html><meta charset="utf-8"><title>bench</title>
<script src="tf.min.js"></script><script src="tf-backend-wasm.min.js"></script>
<script>
(async () => {
  try {
    tf.wasm.setWasmPaths(location.href.replace(/[^/]*$/, ''));
    await tf.setBackend('wasm');
    await tf.ready();
    const runs = RUNS;
    const shipped = await tf.loadGraphModel('shipped/model.json');
    const reference = await tf.loadGraphModel('reference/model.json');
    const style = tf.oneHot([0], 12).toFloat();
    const cases = {
      'full_512': { input: tf.randomUniform([1, 512, 512, 3], 0, 255, 'float32', 7), resize: null },
      'live_320x240': { input: tf.randomUniform([1, 480, 640, 3], 0, 255, 'float32', 7), resize: [240, 320] },
    };
    const time = async (model, c) => {
      const t = performance.now();
      const out = tf.tidy(() => {
        const x = c.resize ? tf.image.resizeBilinear(c.input, c.resize, true) : c.input;
        const y = model === shipped ? model.execute({ content: x, style }) : model.execute({ content: x });
        return tf.div(tf.clipByValue(y, 0, 255), 255);
      });
      await out.data();
      out.dispose();
      return performance.now() - t;
    };
    const result = { backend: tf.getBackend(), userAgent: navigator.userAgent, runs, cases: {} };
    for (const [name, c] of Object.entries(cases)) {
      const times = { shipped: [], reference: [] };
      await time(shipped, c); await time(reference, c);  // warm-up
      for (let r = 0; r < runs; r++) { times.shipped.push(await time(shipped, c)); times.reference.push(await time(reference, c)); }
      const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
      result.cases[name] = {
        shipped_ms: Math.round(median(times.shipped)), reference_ms: Math.round(median(times.reference)),
        speedup: +(median(times.reference) / median(times.shipped)).toFixed(2),
        all_ms: { shipped: times.shipped.map(Math.round), reference: times.reference.map(Math.round) },
      };
    }
    // The arbitrary-style network (shipped encoder, AdaIN with fixed statistics, shipped decoder)
    // against the shipped gallery network, 512 x 512, alternating.
    const encoder = await tf.loadGraphModel('adain-encoder/model.json');
    const decoder = await tf.loadGraphModel('adain-decoder/model.json');
    const stats = { mean: tf.randomUniform([512], 0, 2, 'float32', 3), std: tf.randomUniform([512], 0.5, 3, 'float32', 4) };
    const adain = (x) => {
      const f = encoder.execute({ image: x });
      const { mean, variance } = tf.moments(f, [1, 2], true);
      const t = tf.add(tf.mul(tf.div(tf.sub(f, mean), tf.sqrt(tf.add(variance, 1e-5))), stats.std), stats.mean);
      return decoder.execute({ features: t });
    };
    const timeOne = async (fn) => {
      const t = performance.now();
      const out = tf.tidy(() => tf.div(tf.clipByValue(fn(), 0, 255), 255));
      await out.data();
      out.dispose();
      return performance.now() - t;
    };
    const x512 = cases.full_512.input;
    const paint = { gallery: () => shipped.execute({ content: x512, style }), adain: () => adain(x512) };
    const times = { gallery: [], adain: [] };
    await timeOne(paint.gallery); await timeOne(paint.adain);  // warm-up
    for (let r = 0; r < runs; r++) { times.gallery.push(await timeOne(paint.gallery)); times.adain.push(await timeOne(paint.adain)); }
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    result.adain_512 = {
      gallery_ms: Math.round(median(times.gallery)), adain_ms: Math.round(median(times.adain)),
      ratio: +(median(times.adain) / median(times.gallery)).toFixed(2),
      all_ms: { gallery: times.gallery.map(Math.round), adain: times.adain.map(Math.round) },
    };
    window.benchResult = result;
  } catch (e) { window.benchError = String(e && e.stack || e); }
})();
</script>"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/bench/chromium.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        site = tmp / "site"
        shutil.copytree(ROOT / "models" / "gallery", site / "shipped")
        for model in ("adain-encoder", "adain-decoder"):
            shutil.copytree(ROOT / "models" / model, site / model)
        export.save_graph_function(networks.johnson_reference(), tmp / "reference_saved")
        export.convert_saved_model(tmp / "reference_saved", site / "reference", quantize="uint8")
        shutil.copy(TFJS, site / "tf.min.js")
        shutil.copy(WASM / "tf-backend-wasm.min.js", site / "tf-backend-wasm.min.js")
        for wasm in WASM.glob("*.wasm"):
            shutil.copy(wasm, site / wasm.name)
        (site / "index.html").write_text(PAGE.replace("RUNS", str(args.runs)))
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        handler = functools.partial(Quiet, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            proc = subprocess.run(["node", str(ROOT / "scripts/bench/bench_chromium.mjs"),
                                   f"http://127.0.0.1:{server.server_address[1]}/index.html"],
                                  capture_output=True, text=True, cwd=ROOT, timeout=1800)
        finally:
            server.shutdown()
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if "error" in result:
        raise SystemExit(result["error"])
    result = {"benchmark": "shipped gallery model vs Johnson-size reference in headless Chromium (tfjs 4.22)",
              "date": time.strftime("%Y-%m-%d"),
              "shipped": "models/gallery as shipped (float16 weights, 12 styles)",
              "reference": "networks.johnson_reference (32/64/128, 5 residual blocks, 9x9 end convolutions), "
                           "uint8, random weights", **result}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"| case ({result['backend']}, Chromium) | shipped ms | reference ms | speedup |")
    print("|---|---|---|---|")
    for name, c in result["cases"].items():
        print(f"| {name} | {c['shipped_ms']} | {c['reference_ms']} | {c['speedup']} |")
    a = result["adain_512"]
    print(f"\nAdaIN (shipped encoder and decoder) at 512 x 512: {a['adain_ms']} ms against the gallery network's "
          f"{a['gallery_ms']} ms: {a['ratio']}x")


if __name__ == "__main__":
    main()
