"""Send the bad-input corpus (tests/corpus.py) through the page and the command line, and print the
README's table of what each did.

Runs the two corpus tests (tests/test_site.py and tests/test_cli.py, which assert the expected
behaviour) with DEEPSTYLE_RECORD_BAD_INPUTS set, so they also record what they saw in
docs/bad_inputs.json; then prints that as a Markdown table.

Usage: .venv/bin/python scripts/figures/bad_inputs_table.py [--table-only]   (--table-only: from the last record)
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from corpus import CASES  # noqa: E402

OUT = ROOT / "docs" / "bad_inputs.json"


def main() -> int:
    if "--table-only" not in sys.argv:
        OUT.unlink(missing_ok=True)
        env = dict(os.environ, DEEPSTYLE_RECORD_BAD_INPUTS=str(OUT))
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-k", "bad_input_corpus",
                               "tests/test_site.py", "tests/test_cli.py"], cwd=ROOT, env=env)
        if proc.returncode != 0:
            print("the corpus tests failed; no table", file=sys.stderr)
            return 1
    record = json.loads(OUT.read_text())
    print("| File | Page | Command line (`deepstyle stylize`) |")
    print("|---|---|---|")
    for case in CASES:
        cells = []
        for where in ("page", "cli"):
            seen = record[where][case.file]
            cells.append(f"painted, {seen['message']}" if seen["result"] == "painted" else f"refused: “{seen['message']}”")
        print(f"| {case.what} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
