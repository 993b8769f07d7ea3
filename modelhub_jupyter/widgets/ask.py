"""``AskPanel``: ask the workspace a question; the answer streams in, with its citations and passages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from traitlets import Bool, Dict, Float, Int, List, Unicode

from ..protocols import HubLike
from . import _data
from ._frame import NOTHING_INDEXED, Panel, css, default_hub, esm

if TYPE_CHECKING:
    from ..results import Answer, Citation, Hit

EMPTY_HINT = "Ask about the indexed workspace (e.g. Which models use AdamW, and with what learning rate?)"
EMPTY_QUESTION = "Empty question: type a question about the indexed workspace, then Enter"
CONTEXT = 3  # lines shown above and below a cited value's line
MAX_LINES = 60  # lines of one cited passage sent to the front end
STREAM_EVERY = 0.05  # seconds between two pushes of the streamed text to the front end
HOW = {
    "catalog": "from the catalog — values read from the files, no language model",
    "extractive": "extractive — the best passages quoted, no language model",
}


class AskingHub(HubLike, Protocol):
    """What the Ask panel needs from a hub besides reading: ``ask`` and ``feedback``."""

    def ask(
        self,
        question: str,
        *,
        kind: str = "all",
        where: list[str] | None = None,
        llm: Any = None,
        on_token: Callable[[str], None] | None = None,
        timeout: float = 120.0,
        surface: str = "python",
    ) -> Answer: ...

    def feedback(self, query_id: int, *, good: bool | None = None, clicked: str | None = None) -> None: ...


class AskPanel(Panel):
    """Ask the hub from a notebook: ``AskPanel(hub, question="how is the learning rate warmed up")``.

    ``ask(question)`` (or Enter in the question box) runs ``hub.ask`` on a thread, so the kernel
    stays responsive; ``running`` is true meanwhile, ``answer`` fills as a language model writes
    and then holds the checked answer. ``citations`` (``[n] path:lines`` with the cited lines),
    ``passages``, ``mode``/``how``, ``prompt_version`` and ``notes`` describe it; ``rate(good)``
    (the thumbs) stores feedback with the question (``query_id``). ``llm`` is passed to ``hub.ask``
    (default: ``$MODELHUB_LLM``).
    """

    _esm = esm("ask.js")
    _css = css("search.css", "ask.css", extra=_data.pygments_css())
    panel = Unicode("ask").tag(sync=True)
    events = frozenset({"ask", "rate", "open", "star"})

    question = Unicode("").tag(sync=True)
    running = Bool(False).tag(sync=True)
    streaming = Bool(False).tag(sync=True)  # ``answer`` holds a language model's words as they come
    answer = Unicode("").tag(sync=True)
    asked = Unicode("").tag(sync=True)  # the question ``answer`` answers
    intent = Unicode("").tag(sync=True)
    mode = Unicode("").tag(sync=True)  # catalog | extractive | llm
    how = Unicode("").tag(sync=True)  # ``mode`` in words
    model_name = Unicode("").tag(sync=True)
    prompt_version = Unicode("").tag(sync=True)
    seconds = Float(0.0).tag(sync=True)
    citations = List(Dict()).tag(sync=True)
    passages = List(Dict()).tag(sync=True)
    notes = List(Unicode()).tag(sync=True)
    query_id = Int(None, allow_none=True).tag(sync=True)
    feedback = Unicode("").tag(sync=True)  # "", "up" or "down"
    starred = Bool(False).tag(sync=True)  # the question shown is one of the user's favorites

    def __init__(
        self,
        hub: AskingHub | None = None,
        *,
        question: str = "",
        llm: Any = None,
        timeout: float = 120.0,
        answer: Answer | None = None,
    ) -> None:
        super().__init__()
        self.hub = default_hub(hub)
        self.llm = llm
        self.timeout = timeout
        self.result: Answer | None = None
        self._thread: threading.Thread | None = None
        self._run = 0  # the question being answered; a model still writing an older one is not shown
        self.question = question
        if answer is not None:
            self._show(answer)
        elif question.strip():
            self.ask()
        else:
            self.refresh()

    # -- public ---------------------------------------------------------------------------
    def ask(self, question: str | None = None) -> threading.Thread | None:
        """Answer ``question`` (default: ``self.question``) on a thread; returns the thread."""
        if self.running:
            self.message = "Still answering the last question…"
            return self._thread
        if question is not None:
            self.question = question
        text = self.question.strip()
        if not text:
            self._fail(EMPTY_QUESTION)
            return None
        self._clear()
        self.running = True
        self._run += 1
        self._loading(f"Working… looking for the answer to {_short(text)!r}")
        self._thread = threading.Thread(
            target=self._work, args=(text, self._run), name="modelhub-ask", daemon=True
        )
        self._thread.start()
        return self._thread

    def wait(self, timeout: float | None = None) -> Answer | None:
        """Block until the running question is answered (tests, scripts); the answer or None."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.result

    def rate(self, good: bool) -> None:
        """Thumbs up (``good=True``) or down on the answer shown, stored with its question."""
        if self.query_id is None:
            self._fail("No stored question to rate: ask one first")
            return
        self.hub.feedback(self.query_id, good=good)
        self.feedback = "up" if good else "down"
        self.status, self.message = "idle", "Thanks — your rating is stored with the question"

    def refresh(self) -> None:
        """The hint for an empty panel (after indexing, nothing-indexed goes away)."""
        if self.running or self.asked:
            return
        if self._nothing_indexed():
            self._empty(NOTHING_INDEXED)
        else:
            self._empty(EMPTY_HINT)

    # -- messages from the front end --------------------------------------------------------
    def on_ask(self, content: dict[str, Any]) -> None:
        """``{"event": "ask", "question": ...}``: Enter or the Ask button."""
        self.ask(str(content.get("question", self.question)))

    def on_rate(self, content: dict[str, Any]) -> None:
        """``{"event": "rate", "good": true|false}``: the thumbs."""
        self.rate(bool(content.get("good")))

    def on_open(self, content: dict[str, Any]) -> None:
        """``{"event": "open", "n": n}``: the user opened citation ``n``; stored as the result clicked."""
        label = next((c["label"] for c in self.citations if c.get("n") == content.get("n")), None)
        if label and self.query_id is not None:
            self.hub.feedback(self.query_id, clicked=label)

    def on_star(self, _content: dict[str, Any]) -> None:
        """``{"event": "star"}``: star (or unstar) the question answered as a favorite."""
        text = self.asked or self.question.strip()
        if not text:
            self._fail("Nothing to star: ask a question first")
            return
        favorites = self.hub.favorites
        if favorites.is_favorite(text):
            favorites.remove(text, "ask")
        else:
            favorites.add(text, "ask")
        self.starred = favorites.is_favorite(text)

    # -- internals ------------------------------------------------------------------------
    def _work(self, question: str, run: int) -> None:
        words: list[str] = []
        pushed = 0.0
        finished = False
        lock = threading.Lock()  # tokens come on the model's thread

        def on_token(token: str) -> None:
            nonlocal pushed
            with lock:
                if finished or run != self._run:  # a model that timed out may write on: not shown
                    return
                words.append(token)
                now = time.monotonic()
                if not self.streaming:
                    self.streaming = True
                    self.message = "Working… the language model is writing"
                if now - pushed >= STREAM_EVERY:
                    self.answer, pushed = "".join(words), now

        def finish() -> None:
            nonlocal finished
            with lock:
                finished = True

        try:
            answer = self.hub.ask(
                question, llm=self.llm, on_token=on_token, timeout=self.timeout, surface="panel"
            )
            finish()
            self._show(answer)
        except Exception as exc:  # noqa: BLE001 - shown as a one-line error
            finish()
            self._clear()
            self.running = False
            self._fail(exc)
            if self._nothing_indexed():
                self.message = NOTHING_INDEXED

    def _clear(self) -> None:
        self.result = None
        self.answer = self.asked = self.intent = self.mode = self.how = ""
        self.model_name = self.prompt_version = self.feedback = ""
        self.citations, self.passages, self.notes = [], [], []
        self.query_id, self.seconds, self.streaming = None, 0.0, False

    def _show(self, answer: Answer) -> None:
        self.result = answer
        by_id = {hit.id: hit for hit in answer.passages}
        cited = {c.doc_id: c.n for c in answer.citations if c.doc_id}
        self.citations = [_citation(c, by_id.get(c.doc_id)) for c in answer.citations]
        self.passages = [_passage(self.hub, hit, cited.get(hit.id)) for hit in answer.passages]
        self.asked, self.intent, self.mode = answer.question, answer.intent, answer.mode
        self.model_name = answer.model or ""
        self.how = HOW.get(answer.mode, f"written by a language model ({answer.model or 'unknown'})")
        self.prompt_version = answer.prompt_version
        failed = next((n for n in answer.notes if n.startswith("the language model failed")), "")
        self.notes = [n for n in answer.notes if n != failed]  # that one is the status line
        self.seconds = round(answer.seconds, 2)
        self.query_id = answer.query_id
        self.feedback = ""
        try:
            self.starred = self.hub.favorites.is_favorite(answer.question)
        except Exception:  # noqa: BLE001 - a hub without favorites: no star lit
            self.starred = False
        self.answer = answer.answer
        self.streaming = False
        self.running = False
        if failed:  # the answer below quotes the passages: say why, in one line
            self._fail(failed[:1].upper() + failed[1:])
        else:
            self._ok()

    def _nothing_indexed(self) -> bool:
        try:
            return not self.hub.has_documents()
        except Exception:  # noqa: BLE001 - the hint is a nicety
            return False


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _citation(citation: Citation, hit: Hit | None) -> dict[str, Any]:
    """One citation for the front end: its label and the cited lines (with a little context for a value)."""
    out: dict[str, Any] = {
        "n": citation.n,
        "label": citation.label,
        "path": citation.path,
        "root": citation.root,  # with path: where JupyterLab's host opens the file (label: its lines)
        "key": citation.key,
        "value": _data.display(citation.value) if citation.key else "",
        "lines": [],
    }
    try:
        out["lines"] = _cited_lines(citation, hit)
    except (OSError, ValueError):  # shown as the label (and value) alone
        pass
    return out


