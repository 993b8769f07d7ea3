"""Answering a question about the workspace, with checked citations.

Metadata questions ("which models use AdamW, and with what learning rate?") are answered from
the catalog: each value with the file and line it was read from, no language model. Other
questions retrieve passages (hybrid search, filters read from the words) and either quote the
best of them (extractive, no model) or let a language model phrase an answer from them; every
number and file name it states must appear in its sources, or the sentence is dropped. Every
citation is checked to exist and to hold the cited lines before it is shown.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from ..errors import QueryError, one_line
from ..results import Answer, Citation, Hit
from ..vocabulary import display, flatten, lookup
from . import citations, prompt
from .asked import asked_keys, asked_targets, asks_other, label_of
from .intent import Intent, classify
from .verify import check_answer

if TYPE_CHECKING:
    from ..hub import Hub
    from .templates import PromptTemplate

MAX_QUESTION = 4000
PASSAGES = 4
MAX_FILES = 12
DEFAULT_TIMEOUT = 120.0
_CLAUSE_KEY = re.compile(r"^([\w.\-]+?)(?:!=|>=|<=|=|>|<|~)")
_WORD = re.compile(r"[A-Za-z][\w.\-]*[A-Za-z0-9]|[A-Za-z]")
_SPLIT = re.compile(r"[/_.\-\s]+")
_COMMON = frozenset(
    "the and for with what which who how does did use uses used model models file files code config "
    "configs trained train training dataset data learning rate size batch many much have has get gets "
    "are is was were this that those these all any show list tell about from into".split()
)
_QUESTION_WORDS = frozenset(
    "how why when where who whom whose does do did can could should would default".split()
)
_ASKS_VALUE = re.compile(r"\b(?:what|which|how many|how much|how long)\b", re.IGNORECASE)
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_LINE_WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?")
_DIGIT = re.compile(r"\d")
EXTRACT_CHARS = 220  # of each passage's opening quoted
MAX_LINES = 400  # lines of one passage read for the best line
_LATER = {
    "comparison": "side-by-side comparison",
    "notebook": "notebook generation",
}


def ask(
    hub: Hub,
    question: str,
    *,
    kind: str = "all",
    where: list[str] | None = None,
    llm: Any = None,
    on_token: Callable[[str], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    template: PromptTemplate | None = None,
    from_catalog: bool = True,
) -> Answer:
    """Answer ``question``; ``llm`` is a chat model, a ``MODELHUB_LLM``-style spec, or ``"none"``.

    A language model is prompted with ``template`` (default: the active version of ``hub.prompts``);
    ``from_catalog=False`` sends metadata questions through the passages too (A/B runs of prompts).
    """
    started = time.perf_counter()
    question = (question or "").strip()
    if not question:
        raise QueryError("empty question: ask something about the indexed workspace")
    if len(question) > MAX_QUESTION:
        raise QueryError(f"the question is {len(question):,} characters long; at most {MAX_QUESTION:,}")
    hub.require_documents()
    intent = classify(question)
    answer = None
    if intent.name == "metadata_lookup" and from_catalog:
        answer = _from_catalog(hub, question, intent, kind, where)
    if answer is None:
        answer = _from_passages(hub, question, intent, kind, where, llm, on_token, timeout, template)
    if intent.name in _LATER:
        answer.notes.append(f"{_LATER[intent.name]} is not built yet: answered from the passages")
    answer.seconds = time.perf_counter() - started
    return answer


# -- from the catalog ----------------------------------------------------------------------------
def _from_catalog(
    hub: Hub, question: str, intent: Intent, kind: str, where: list[str] | None
) -> Answer | None:
    if asks_other(question):
        return None  # an attribute the catalog has no key for: the passages answer
    results = hub.search(question, kind=kind, where=where, limit=60, record=False)
    asked = asked_keys(question)
    asked_names = {key for key, _ in asked}
    for clause in results.understood:  # "which models use AdamW": show the value they were picked by
        match = _CLAUSE_KEY.match(clause)
        if match and match.group(1) not in asked_names:
            asked.append((match.group(1), label_of(match.group(1))))
            asked_names.add(match.group(1))
    files: dict[tuple[str, str], Hit] = {}
    for hit in results:
        files.setdefault((hit.root, str(hit.metadata.get("filepath") or hit.path)), hit)
    subject = _subject(question, results.phrases, files)
    if subject:
        files = {k: h for k, h in files.items() if any(s in _names(k[1], h) for s in subject)}
    notes = list(results.notes)
    numbered: dict[tuple[str, str, tuple[int, int] | None], Citation] = {}
    facts: list[dict[str, Any]] = []
    lines: list[str] = []
    for (_root, path), hit in list(files.items())[:MAX_FILES]:
        parts = []
        for key, label in asked:
            for fact_key, fact_label, value in _values(hit.metadata, key, label):
                citation = _cite(hit, path, fact_key, value, numbered)
                if citation is None:
                    continue
                facts.append(
                    {"path": path, "key": fact_key, "label": fact_label, "value": value, "n": citation.n}
                )
                parts.append(f"{fact_label} {display(value)} [{citation.n}]")
        if parts:
            lines.append(f"- {path}: " + "; ".join(parts))
    if not facts:
        return None  # the passages answer instead
    head = ""
    if results.understood:
        head = f"{len(lines)} file(s) match {', '.join(dict.fromkeys(results.phrases))}:\n"
    return Answer(
        question=question,
        answer=head + "\n".join(lines),
        intent=intent.name,
        confidence=intent.confidence,
        mode="catalog",
        citations=sorted(numbered.values(), key=lambda c: c.n),
        facts=facts,
        understood=list(results.understood),
        notes=notes,
    )


def _values(metadata: dict[str, Any], key: str, label: str) -> list[tuple[str, str, Any]]:
    value = lookup(metadata, key)
    if value is None or value == [] or value == "":
        return []
    written = lookup(metadata, f"{key}_as_written")  # "CelebA" where filters use "celeba"
    if isinstance(written, str) and written:
        value = written
    if isinstance(value, dict):  # performance: every metric
        return [
            (f"{key}.{k}", k.replace("_", " "), v) for k, v in flatten(value).items() if v not in (None, "")
        ]
    return [(key, label, value)]


def _cite(
    hit: Hit,
    path: str,
    key: str,
    value: Any,
    numbered: dict[tuple[str, str, tuple[int, int] | None], Citation],
) -> Citation | None:
    where = (hit.provenance or {}).get(key, "")
    citation = citations.from_provenance(where, hit.root, key=key, value=value)
    if citation is None:  # "git log", "file system times": the file itself
        citation = Citation(path, None, hit.root, key=key, value=value)
    citation = citations.check(citation)
    if not citation.valid:
        return None
    ident = (citation.root, citation.path, citation.lines)
    if ident in numbered:
        return numbered[ident]
    citation.n = len(numbered) + 1
    numbered[ident] = citation
    return citation


def _names(path: str, hit: Hit) -> set[str]:
    """The names a file goes by: its path's parts and stems, split at ``_ - .`` too, its model id."""
    md = hit.metadata
    whole = [path, *path.split("/"), str(md.get("model_id") or "")]
    stems = [w.rsplit(".", 1)[0] for w in whole if w]
    return {n.lower() for n in [*whole, *stems, *_SPLIT.split(" ".join(stems))] if n}


