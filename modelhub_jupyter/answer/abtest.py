"""A/B runs of two prompt template versions: the same questions answered with each, scored
(:mod:`.scoring`), compared with paired tests and a plain verdict, and stored in the catalog."""

from __future__ import annotations

import html
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ModelHubError, one_line
from . import scoring
from .scoring import Question, Score

if TYPE_CHECKING:
    from .templates import Prompts, PromptTemplate

ALPHA = 0.05
SMALL_SECONDS = 0.05  # a latency difference below this is no difference anyone notices


@dataclass
class ABResult:
    """Two versions side by side: per-version figures (``sides``), paired tests (``tests``), a plain
    ``verdict``, and each question's two scores (``rows``)."""

    name: str
    a: str  # labels: "answer@1"
    b: str
    llm: str
    questions: int
    sides: dict[str, dict[str, Any]]
    tests: dict[str, dict[str, Any]]
    verdict: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = "done"  # "partial": some questions failed or the run was interrupted
    from_catalog: bool = True
    id: int | None = None
    at: float = 0.0
    user: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ABResult:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def table(self) -> list[tuple[str, str, str]]:
        """(figure, A, B) rows."""
        a, b = self.sides["a"], self.sides["b"]
        return [
            ("version", self.a, self.b),
            ("value stated", _share(a["value_right"], a["value_n"]), _share(b["value_right"], b["value_n"])),
            ("source cited", _share(a["cited_right"], a["cited_n"]), _share(b["cited_right"], b["cited_n"])),
            ("citations valid", _share(a["valid"], a["n"]), _share(b["valid"], b["n"])),
            ("answer length (chars, median)", f"{a['chars_median']:.0f}", f"{b['chars_median']:.0f}"),
            ("latency p50 (s)", f"{a['latency_p50']:.2f}", f"{b['latency_p50']:.2f}"),
            ("phrased with the prompt", _share(a["prompted"], a["n"]), _share(b["prompted"], b["n"])),
            ("model's answer kept", _share(a.get("kept", 0), a["n"]), _share(b.get("kept", 0), b["n"])),
            ("errors", str(a["errors"]), str(b["errors"])),
        ]

    def text(self) -> str:
        rows = self.table()
        width = max(len(r[0]) for r in rows)
        head = f"A/B {'#' + str(self.id) + ' ' if self.id else ''}{self.a} vs {self.b}: {self.questions} question(s), llm {self.llm}"
        lines = [head + (f" ({self.status})" if self.status != "done" else "")]
        lines += [f"  {k:<{width}}  {va:>14}  {vb:>14}" for k, va, vb in rows]
        lines += ["", self.verdict, *(f"note: {n}" for n in self.notes)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td style='text-align:left'>{html.escape(k)}</td><td>{html.escape(va)}</td>"
            f"<td>{html.escape(vb)}</td></tr>"
            for k, va, vb in self.table()[1:]
        )
        notes = "".join(f"<br><i>{html.escape(n)}</i>" for n in self.notes)
        return (
            f"<b>A/B {html.escape(self.a)} vs {html.escape(self.b)}</b> · {self.questions} question(s) · "
            f"llm {html.escape(self.llm)}<table><tr><th></th><th>A {html.escape(self.a)}</th>"
            f"<th>B {html.escape(self.b)}</th></tr>{body}</table><p>{html.escape(self.verdict)}</p>{notes}"
        )


@dataclass
class ABRuns:
    """Stored A/B runs, newest first."""

    runs: list[ABResult]

    def to_dict(self) -> dict[str, Any]:
        keys = ("id", "at", "user", "a", "b", "llm", "questions", "status", "verdict")
        return {"runs": [{k: getattr(r, k) for k in keys} for r in self.runs]}

    def text(self) -> str:
        if not self.runs:
            return "no A/B runs yet: modelhub prompts ab A B"
        return "\n".join(
            f"#{r.id:<4} {_when(r.at)}  {r.a} vs {r.b}  llm {r.llm}  {r.questions} q  {r.status}: {r.verdict}"
            for r in self.runs
        )

    def __repr__(self) -> str:
        return self.text()

    def __iter__(self) -> Any:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.text()) + "</pre>"


