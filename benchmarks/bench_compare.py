"""Compare and notebook speed on the example workspace (issue 14), medians of a few runs, each against
a baseline measured in the same run:

- render a notebook (model_analysis with its snapshot; target <= 1 s) vs reading and writing the
  template with nbformat;
- compare two models (transformer_v1 vs transformer_v2; target <= 0.5 s) vs resolving the two names;
- execute model_analysis (target <= 60 s) and train_model with its defaults, registered into the
  store (target <= 60 s), vs executing a notebook with one empty cell (a kernel's start and stop);
- print the executed model_analysis to PDF (webpdf, system Chromium; no target) vs its HTML export.

    .venv/bin/python benchmarks/bench_compare.py [--home INDEXED_HOME] [--runs 5] [--exec-runs 3]

Without --home the example workspace is built and indexed into a temporary store first (minutes).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat

from modelhub_jupyter import Hub
from modelhub_jupyter.compare.resolve import resolve
from modelhub_jupyter.notebooks.templates import template_path


def median_of(fn: Callable[[int], Any], runs: int) -> float:
    times = []
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def line(what: str, value: float, baseline: float, base_what: str, target: float | None) -> None:
    goal = "" if target is None else f"  target <= {target:g} s: {'ok' if value <= target else 'OVER'}"
    print(f"{what:<38} median {value:8.3f} s   ({base_what} {baseline:.3f} s, x{value / max(baseline, 1e-9):.1f}){goal}",
          flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", help="A store that has indexed the example workspace (else one is made).")
    parser.add_argument("--runs", type=int, default=5, help="Runs of render and compare.")
    parser.add_argument("--exec-runs", type=int, default=3, help="Runs of each executed notebook.")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    home = Path(args.home) if args.home else None
    if home is None:
        from modelhub_jupyter.demo import build_workspace

        home = tmp / "home"
        with Hub(home) as hub:
            started = time.perf_counter()
            hub.index(build_workspace(tmp / "ws" / "my-models"), progress=False)
            print(f"indexed the example workspace in {time.perf_counter() - started:.1f} s", flush=True)
    out = tmp / "out"
    out.mkdir()
    with Hub(home) as hub:
        hub.compare(["transformer_v1", "transformer_v2"])  # warm: first catalog reads

        def copy_template(i: int) -> None:
            nbformat.write(
                nbformat.read(template_path("model_analysis"), as_version=4), str(out / f"copy{i}.ipynb")
            )

        def render(i: int) -> None:
            hub.notebook(
                "model_analysis", out=out / f"render{i}.ipynb", model="transformer_v2", progress=False
            )

        line("render model_analysis", median_of(render, args.runs), median_of(copy_template, args.runs),
             "nbformat read+write", 1.0)  # fmt: skip

        def names(_i: int) -> None:
            for n in ("transformer_v1", "transformer_v2"):
                resolve(hub.catalog, n)

        def compare(_i: int) -> None:
            hub.compare(["transformer_v1", "transformer_v2"])

        line("compare transformer_v1 vs _v2", median_of(compare, args.runs), median_of(names, args.runs),
             "resolving the names", 0.5)  # fmt: skip

        empty = out / "empty.ipynb"
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, str(empty))

        def kernel(i: int) -> None:
            import papermill

            papermill.execute_notebook(str(empty), str(out / f"empty{i}.ipynb"), progress_bar=False)

        base = median_of(kernel, args.exec_runs)

        def analysis(i: int) -> None:
            run = hub.notebook("model_analysis", out=out / f"analysis{i}.ipynb", model="transformer_v2",
                               execute=True, progress=False, user="bench")  # fmt: skip
            assert run.status == "ok", run

        line("execute model_analysis", median_of(analysis, args.exec_runs), base, "empty notebook", 60.0)

        from modelhub_jupyter.notebooks.pdf import export_pdf, system_chromium
        from modelhub_jupyter.notebooks.run import export_html

        executed = out / "analysis0.ipynb"
        if system_chromium():
            line("PDF of executed model_analysis", median_of(lambda i: export_pdf(executed, out / f"a{i}.pdf"),
                                                             args.exec_runs),
                 median_of(lambda _i: export_html(executed), args.exec_runs), "HTML export", None)  # fmt: skip
        else:
            print("PDF export: skipped (no /usr/bin/chromium, no $MODELHUB_CHROMIUM)")

        registry = tmp / "registry-home"

        def train(i: int) -> None:
            run = hub.notebook("train_model", out=out / f"train{i}.ipynb", out_dir=str(out / "trained"),
                               home=str(registry), execute=True, progress=False, user="bench")  # fmt: skip
            assert run.status == "ok", run

        line("execute train_model (defaults)", median_of(train, args.exec_runs), base, "empty notebook", 60.0)
        with Hub(registry) as reg:
            versions = reg.models.store.versions("tiny-spiral-mlp")
            print(f"train_model registered {', '.join(v.version for v in versions)}; last: parent {versions[-1].parent}, "
                  f"metrics {versions[-1].metrics}")  # fmt: skip


if __name__ == "__main__":
    main()
