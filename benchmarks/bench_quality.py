"""Quality analytics speed over a synthetic query log: ``hub.quality.report()`` (what the Quality
view reads on each refresh), the problem-query YAML (labels not proposed: that is one search per
query), the resource snapshot, and ``hub.stats()`` as the baseline over the same log in the same run.

    python benchmarks/bench_quality.py --rows 10000 100000 --runs 5

Prints medians (ms). No network, no model: the hub is empty apart from its query log.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from modelhub_jupyter import Hub
from modelhub_jupyter import quality as q
from modelhub_jupyter.store import QueryRow

INTENTS = ("", "metadata_lookup", "code_explanation", "comparison", "how_to")


def fill(hub: Hub, rows: int, seed: int = 0) -> None:
    """``rows`` queries over the last 30 days: 1,000 distinct texts, 5% no results, 10% low
    confidence, 3% thumbs down, 10% with a result opened; 200 comparisons."""
    rng = random.Random(seed)
    now = time.time()
    db = hub.catalog.db
    with db:
        for i in range(rows):
            intent = rng.choice(INTENTS)
            action = "search" if not intent else "ask"
            hits = 0 if rng.random() < 0.05 else rng.randint(1, 10)
            qid = hub.catalog.record_query(QueryRow(
                now - rng.random() * 30 * 86400, f"user{rng.randint(1, 20)}", action, f"query number {rng.randint(1, 1000)}",
                "all", intent, rng.lognormvariate(3.5, 0.6), hits, "gpt/train_gpt.py" if hits else "", [], [], "panel",
                -1 if rng.random() < 0.03 else None, "gpt/transformer_v1.py:1-20" if rng.random() < 0.1 else None,
            ))  # fmt: skip
            if i % 10 == 0:
                db.execute("UPDATE queries SET confidence=? WHERE id=?", (rng.random() * 0.5, qid))
            else:
                db.execute("UPDATE queries SET confidence=? WHERE id=?", (0.5 + rng.random() * 0.5, qid))
    for _ in range(200):
        q.record_event(
            hub, "compare", "a vs b", rng.sample(["lr", "layers", "params", "dataset", "optimizer"], 2)
        )


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'rows':>8} {'stats() baseline':>17} {'quality.report()':>17} {'problems_yaml':>14} {'resources':>10}"
    )
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp, Hub(Path(tmp) / "home") as hub:
            fill(hub, rows)
            base = median_ms(hub.stats, args.runs)
            report = median_ms(hub.quality.report, args.runs)
            yaml_ms = median_ms(lambda: hub.quality.problems_yaml(propose=False), args.runs)
            res = median_ms(hub.quality.resources, args.runs)
            print(f"{rows:>8} {base:>14.1f} ms {report:>14.1f} ms {yaml_ms:>11.1f} ms {res:>7.1f} ms")


if __name__ == "__main__":
    main()
