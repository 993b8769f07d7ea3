"""Answer quality on questions with known answers, over the example workspace or the public
development corpus.

    .venv/bin/python benchmarks/bench_answers.py [--set example|realworld] [--llm none,local] [--verbose]
                                                 [--mirrors DIR | --corpus DIR] [--home DIR]

``--set example`` (the default) builds and indexes the example workspace in a temp home and asks
every question of ``modelhub_jupyter/demo/questions.yaml`` (the gold questions that prompt A/B runs
use too). ``--set realworld`` asks ``benchmarks/realworld/answers.yaml`` over the development corpus
of issue 12: materialised from ``--mirrors`` (bare git mirrors, as ``bench_realworld.py`` does) or
read from ``--corpus`` (already materialised); ``--home`` keeps the index between runs (indexing
the corpus takes minutes here). For each ``--llm`` setting (``none``: extractive, no model;
``local``: the bundled SmolLM2-135M through llama.cpp) it prints, per style (metadata / free) and
overall (scored by :mod:`modelhub_jupyter.answer.scoring`):

* value stated: the expected value appears in the answer (numbers compared as numbers);
* source cited: a citation names one of the expected files;
* citations valid: every citation shown re-checks (file inside its root, lines present);
* latency p50 (s) per question;
* phrased: the share answered in the language model's words (the rest came from the catalog, or
  from the passages when the model's sentences were not supported by them and were dropped).

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
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # llama.cpp on a small shared CPU
HERE = Path(__file__).resolve().parent
REALWORLD_QUESTIONS = HERE / "realworld" / "answers.yaml"


def _workspace(args: argparse.Namespace, tmp: Path) -> Path:
    if args.set == "example":
        from modelhub_jupyter.demo import build_workspace

        return build_workspace(tmp / "my-models")
    if args.corpus and args.corpus.is_dir() and any(args.corpus.iterdir()):
        return args.corpus
    if args.mirrors is None:
        raise SystemExit("--set realworld needs --mirrors DIR (or an already materialised --corpus DIR)")
    sys.path.insert(0, str(HERE / "realworld"))
    from materialise import materialise

    corpus = args.corpus or tmp / "corpus"
    entries = materialise(args.mirrors, corpus)
    print(f"corpus: {len(entries)} files at {corpus}", file=sys.stderr)
    return corpus


def _hub(args: argparse.Namespace, workspace: Path, tmp: Path) -> Any:
    from modelhub_jupyter import Hub

    home = args.home or tmp / "home"
    reuse = args.home is not None and (home / ".bench-answers-indexed").exists()
    hub = Hub(home=home)
    if not reuse:
        t0 = time.perf_counter()
        report = hub.index(workspace, progress=False)
        print(f"indexed {report.files_seen} files in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        if args.home is not None:
            (home / ".bench-answers-indexed").write_text(str(workspace), encoding="utf-8")
    return hub


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", choices=["example", "realworld"], default="example", help="question set")
    parser.add_argument("--llm", default="none", help="comma list of MODELHUB_LLM settings to compare")
    parser.add_argument("--mirrors", type=Path, help="realworld: folder of bare git mirrors")
    parser.add_argument("--corpus", type=Path, help="realworld: the materialised corpus (made if missing)")
    parser.add_argument("--home", type=Path, help="keep the index here and reuse it on the next run")
    parser.add_argument("--style", choices=["metadata", "free"], help="only the questions of this style")
    parser.add_argument("--verbose", action="store_true", help="show each wrong answer")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from modelhub_jupyter.answer import scoring

    gold = scoring.GOLD if args.set == "example" else REALWORLD_QUESTIONS
    questions = [q for q in scoring.load_questions(gold) if args.style in (None, q.style)]
    with tempfile.TemporaryDirectory(prefix="bench-answers-") as tmp:
        workspace = _workspace(args, Path(tmp))
        hub = _hub(args, workspace, Path(tmp))
        hub.search("warm up", record=False)  # load the embedder before timing
        print(f"{len(questions)} questions from {gold.name}", file=sys.stderr)
        print(
            f"{'llm':8} {'style':9} {'n':>3} {'value stated':>13} {'source cited':>13} {'citations valid':>16} "
            f"{'p50 s':>7} {'phrased':>8}"
        )
        for llm in [s.strip() for s in args.llm.split(",") if s.strip()]:
            rows = []
            for q in questions:
                start = time.perf_counter()
                answer = hub.ask(q.question, llm=llm, timeout=300)
                score = scoring.score(answer, q, time.perf_counter() - start)
                rows.append((q, score.value, bool(score.cited), score.valid, score.seconds, score.mode))
                if args.verbose and (score.value is False or not score.cited or not score.valid):
                    cited = ", ".join(f"{c.path}:{c.lines}" for c in answer.citations[:3])
                    print(f"  [{llm}] {q.id}: {q.question!r} -> {answer.mode}: {answer.answer[:240]!r} [{cited}]",
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
                phrased = f"{100 * sum(r[5] == 'llm' for r in part) / len(part):.0f} %"
                print(
                    f"{llm:8} {style:9} {len(part):>3} {value:>13} {cited:>13} {valid:>16} {p50:>7.2f} {phrased:>8}"
                )
        hub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
