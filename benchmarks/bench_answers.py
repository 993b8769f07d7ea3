"""Answer quality on questions with known answers over the example workspace.

    .venv/bin/python benchmarks/bench_answers.py [--llm none,local] [--verbose]

Builds and indexes the example workspace in a temp home, asks every question of
``modelhub_jupyter/demo/questions.yaml`` (the gold questions that prompt A/B runs use too) with each
``--llm`` setting, and prints, per style (metadata / free) and overall (scored by
:mod:`modelhub_jupyter.answer.scoring`):

* value stated: the expected value appears in the answer (numbers compared as numbers);
* source cited: a citation names one of the expected files;
* citations valid: every citation shown re-checks (file inside its root, lines present);
* latency p50 (s) per question.

Not a test; it prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--llm", default="none", help="comma list of MODELHUB_LLM settings to compare")
    parser.add_argument("--verbose", action="store_true", help="show each wrong answer")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from modelhub_jupyter import Hub
    from modelhub_jupyter.answer import scoring
    from modelhub_jupyter.demo import build_workspace

    questions = scoring.load_questions(scoring.GOLD)
    with tempfile.TemporaryDirectory(prefix="bench-answers-") as tmp:
        workspace = build_workspace(Path(tmp) / "my-models")
        hub = Hub(home=Path(tmp) / "home")
        hub.index(workspace, progress=False)
        hub.search("warm up", record=False)  # load the embedder before timing
        print(f"{len(questions)} questions from {scoring.GOLD.name}", file=sys.stderr)
        print(
            f"{'llm':8} {'style':9} {'n':>3} {'value stated':>13} {'source cited':>13} {'citations valid':>16} {'p50 s':>7}"
        )
        for llm in [s.strip() for s in args.llm.split(",") if s.strip()]:
            rows = []
            for q in questions:
                start = time.perf_counter()
                answer = hub.ask(q.question, llm=llm, timeout=300)
                score = scoring.score(answer, q, time.perf_counter() - start)
                rows.append((q, score.value, bool(score.cited), score.valid, score.seconds))
                if args.verbose and (score.value is False or not score.cited):
                    print(f"  [{llm}] {q.id}: {q.question!r} -> {answer.mode}: {answer.answer[:200]!r}",
                          file=sys.stderr)  # fmt: skip
            for style in ("metadata", "free", "all"):
                part = [r for r in rows if style == "all" or r[0].style == style]
                if not part:
                    continue
                valued = [r for r in part if r[1] is not None]
                value = f"{100 * sum(bool(r[1]) for r in valued) / len(valued):.0f} %" if valued else "-"
                cited = f"{100 * sum(r[2] for r in part) / len(part):.0f} %"
                valid = f"{100 * sum(r[3] for r in part) / len(part):.0f} %"
                p50 = statistics.median(r[4] for r in part)
                print(f"{llm:8} {style:9} {len(part):>3} {value:>13} {cited:>13} {valid:>16} {p50:>7.2f}")
        hub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