def _subject(question: str, phrases: list[str], files: dict[tuple[str, str], Hit]) -> list[str]:
    """Words of the question that name some, not all, of the files ("transformer_v2", "dcgan")."""
    taken = " ".join(phrases).lower()
    words = [w.lower() for w in _WORD.findall(question)]
    words = [w for w in words if len(w) >= 3 and w not in _COMMON and w not in taken]
    names = [_names(path, hit) for (_, path), hit in files.items()]
    return [w for w in dict.fromkeys(words) if 0 < sum(w in n for n in names) < len(names)]


# -- from passages -------------------------------------------------------------------------------
def _from_passages(
    hub: Hub,
    question: str,
    intent: Intent,
    kind: str,
    where: list[str] | None,
    llm: Any,
    on_token: Callable[[str], None] | None,
    timeout: float,
    template: PromptTemplate | None = None,
) -> Answer:
    base = retrieve(hub, question, intent, kind, where)
    if not base.passages:
        base.answer = "Nothing in the index answers this."
        return base
    model = _model(llm)
    if model is not None:
        try:
            return _phrased(base, model, on_token, timeout, template or hub.prompts.active())
        except Exception as err:  # noqa: BLE001 - a failing model falls back to the passages
            base.notes.append(f"the language model failed ({one_line(err)[:160]}); extractive answer")
    base.mode = "extractive"
    base.answer = _extract(base.passages, base.citations, base.question)
    return base


def retrieve(hub: Hub, question: str, intent: Intent, kind: str, where: list[str] | None) -> Answer:
    """The passages (at most :data:`PASSAGES`, each citation checked) a question is answered from,
    in an :class:`Answer` with no answer text yet."""
    search_kind = "image" if intent.name == "image_search" and kind == "all" else kind
    if search_kind == "image":
        results = hub.search(question, kind=search_kind, where=where, limit=PASSAGES * 2, record=False)
    else:  # every piece of a function where it ranks: the second may hold the value asked for
        results = hub._search_engine().search(
            question, kind=search_kind, where=where, limit=PASSAGES * 2, pieces=True
        )
        if search_kind == "all":
            hub.images.mark(results)  # as hub.search does: image hits carry their safety scores
    passages: list[Hit] = []
    cited: list[Citation] = []
    notes = list(results.notes)
    for hit in results:
        citation = citations.check(citations.from_hit(hit))
        if not citation.valid:
            notes.append(f"left out {citation.label}: {citation.problem}")
            continue
        citation.n = len(cited) + 1
        passages.append(hit)
        cited.append(citation)
        if len(passages) == PASSAGES:
            break
    return Answer(
        question=question,
        answer="",
        intent=intent.name,
        confidence=intent.confidence,
        citations=cited,
        passages=passages,
        understood=list(results.understood),
        notes=notes,
    )


