"""The README's screenshots: the production build under /deep-style/ in headless Chromium on WASM,
Chelsea the cat (scikit-image) in one style, at a desktop's and a phone's size.

Usage: .venv/bin/python scripts/figures/screenshots.py [--style great-wave | --own-style IMAGE] [-o docs]
Writes OUT/screenshot.jpg (1280 x 900) and OUT/screenshot-phone.jpg (390 x 844, touch), with the
end-to-end test's driver (web/e2e/browser.mjs) and Debian's chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE = "/deep-style/"
SIZES = {"screenshot": ({"width": 1280, "height": 900}, False), "screenshot-phone": ({"width": 390, "height": 844}, True)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", default="great-wave", help="a gallery style id (models/manifest.json)")
    parser.add_argument("--own-style", type=Path, metavar="IMAGE",
                        help="paint with this picture as the visitor's own style (the AdaIN path) instead")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    if args.own_style is not None and not args.own_style.is_file():
        parser.error(f"--own-style {args.own_style}: no such file")
    args.output.mkdir(parents=True, exist_ok=True)

    from PIL import Image
    from skimage import data

    work = Path(tempfile.mkdtemp(prefix="screenshots-"))
    Image.fromarray(data.chelsea()).save(work / "chelsea.png")
    env = {**os.environ, "BASE": BASE}
    subprocess.run(["npm", "run", "build", "--silent", "--", "--outDir", str(work / "dist")], cwd=ROOT, env=env, check=True)
    port = _free_port()
    server = subprocess.Popen(["npx", "vite", "preview", "--config", "web/vite.config.ts", "--outDir", str(work / "dist"),
                               "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    print("vite preview did not start", file=sys.stderr)
                    return 1
                time.sleep(0.3)
        for name, (viewport, touch) in SIZES.items():
            out = work / name
            out.mkdir()
            scenario = {"query": "?nowebgl", "viewport": viewport, "touch": touch, "steps": [
                {"upload": str(work / "chelsea.png")},
                {"style_file": str(args.own_style.resolve())} if args.own_style else {"style": args.style},
                {"await": "done"},
                {"wait": 500}, {"screenshot": name}]}
            (out / "scenario.json").write_text(json.dumps(scenario))
            subprocess.run(["node", str(ROOT / "web/e2e/browser.mjs"), f"http://127.0.0.1:{port}{BASE}",
                            str(out / "scenario.json"), str(out)], cwd=ROOT, check=True, timeout=900)
            report = json.loads((out / "report.json").read_text())
            if "error" in report:
                print(f"{name}: {report['error']}", file=sys.stderr)
                return 1
            target = args.output / f"{name}.jpg"
            Image.open(out / f"{name}.png").convert("RGB").save(target, quality=85, optimize=True)
            print(target)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