def _cited_lines(citation: Citation, hit: Hit | None) -> list[dict[str, Any]]:
    """``[{"no", "html", "cited"}]``: the cited lines, highlighted (checked to exist by the answer)."""
    if citation.lines is None:
        return []
    start, end = citation.lines
    file = Path(citation.root) / citation.path
    if file.suffix == ".ipynb" or not file.is_file():  # notebook lines are a cell's: the passage's text
        if hit is None:
            return []
        text, first, marked = hit.body, start, range(start, end + 1)
    else:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        context = CONTEXT if citation.key else 0
        first = max(1, start - context)
        text = "\n".join(lines[first - 1 : min(len(lines), end + context)])
        marked = range(start, end + 1) if citation.key else range(0)
    html = _data.highlight(text, citation.path).split("\n")
    return [
        {"no": first + i, "html": line, "cited": first + i in marked}
        for i, line in enumerate(html[:MAX_LINES])
        if i < len(html) - 1 or line  # highlight() ends with a newline
    ]


def _passage(hub: HubLike, hit: Hit, n: int | None) -> dict[str, Any]:
    """A passage the answer was made from, drawn like a search result card."""
    md = dict(hit.metadata or {})
    card: dict[str, Any] = {
        "id": hit.id,
        "n": n,
        "kind": hit.kind,
        "location": _data.lines_label(hit.path, hit.lines),
        "breadcrumb": str(md.get("breadcrumb") or hit.path),
        "code_html": "",
        "text": "",
        "thumbnail": "",
    }
    if hit.kind == "image":
        card["thumbnail"] = _data.thumbnail_url(hub, hit.id)
        card["text"] = str(md.get("prompt") or hit.snippet or "")
    else:
        card["code_html"] = _data.highlight(hit.body, hit.path, str(md.get("chunk_type", "")))
    return card
