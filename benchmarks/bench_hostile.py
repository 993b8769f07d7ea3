"""Time and memory of indexing the hostile corpus (``tests/hostile/corpus.py``), against its limits.

Each run is a fresh ``modelhub index --json`` process into a fresh home; the figures are the
medians over ``--runs``. The same is done for the corpus's good files alone, so the price of
the hostile inputs is visible next to the price of indexing at all (model load included).
Limits from the hardening issue: the whole corpus in under 60 s and under 1.5 GB.

    .venv/bin/python benchmarks/bench_hostile.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hostile.corpus import build  # noqa: E402

LIMIT_SECONDS, LIMIT_MB = 60.0, 1536.0


def run_once(folder: Path, home: Path) -> tuple[float, float, dict]:
    """(seconds, peak MB of the biggest process, report) of one cold ``modelhub index``."""
    cmd = [sys.executable, "-m", "modelhub_jupyter.cli", "--home", str(home), "index", str(folder), "--json"]
    wrapped = ["/usr/bin/time", "-f", "%M", *cmd] if Path("/usr/bin/time").exists() else cmd
    start = time.perf_counter()
    done = subprocess.run(wrapped, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"index failed ({done.returncode}): {done.stderr[-500:]}")
    peak_kb = float(done.stderr.strip().splitlines()[-1]) if wrapped is not cmd else float("nan")
    return seconds, peak_kb / 1024, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mh-hostile-") as tmp:
        base = Path(tmp)
        corpus = build(base / "ws", base / "outside")
        good = base / "good-only"
        shutil.copytree(corpus.root / "good", good, symlinks=True)
        rows = []
        for label, folder in (("good files only", good), ("whole corpus", corpus.root)):
            results = [run_once(folder, base / f"home-{label[:4]}-{i}") for i in range(args.runs)]
            seconds = statistics.median(r[0] for r in results)
            peak = statistics.median(r[1] for r in results)
            report = results[0][2]
            rows.append(
                (label, report["files_seen"], len(report["errors"]), len(report["warnings"]), seconds, peak)
            )
        print(f"hostile corpus: {corpus.hostile_count} hostile inputs, {len(corpus.good)} good files; "
              f"medians of {args.runs} cold runs (model load included)")  # fmt: skip
        print(f"{'':18} {'files':>6} {'errors':>7} {'warnings':>9} {'seconds':>8} {'peak MB':>8}")
        for label, files, errors, warnings, seconds, peak in rows:
            print(f"{label:18} {files:6} {errors:7} {warnings:9} {seconds:8.1f} {peak:8.0f}")
        seconds, peak = rows[1][4], rows[1][5]
        print(f"limits: {LIMIT_SECONDS:.0f} s, {LIMIT_MB:.0f} MB -> "
              f"{'within' if seconds < LIMIT_SECONDS and peak < LIMIT_MB else 'OVER'}; "
              f"the hostile inputs cost {seconds - rows[0][4]:+.1f} s over the good files alone")  # fmt: skip


if __name__ == "__main__":
    main()
