"""``PromptStudio``: edit the answer prompt template, see it rendered live, save, diff, activate, A/B.

A thin panel over :class:`modelhub_jupyter.answer.templates.Prompts` (``hub.prompts``): every check,
render, diff and A/B run is the engine's; the panel holds the editor's text and shows the results.
"""

from __future__ import annotations

import threading
from typing import Any

from traitlets import Bool, Dict, Int, List, Unicode, observe

from ..errors import BadInputError
from ._frame import NOTHING_INDEXED, STATIC, Panel, css, default_hub, esm

SAMPLE_QUESTION = "Which optimizer and learning rate does the GPT training script use?"
LLMS = ("none", "local")  # the answer button: extractive (no model) or the local language model
MAX_AB_QUESTIONS = 200


class PromptStudio(Panel):
    """``PromptStudio(hub)``: pick a version of the answer prompt, edit it, see the prompt it renders
    for ``question`` (with the passages retrieval really picks) and the answer it gives; save the
    text as a new version (``save(note, author)``), diff two versions, activate or roll back, and
    A/B-test two versions over the gold questions (``run_ab``, on a thread).

    The editor's texts are ``system`` and ``user``; changing them (or ``question``) re-renders
    ``rendered`` at once (the front end debounces typing). A template that does not parse leaves
    ``render_error`` set (its line named) and the last good preview in place.
    """

    # CodeMirror 6 (the global MHCodeMirror), bundled offline by tools/codemirror/build.sh, then the panel
    _esm = (STATIC / "codemirror.js").read_text(encoding="utf-8") + "\n" + esm("prompt_studio.js")
    _css = css("prompt_studio.css")
    panel = Unicode("prompt-studio").tag(sync=True)
    events = frozenset({"select", "answer", "save", "diff", "activate", "rollback", "ab", "star", "unstar"})

    versions = List(Dict()).tag(sync=True)
    active = Int(0).tag(sync=True)
    selected = Int(0).tag(sync=True)  # the version the editor was loaded from
    system = Unicode("").tag(sync=True)
    user = Unicode("").tag(sync=True)
    dirty = Bool(False).tag(sync=True)  # the editor differs from ``selected``
    question = Unicode(SAMPLE_QUESTION).tag(sync=True)
    rendered = Dict().tag(sync=True)  # RenderedPrompt.to_dict()
    render_error = Unicode("").tag(sync=True)
    warnings = List(Unicode()).tag(sync=True)
    answer = Dict().tag(sync=True)  # {text, mode, how, seconds, prompt_version, citations, llm}
    answering = Bool(False).tag(sync=True)
    diff_a = Int(0).tag(sync=True)
    diff_b = Int(0).tag(sync=True)
    diff_html = Unicode("").tag(sync=True)
    ab_running = Bool(False).tag(sync=True)
    ab_progress = Dict().tag(sync=True)  # {done, total}
    ab_result = Dict().tag(sync=True)  # {id, a, b, llm, questions, table, verdict, notes, status}
    ab_runs = List(Dict()).tag(sync=True)
    favorites = List(Dict()).tag(sync=True)
    starred = Bool(False).tag(sync=True)  # the sample question is a favorite
    read_only = Bool(False).tag(sync=True)  # a served dashboard: edit and preview, but nothing stored

    def __init__(
        self, hub: Any = None, *, question: str = SAMPLE_QUESTION, llm: Any = "none", read_only: bool = False
    ) -> None:
        super().__init__()
        self.hub = default_hub(hub)
        self.read_only = read_only
        self.prompts = self.hub.prompts
        self.llm = llm
        self._threads: list[threading.Thread] = []
        self._loading_version = False
        self.question = question
        self._guard(self.reload)

    # -- public ---------------------------------------------------------------------------
    def reload(self) -> None:
        """Versions, the active one in the editor, stored A/B runs, favorites, the preview."""
        listing = self.prompts.list().to_dict()
        self.versions = list(reversed(listing["versions"]))  # newest first
        self.active = int(listing["active"] or 0)
        if not self.selected or self.selected not in {v["version"] for v in self.versions}:
            self.select(self.active)
        if not (self.diff_a and self.diff_b) and len(self.versions) >= 2:
            self.diff_a, self.diff_b = self.versions[1]["version"], self.versions[0]["version"]
        self._runs()
        self._favorites()
        if self.status != "error":
            self._ok()

    def refresh(self) -> None:
        """After an index run: the preview with the passages retrieval picks now."""
        self._guard(self.reload)
        self._guard(self.preview)

    def select(self, version: int) -> None:
        """Load ``version`` into the editor."""
        template = self.prompts.show(version)
        self._loading_version = True
        try:
            self.selected = template.version
            self.system, self.user = template.system, template.user
        finally:
            self._loading_version = False
        self.dirty = False
        self.preview()

    def preview(self) -> None:
        """Render the editor's text for ``question`` (nothing asked)."""
        try:
            rendered = self.prompts.preview(self.question, self.system, self.user)
        except Exception as exc:  # noqa: BLE001 - a one-line error beside the editor
            from ..errors import one_line

            self.render_error = one_line(exc)
            if not self.hub.has_documents():
                self._empty(NOTHING_INDEXED)
            return
        self.render_error = ""
        self.warnings = [n for n in rendered.notes if "never uses" in n]
        label = f"{self.prompts.name}@{self.selected}"
        rendered.version = f"{label} with unsaved edits" if self.dirty else label
        self.rendered = rendered.to_dict()

    def ask(self, llm: str | None = None) -> threading.Thread | None:
        """Answer ``question`` with the editor's text (``llm``: ``none`` = extractive, ``local``), on a thread."""
        if self.answering:
            self.message = "Still answering the last question…"
            return None
        spec = llm if llm in LLMS else self.llm
        template = self.prompts.draft(self.system, self.user)
        self.prompts.check(self.system, self.user)
        self.answering = True
        self._loading(
            f"Working… answering with {'the local language model' if spec == 'local' else 'no language model'}"
        )
        thread = threading.Thread(target=self._answer, args=(self.question, template, spec), daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def save(self, note: str = "", author: str = "", *, activate: bool = False) -> int:
        """Store the editor's text as a new version (checked first); returns its number."""
        self._writable("save a version")
        saved = self.prompts.save(
            self.system, self.user, note, author or None, parent=self.selected or None, activate=activate
        )
        self.selected = saved.version
        self.dirty = False
        self.reload()
        self.preview()  # now the preview of the saved version
        self.diff_a, self.diff_b = saved.parent or self.active, saved.version
        self.diff(self.diff_a, self.diff_b)
        self.status, self.message = "idle", f"Saved {saved.label}" + (" (active)" if saved.active else "")
        return saved.version

    def diff(self, a: int, b: int) -> None:
        """Show the side-by-side diff from version ``a`` to ``b``."""
        self.diff_a, self.diff_b = int(a), int(b)
        self.diff_html = self.prompts.diff_html(self.diff_a, self.diff_b)

    def activate(self, version: int) -> None:
        self._writable("activate a version")
        template = self.prompts.activate(version)
        self.reload()
        self.status, self.message = "idle", f"{template.label} is active: answers are phrased with it"

    def rollback(self) -> None:
        self._writable("roll back")
        template = self.prompts.rollback()
        self.reload()
        self.status, self.message = "idle", f"Rolled back: {template.label} is active again"

    def run_ab(self, a: int, b: int, questions: Any = "gold") -> threading.Thread | None:
        """A/B-test versions ``a`` and ``b`` on a thread (``questions``: ``"gold"``, a list, or text
        with one question a line); ``ab_progress`` counts the questions done."""
        self._writable("run an A/B test")
        if self.ab_running:
            self.message = "An A/B run is still going…"
            return None
        if isinstance(questions, str) and questions.strip() not in ("", "gold"):
            questions = [q.strip() for q in questions.splitlines() if q.strip()][:MAX_AB_QUESTIONS]
        elif isinstance(questions, str):
            questions = "gold"
        a_t, b_t = self.prompts.show(a), self.prompts.show(b)  # one-line error for a bad version, now
        from ..answer.scoring import load_questions

        loaded = load_questions(questions)
        self.ab_running, self.ab_result = True, {}
        self.ab_progress = {"done": 0, "total": len(loaded)}
        self._loading(f"Working… A/B {a_t.label} vs {b_t.label} on {len(loaded)} question(s)")
        thread = threading.Thread(target=self._ab, args=(a_t.version, b_t.version, loaded), daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def star(self, text: str | None = None) -> None:
        """Star the sample question (or ``text``) as a favorite question."""
        self.hub.favorites.add(text or self.question, "ask")
        self._favorites()

    def unstar(self, favorite: int | str | None = None) -> None:
        self.hub.favorites.remove(favorite if favorite is not None else self.question, "ask")
        self._favorites()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the panel's threads (answer, A/B) are done (tests, scripts)."""
        for thread in list(self._threads):
            thread.join(timeout)

    # -- traits ---------------------------------------------------------------------------
    @observe("system", "user")
    def _edited(self, _change: Any) -> None:
        if self._loading_version:
            return
        current = next((v for v in self.versions if v["version"] == self.selected), None)
        if current is not None:
            template = self.prompts.show(self.selected)
            self.dirty = (template.system, template.user) != (self.system, self.user)
        self.preview()

    @observe("question")
    def _asked(self, _change: Any) -> None:
        if not self._loading_version and self.versions:
            self.preview()
            self._favorites()

    # -- messages from the front end ------------------------------------------------------
    def on_select(self, content: dict[str, Any]) -> None:
        self.select(int(content.get("version") or self.active))

    def on_answer(self, content: dict[str, Any]) -> None:
        self.ask(str(content.get("llm") or "none"))

    def on_save(self, content: dict[str, Any]) -> None:
        self.save(
            str(content.get("note") or ""),
            str(content.get("author") or ""),
            activate=bool(content.get("activate")),
        )

    def on_diff(self, content: dict[str, Any]) -> None:
        self.diff(int(content.get("a") or 0), int(content.get("b") or 0))

    def on_activate(self, content: dict[str, Any]) -> None:
        self.activate(int(content.get("version") or self.selected))

    def on_rollback(self, _content: dict[str, Any]) -> None:
        self.rollback()

    def on_ab(self, content: dict[str, Any]) -> None:
        self.run_ab(
            int(content.get("a") or 0), int(content.get("b") or 0), content.get("questions") or "gold"
        )

    def on_star(self, content: dict[str, Any]) -> None:
        self.star(str(content.get("text") or "") or None)

    def on_unstar(self, content: dict[str, Any]) -> None:
        target = content.get("id")
        self.unstar(int(target) if isinstance(target, int) else None)

    # -- internals ------------------------------------------------------------------------
    def _writable(self, what: str) -> None:
        if self.read_only:
            raise BadInputError(
                f"this dashboard is read-only: it cannot {what} (open the Prompt Studio in a notebook)"
            )

    def _answer(self, question: str, template: Any, llm: str) -> None:
        from ..answer.ask import ask

        try:
            answer = ask(self.hub, question, llm=llm, template=template, from_catalog=False)
            self.answer = {
                "text": answer.answer, "mode": answer.mode, "seconds": round(answer.seconds, 2),
                "model": answer.model or "", "prompt_version": answer.prompt_version, "llm": llm,
                "citations": [c.label for c in answer.citations], "notes": list(answer.notes),
            }  # fmt: skip
            self._ok()
        except Exception as exc:  # noqa: BLE001 - shown as a one-line error
            self._fail(exc)
        finally:
            self.answering = False

    def _ab(self, a: int, b: int, questions: list[Any]) -> None:
        def progress(done: int, total: int) -> None:
            self.ab_progress = {"done": done, "total": total}
            self.message = f"Working… A/B question {done} of {total}"

        try:
            from ..answer.abtest import run_ab

            result = run_ab(
                self.prompts, self.prompts.show(a), self.prompts.show(b), questions,
                llm=self.llm, progress=progress,
            )  # fmt: skip
            self.ab_result = _ab_dict(result)
            self._runs()
            self._ok()
        except Exception as exc:  # noqa: BLE001 - shown as a one-line error
            self._fail(exc)
        finally:
            self.ab_running = False

    def _runs(self) -> None:
        self.ab_runs = [
            {k: v for k, v in r.items() if k in ("id", "a", "b", "llm", "questions", "status", "verdict")}
            for r in self.prompts.runs(10).to_dict()["runs"]
        ]

    def _favorites(self) -> None:
        items = self.hub.favorites.list()
        self.favorites = [f.to_dict() for f in items]
        text = " ".join(self.question.split())
        self.starred = any(f.action == "ask" and f.text == text for f in items)


def _ab_dict(result: Any) -> dict[str, Any]:
    return {
        "id": result.id, "a": result.a, "b": result.b, "llm": result.llm, "questions": result.questions,
        "table": [list(row) for row in result.table()[1:]], "verdict": result.verdict,
        "notes": list(result.notes), "status": result.status,
    }  # fmt: skip
