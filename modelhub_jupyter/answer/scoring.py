"""Scoring answers against questions with known answers, and paired tests for comparing two ways
of answering (prompt A/B runs, ``benchmarks/bench_answers.py``).

An answer is scored on: the expected value stated (numbers compared as numbers), one of the
expected files cited, every citation re-checked valid (file inside its root, lines present).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BadInputError

if TYPE_CHECKING:
    from ..results import Answer, Citation

#: The example workspace's questions with known answers (``modelhub demo`` builds that workspace).
GOLD = Path(__file__).resolve().parent.parent / "demo" / "questions.yaml"
MAX_QUESTIONS = 500


@dataclass(frozen=True)
class Question:
    """A question; ``answer`` (the value to state) and ``sources`` (paths, any one to cite) when known."""

    question: str
    id: str = ""
    style: str = ""
    answer: Any = None
    sources: tuple[str, ...] = ()

    @property
    def has_answer(self) -> bool:
        return self.answer is not None


@dataclass
class Score:
    """How one answer did (``value``/``cited`` are None when the question has nothing to check them by)."""

    value: bool | None
    cited: bool | None
    valid: bool
    chars: int
    seconds: float
    mode: str
    prompted: bool  # phrased with the prompt (a language model answered from it)
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def stated(answer: str, expected: object) -> bool:
    """Whether ``answer`` states ``expected`` (a number: any number in it equal to it; else the text)."""
    from .verify import numbers

    if isinstance(expected, int | float) and not isinstance(expected, bool):
        target = float(expected)
        return any(abs(n - target) <= 1e-9 * max(1.0, abs(target)) for n in numbers(answer))
    return str(expected).lower() in answer.lower()


def source_cited(cited: Sequence[Citation], sources: Sequence[str]) -> bool:
    """Whether a citation names one of ``sources`` (a file, or a file under a folder)."""
    return any(c.path == s or c.path.startswith(s.rstrip("/") + "/") for c in cited for s in sources)


def citations_valid(cited: Sequence[Citation]) -> bool:
    """Whether there are citations and every one still checks (exists, inside its root, lines held)."""
    from . import citations

    return bool(cited) and all(citations.check(c).valid for c in cited)


def score(answer: Answer, question: Question, seconds: float) -> Score:
    """Score one answer to ``question`` that took ``seconds``."""
    return Score(
        value=stated(answer.answer, question.answer) if question.has_answer else None,
        cited=source_cited(answer.citations, question.sources) if question.sources else None,
        valid=citations_valid(answer.citations),
        chars=len(answer.answer),
        seconds=seconds,
        mode=answer.mode,
        prompted=bool(answer.prompt_version),
    )


def load_questions(source: str | Path | Sequence[str | dict[str, Any]] | None = None) -> list[Question]:
    """Questions from ``source``: None or ``"gold"`` (:data:`GOLD`), a file (YAML or JSON in the gold
    format or a plain list; any other file: one question per line, ``#`` comments), or a list of
    strings or dicts (``question``, optional ``answer``, ``sources``, ``id``, ``style``)."""
    items: Any
    if source is None or (isinstance(source, str) and source.strip().lower() == "gold"):
        source = GOLD
    if isinstance(source, str | Path):
        path = Path(source).expanduser()
        if not path.is_file():
            raise BadInputError(f"{path}: no such questions file")
        text = path.read_text(encoding="utf-8", errors="replace")
        items = _parse(path, text)
    else:
        items = list(source)
    if isinstance(items, dict):
        items = items.get("questions")
    if not isinstance(items, list):
        raise BadInputError("a questions file holds a list of questions (or {questions: [...]})")
    questions = [_question(item, i) for i, item in enumerate(items, start=1)]
    questions = [q for q in questions if q.question]
    if not questions:
        raise BadInputError("no questions to ask: the question set is empty")
    if len(questions) > MAX_QUESTIONS:
        raise BadInputError(f"{len(questions):,} questions; at most {MAX_QUESTIONS} in one run")
    return questions


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        import yaml

        try:
            return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as err:
            raise BadInputError(f"{path.name}: not readable as {path.suffix[1:].upper()}: "
                                f"{' '.join(str(err).split())[:200]}") from None  # fmt: skip
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _question(item: Any, n: int) -> Question:
    if isinstance(item, str):
        return Question(" ".join(item.split()), id=f"q{n}")
    if not isinstance(item, dict) or not isinstance(item.get("question"), str):
        raise BadInputError(f"question {n} is neither text nor a mapping with a 'question'")
    sources = item.get("sources") or ()
    if isinstance(sources, str):
        sources = (sources,)
    return Question(
        " ".join(item["question"].split()),
        id=str(item.get("id") or f"q{n}"),
        style=str(item.get("style") or ""),
        answer=item.get("answer"),
        sources=tuple(str(s) for s in sources),
    )


# -- paired tests ------------------------------------------------------------------------------------
def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs (right with A only, with B only)."""
    n = a_only + b_only
    if n == 0:
        return 1.0
    k = min(a_only, b_only)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def bootstrap_ci(
    differences: Sequence[float], *, level: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of paired ``differences`` (deterministic by ``seed``)."""
    values = list(differences)
    if not values:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choice(values) for _ in range(n)) / n for _ in range(resamples))
    low = means[int((1 - level) / 2 * (resamples - 1))]
    high = means[int((1 + level) / 2 * (resamples - 1))]
    return (low, high)


def fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}".rstrip("0").rstrip(".") if p < 1 else "p = 1"
