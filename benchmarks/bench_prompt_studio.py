"""Prompt Studio speed on the example workspace (issue 16): what one keystroke-pause costs in the panel,
medians of a few runs, against a baseline measured in the same run.

- live preview of edited text for the same sample question (``PromptStudio`` trait change ->
  ``Prompts.preview``: Jinja2 check + render, retrieval cached) vs a cold preview (a new question:
  retrieval runs) and vs the plain search retrieval makes (``hub.search``, not recorded);
- diff_html between two versions; save a version (check + catalog write).

    .venv/bin/python benchmarks/bench_prompt_studio.py [--home INDEXED_HOME] [--runs 15]

Without --home the example workspace is built and indexed into a temporary store first (a minute).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelhub_jupyter import Hub
from modelhub_jupyter.answer import prompt
from modelhub_jupyter.widgets import PromptStudio

QUESTIONS = [
    "Which optimizer and learning rate does the GPT training script use?",
    "how is the learning rate warmed up",
    "which models use AdamW",
    "what noise schedule does the diffusion model use",
    "how many layers does the transformer have",
]


def median_ms(fn: Callable[[int], Any], runs: int) -> float:
    times = []
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--home", type=Path, help="an indexed MODELHUB_HOME (default: index the example workspace)"
    )
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.home is None:
            from modelhub_jupyter.demo import build_workspace

            home = Path(tmp) / "home"
            with Hub(home) as hub:
                hub.index(build_workspace(Path(tmp) / "ws"), progress=False)
        else:
            home = args.home
        with Hub(home) as hub:
            studio = PromptStudio(hub)
            hub.search("warm up", record=False)
            runs = args.runs
            search = median_ms(lambda i: hub.search(QUESTIONS[i % 5] + f" {i}", limit=12, record=False), runs)
            cold = median_ms(lambda i: studio.set_state({"question": QUESTIONS[i % 5] + f" v{i}"}), runs)
            studio.set_state({"question": QUESTIONS[0]})
            live = median_ms(lambda i: studio.set_state({"user": prompt.USER + f"\nEdit {i}."}), runs)
            assert studio.render_error == "" and f"Edit {runs - 1}." in studio.rendered["user"]
            saved = [
                hub.prompts.save(user=prompt.USER + f"\nSaved {i}.", note="bench").version for i in range(2)
            ]
            diff = median_ms(lambda i: hub.prompts.diff_html(saved[0], saved[1]), runs)
            n = iter(range(1000))
            save = median_ms(
                lambda i: hub.prompts.save(user=prompt.USER + f"\nMore {next(n)}."), min(runs, 8)
            )
            print(f"example workspace, {runs} runs each, medians")
            print(f"  baseline hub.search (retrieval's search)          {search:8.1f} ms")
            print(f"  preview, new question (retrieval + render)        {cold:8.1f} ms")
            print(f"  live preview of an edit (same question, cached)   {live:8.1f} ms")
            print(f"  diff_html of two versions                         {diff:8.1f} ms")
            print(f"  save a version (check + catalog write)            {save:8.1f} ms")


if __name__ == "__main__":
    main()
