"""What a first visit downloads: every request of the built site until the first stylised sample,
with each file's size raw and gzipped (level 9, as GitHub Pages and most static hosts compress).

Builds web/ (BASE=/deep-style/), serves it with `vite preview`, opens it in headless Chromium
(web/e2e/browser.mjs), clicks the first sample photo and waits for the painting. Writes
docs/bench/first_view.json. The target is at most 2 MB transferred with gzip.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
BASE = "/deep-style/"


def main() -> int:
    env = {**os.environ, "BASE": BASE}
    subprocess.run(["npm", "run", "build", "--silent"], cwd=ROOT, env=env, check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(["npx", "vite", "preview", "--config", "web/vite.config.ts", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # npx's child vite must go too
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        with tempfile.TemporaryDirectory() as tmp:
            scenario = {"steps": [{"click": "button.sample"}, {"await": "done"}]}
            (Path(tmp) / "s.json").write_text(json.dumps(scenario))
            subprocess.run(["node", "web/e2e/browser.mjs", f"http://127.0.0.1:{port}{BASE}", f"{tmp}/s.json", tmp],
                           cwd=ROOT, check=True, timeout=600)
            report = json.loads((Path(tmp) / "report.json").read_text())
    finally:
        os.killpg(server.pid, signal.SIGTERM)
    if "error" in report:
        print(report["error"], file=sys.stderr)
        return 1
    files, seen = [], set()
    for url in report["requests"]:
        path = urlparse(url).path
        if path in seen or not path.startswith(BASE):
            continue
        seen.add(path)
        rel = path[len(BASE):] or "index.html"
        if rel.endswith("/"):
            rel += "index.html"
        local = ROOT / "web" / "dist" / rel
        if not local.is_file():
            continue
        data = local.read_bytes()
        files.append({"path": rel, "bytes": len(data), "gzip_bytes": len(gzip.compress(data, 9))})
    total = sum(f["bytes"] for f in files)
    total_gz = sum(f["gzip_bytes"] for f in files)
    result = {"what": "first visit: page, engine, WASM, manifest, thumbnails, a sample photo, the gallery model",
              "backend_status": report["statuses"][-1]["text"], "files": files, "total_bytes": total,
              "total_gzip_bytes": total_gz, "target_gzip_bytes": 2_000_000,
              "date": time.strftime("%Y-%m-%d")}
    out = ROOT / "docs" / "bench" / "first_view.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    for f in sorted(files, key=lambda f: -f["gzip_bytes"])[:8]:
        print(f"{f['gzip_bytes']:>10,} gz {f['bytes']:>10,} raw  {f['path']}")
    print(f"{len(files)} files: {total_gz:,} bytes gzipped ({total:,} raw) -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