def run_ab(
    prompts: Prompts,
    a: PromptTemplate,
    b: PromptTemplate,
    questions: list[Question],
    *,
    llm: Any = "none",
    from_catalog: bool = True,
    timeout: float = 120.0,
    progress: Callable[[int, int], None] | None = None,
) -> ABResult:
    """Ask every question with ``a`` and with ``b`` (alternating which goes first), score, compare, store;
    ``progress(done, total)`` after each question."""
    from ..analytics import current_user
    from .ask import ask
    from .llm import chat_model, model_name

    hub = prompts.hub
    hub.require_documents()
    model = chat_model(llm) if llm is None or isinstance(llm, str) else llm  # loaded once, for both
    llm_name = model_name(model) if model is not None else "none"
    hub.search("warm up", record=False)  # the first search loads the embedder: not A's time
    rows: list[dict[str, Any]] = []
    interrupted = False
    try:
        for i, q in enumerate(questions):
            scores: dict[str, Score] = {}
            for side, template in (("a", a), ("b", b)) if i % 2 == 0 else (("b", b), ("a", a)):
                started = time.perf_counter()
                try:
                    answer = ask(hub, q.question, llm=model if model is not None else "none", timeout=timeout,
                                 template=template, from_catalog=from_catalog)  # fmt: skip
                    scores[side] = scoring.score(answer, q, time.perf_counter() - started)
                except ModelHubError as err:
                    scores[side] = Score(None, None, False, 0, time.perf_counter() - started, "error", False,
                                         one_line(err))  # fmt: skip
            rows.append(
                {"id": q.id, "question": q.question, "a": scores["a"].to_dict(), "b": scores["b"].to_dict()}
            )
            if progress is not None:
                progress(len(rows), len(questions))
    except KeyboardInterrupt:
        interrupted = True
    result = summarise(prompts.name, a.label, b.label, llm_name, rows, from_catalog)
    if interrupted:
        result.status = "partial"
        result.notes.append(f"interrupted after {len(rows)} of {len(questions)} question(s)")
    result.user = current_user()
    result.at = time.time()
    result.id = hub.catalog.record_ab_run(
        prompts.name, a.version, b.version, result.user, llm_name, len(rows), result.status, result.verdict,
        result.to_dict(),
    )  # fmt: skip
    if interrupted:
        raise KeyboardInterrupt
    return result


def summarise(
    name: str, a: str, b: str, llm: str, rows: list[dict[str, Any]], from_catalog: bool = True
) -> ABResult:
    """The figures, tests and verdict of an A/B run from its rows (each: ``a`` and ``b`` score dicts)."""
    sides = {side: _side([r[side] for r in rows]) for side in ("a", "b")}
    both = [r for r in rows if not r["a"]["error"] and not r["b"]["error"]]
    tests = {
        "value_stated": _paired_flags(both, "value"),
        "citations_valid": _paired_flags(both, "valid"),
        "model_answer_kept": _paired_flags(
            [{side: {**r[side], "kept": r[side]["mode"] == "llm"} for side in ("a", "b")} for r in both],
            "kept",
        ),
        "latency_s": _paired_numbers(both, "seconds"),
        "answer_chars": _paired_numbers(both, "chars"),
    }
    notes = []
    errors = sides["a"]["errors"] + sides["b"]["errors"]
    if errors:
        notes.append(f"{errors} answer(s) failed and are left out of the paired tests")
    prompted = sides["a"]["prompted"] + sides["b"]["prompted"]
    total = 2 * len(rows)
    if rows and prompted < total:
        catalog = sum(r[s]["mode"] == "catalog" for r in rows for s in ("a", "b"))
        parts = [f"{prompted} of {total} answers were phrased with a prompt"]
        if catalog:
            parts.append(f"{catalog} came from the catalog, which uses no prompt"
                         + (" (from_catalog=False / --passages-only sends them through it)" if from_catalog else ""))  # fmt: skip
        notes.append("; ".join(parts))
    result = ABResult(name, a, b, llm, len(rows), sides, tests, "", rows, notes,
                      "partial" if errors else "done", from_catalog)  # fmt: skip
    result.verdict = verdict(result)
    return result