def _model(llm: Any) -> Any:
    if llm is None or isinstance(llm, str):
        from .llm import chat_model

        return chat_model(llm)
    return llm


def _extract(passages: list[Hit], cited: list[Citation], question: str = "") -> str:
    """The passages quoted: each one's opening and, where the question's words point at a line
    further in (``lora_r: int = 8`` for "what lora rank r"), that line with its number."""
    lines = ["The passages that best match the question:"]
    wanted = _line_words(question) - _COMMON - _QUESTION_WORDS
    target = _line_words(" ".join(asked_targets(question))) & wanted  # "what momentum does": momentum
    asks_value = bool(_ASKS_VALUE.search(question))
    for hit, citation in zip(passages, cited, strict=True):
        text = hit.body
        if hit.kind == "image":
            text = str(hit.metadata.get("prompt") or text)
        first = " ".join(text.split())[:EXTRACT_CHARS]
        symbol = hit.metadata.get("symbol") or hit.metadata.get("model_id")
        quoted = f"[{citation.n}] {citation.label}" + (f" ({symbol})" if symbol else "") + f": {first}"
        line = _best_line(text, wanted, target, asks_value) if wanted and hit.kind != "image" else None
        shown = " ".join((line or "").split())[:160]
        if shown and shown not in first:
            number = citations.line_of(citation, line or "")
            quoted += f" … {f'line {number}' if number else 'further on'}: {shown}"
        lines.append(quoted)
    return "\n".join(lines)


def _line_words(text: str) -> set[str]:
    """Lower-case words of ``text``, identifiers split at ``_``, dots and camelCase (``lora_r``:
    lora, r)."""
    spaced = _CAMEL.sub(r"\1 \2", text)
    return {w for w in _LINE_WORD.findall(spaced.lower()) if w}


def _best_line(text: str, wanted: set[str], target: set[str], asks_value: bool) -> str | None:
    """The line of ``text`` holding most of the ``wanted`` words, those of the attribute asked for
    (``target``) counting twice, at least two in all (one when the question has only one); for a
    question asking a value, a line with a number wins a tie. None when no line is that close."""
    need = min(2, len(wanted))
    best: tuple[float, str] | None = None
    for line in text.splitlines()[:MAX_LINES]:
        words = _line_words(line)
        hits = len(words & wanted) + len(words & target)
        if hits < need:
            continue
        score = hits + (0.5 if asks_value and _DIGIT.search(line) else 0.0)
        if best is None or score > best[0]:
            best = (score, line)
    return None if best is None else best[1]


def prompt_inputs(base: Answer) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The passages as a template gets them (``n``, ``label``, ``text``) and as answers are checked
    against (``{n: text}``)."""
    sources = {}
    shown = []
    for hit, citation in zip(base.passages, base.citations, strict=True):
        text = hit.body
        sources[citation.n] = f"{citation.label}\n{text}"
        shown.append({"n": citation.n, "label": citation.label, "text": text})
    return shown, sources


def _phrased(
    base: Answer,
    model: Any,
    on_token: Callable[[str], None] | None,
    timeout: float,
    template: PromptTemplate,
) -> Answer:
    from langchain_core.messages import HumanMessage, SystemMessage

    from .llm import model_name

    shown, sources = prompt_inputs(base)
    system, user = prompt.render(base.question, shown, [], template)
    messages = [SystemMessage(content=system), HumanMessage(content=user)]

    def generate() -> str:
        if on_token is None:
            return str(model.invoke(messages).content)
        out = []
        for chunk in model.stream(messages):
            token = str(chunk.content)
            out.append(token)
            on_token(token)
        return "".join(out)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="modelhub-llm")
    try:
        raw = pool.submit(generate).result(timeout=timeout)
    except FutureTimeout:
        raise TimeoutError(f"no answer within {timeout:g} s") from None
    finally:
        pool.shutdown(wait=False)
    checked = check_answer(raw, sources)
    base.model = model_name(model)
    base.prompt_version = template.label
    if checked.dropped:
        base.notes.append(f"dropped {len(checked.dropped)} sentence(s) that no cited source supports")
    if not checked.text:
        base.mode = "extractive"
        base.notes.append("the language model's answer was not supported by the sources; extractive answer")
        base.answer = _extract(base.passages, base.citations, base.question)
        return base
    base.mode = "llm"
    base.answer = checked.text
    return base