def verdict(result: ABResult) -> str:
    """One plain paragraph: which version is better on what, with the test behind it."""
    a, b = f"A ({result.a})", f"B ({result.b})"
    if not result.rows:
        return "No question was answered: nothing to compare."
    clauses = []
    if result.sides["a"]["prompted"] + result.sides["b"]["prompted"] == 0:
        clauses.append(
            "No answer was phrased with a prompt (no language model, or the catalog answered), so the "
            "two versions cannot differ here"
        )
    aspects = [("value_stated", "accuracy"), ("citations_valid", "citation validity")]
    if result.sides["a"]["prompted"] + result.sides["b"]["prompted"]:
        aspects.append(("model_answer_kept", "keeping the model's answers"))
    for key, what in aspects:
        test = result.tests.get(key)
        if test is None:
            continue
        if test["n"] == 0:
            if key == "value_stated":
                clauses.append("no accuracy to compare (no question has a known answer)")
            continue
        counts = f"{test['a_right']} vs {test['b_right']} of {test['n']}"
        if test["p"] < ALPHA:
            better = b if test["b_only"] > test["a_only"] else a
            clauses.append(f"{better} is better on {what} ({counts}, McNemar {scoring.fmt_p(test['p'])})")
        else:
            clauses.append(f"no difference in {what} ({counts}, {scoring.fmt_p(test['p'])})")
    latency = result.tests["latency_s"]
    if latency["n"]:
        low, high = latency["ci95"]
        if (low > 0 or high < 0) and abs(latency["mean_diff"]) >= SMALL_SECONDS:
            faster = a if latency["mean_diff"] > 0 else b
            clauses.append(
                f"{faster} is faster by {abs(latency['mean_diff']):.2f} s per answer "
                f"(95 % CI of B - A: {low:+.2f} to {high:+.2f} s)"
            )
        else:
            clauses.append("no difference in latency")
    text = "; ".join(clauses)
    return text[:1].upper() + text[1:] + "."


def _side(scores: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [s for s in scores if not s["error"]]
    valued = [s for s in ok if s["value"] is not None]
    cited = [s for s in ok if s["cited"] is not None]
    return {
        "n": len(ok),
        "errors": len(scores) - len(ok),
        "value_n": len(valued),
        "value_right": sum(bool(s["value"]) for s in valued),
        "value_stated": _ratio(sum(bool(s["value"]) for s in valued), len(valued)),
        "cited_n": len(cited),
        "cited_right": sum(bool(s["cited"]) for s in cited),
        "source_cited": _ratio(sum(bool(s["cited"]) for s in cited), len(cited)),
        "valid": sum(bool(s["valid"]) for s in ok),
        "citations_valid": _ratio(sum(bool(s["valid"]) for s in ok), len(ok)),
        "chars_median": float(statistics.median(s["chars"] for s in ok)) if ok else 0.0,
        "chars_mean": float(statistics.fmean(s["chars"] for s in ok)) if ok else 0.0,
        "latency_p50": float(statistics.median(s["seconds"] for s in ok)) if ok else 0.0,
        "prompted": sum(bool(s["prompted"]) for s in ok),
        "kept": sum(s["mode"] == "llm" for s in ok),  # the model's answer survived the checks
    }


def _paired_flags(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    pairs = [(r["a"][key], r["b"][key]) for r in rows if r["a"][key] is not None and r["b"][key] is not None]
    a_only = sum(bool(x) and not y for x, y in pairs)
    b_only = sum(bool(y) and not x for x, y in pairs)
    return {
        "n": len(pairs),
        "a_right": sum(bool(x) for x, _ in pairs),
        "b_right": sum(bool(y) for _, y in pairs),
        "a_only": a_only,
        "b_only": b_only,
        "p": mcnemar(a_only, b_only),
        "test": "McNemar exact (two-sided)",
    }


def mcnemar(a_only: int, b_only: int) -> float:
    return scoring.mcnemar_exact(a_only, b_only)


def _paired_numbers(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    diffs = [float(r["b"][key]) - float(r["a"][key]) for r in rows]
    low, high = scoring.bootstrap_ci(diffs)
    return {
        "n": len(diffs),
        "mean_diff": float(statistics.fmean(diffs)) if diffs else 0.0,
        "ci95": [low, high],
        "test": "paired bootstrap, 95 % CI of the mean of B - A",
    }


def _ratio(k: int, n: int) -> float | None:
    return round(k / n, 4) if n else None


def _share(k: int, n: int) -> str:
    return f"{k}/{n} ({100 * k / n:.0f} %)" if n else "-"


def _when(at: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M") if at else ""
