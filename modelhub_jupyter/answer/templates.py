"""Versioned prompt templates in the catalog: list, show, save, diff, activate, roll back, A/B.

``hub.prompts`` is a :class:`Prompts` for the ``answer`` template (the one a language model
phrases answers from). Version 1 is the built-in text of :mod:`.prompt`, stored on first use, so
an empty catalog works; each save checks the template (Jinja2 syntax, the question and passages
used, a sample rendered in the sandbox) and stores it as the next version, inactive until
activated. Answers report the version they were phrased with (``answer@3``).
"""

from __future__ import annotations

import builtins
import difflib
import html
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BadInputError, NotFoundError
from . import prompt

if TYPE_CHECKING:
    from ..hub import Hub
    from ..results import Answer
    from ..store import Catalog
    from .abtest import ABResult, ABRuns

_VERSION = re.compile(r"^\s*(?:[\w.-]+@|v)?(\d+)\s*$", re.I)


@dataclass
class PromptTemplate:
    """One stored version of a prompt template (``label``: ``answer@3``)."""

    name: str
    version: int
    system: str
    user: str
    note: str = ""
    author: str = ""
    created: float = 0.0
    active: bool = False
    parent: int | None = None

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "version": self.version, "label": self.label, "active": self.active,
            "parent": self.parent, "note": self.note, "author": self.author, "created": _when(self.created),
            "system": self.system, "user": self.user,
        }  # fmt: skip

    def summary(self) -> str:
        mark = "*" if self.active else " "
        parent = f" from v{self.parent}" if self.parent else ""
        return f"{mark} v{self.version:<3} {_when(self.created)}  {self.author or '-'}{parent}  {self.note}"

    def text(self) -> str:
        head = f"{self.label}{' (active)' if self.active else ''}  {self.note}".rstrip()
        return f"{head}\n-- system --\n{self.system}\n-- user --\n{self.user}"

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        head = html.escape(self.label) + (" <i>(active)</i>" if self.active else "")
        return (
            f"<b>{head}</b> {html.escape(self.note)}<br><small>{html.escape(self.author)} · "
            f"{_when(self.created)}</small><h5>system</h5><pre>{html.escape(self.system)}</pre>"
            f"<h5>user</h5><pre>{html.escape(self.user)}</pre>"
        )


@dataclass
class PromptList:
    """The versions of one template, oldest first; ``active`` is the active one's number."""

    name: str
    versions: list[PromptTemplate]

    @property
    def active(self) -> int | None:
        return next((t.version for t in self.versions if t.active), None)

    def to_dict(self) -> dict[str, Any]:
        keys = ("version", "label", "active", "parent", "note", "author", "created")
        return {
            "name": self.name,
            "active": self.active,
            "versions": [{k: t.to_dict()[k] for k in keys} for t in self.versions],
        }

    def text(self) -> str:
        return "\n".join([f"prompt template {self.name!r} (* active)", *(t.summary() for t in self.versions)])

    def __repr__(self) -> str:
        return self.text()

    def __iter__(self) -> Any:
        return iter(self.versions)

    def __len__(self) -> int:
        return len(self.versions)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{'●' if t.active else ''}</td><td>{t.version}</td><td>{_when(t.created)}</td>"
            f"<td>{html.escape(t.author)}</td><td>{t.parent or ''}</td><td>{html.escape(t.note)}</td></tr>"
            for t in self.versions
        )
        head = "".join(f"<th>{h}</th>" for h in ("active", "version", "created", "author", "from", "note"))
        return f"<b>prompt template {html.escape(self.name)}</b><table><tr>{head}</tr>{rows}</table>"


@dataclass
class PromptDiff:
    """A unified diff (difflib) between two versions, system and user text in one."""

    a: str
    b: str
    diff: str

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "diff": self.diff}

    def text(self) -> str:
        return self.diff or f"{self.a} and {self.b} are the same"

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colours = {"+": "#1a7f37", "-": "#cf222e", "@": "#8250df"}
        lines = []
        for line in self.text().splitlines():
            colour = colours.get(line[:1], "") if not line.startswith(("+++", "---")) else "#57606a"
            style = f" style='color:{colour}'" if colour else ""
            lines.append(f"<span{style}>{html.escape(line)}</span>")
        return "<pre>" + "\n".join(lines) + "</pre>"


@dataclass
class RenderedPrompt:
    """What the language model would be sent for ``question``: the messages from one version, with
    the passages retrieval really picks (for previews; nothing is asked)."""

    version: str
    question: str
    system: str
    user: str
    passages: list[str] = field(default_factory=list)  # their citation labels
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def text(self) -> str:
        notes = "".join(f"\nnote: {n}" for n in self.notes)
        return f"{self.version}\n-- system --\n{self.system}\n-- user --\n{self.user}{notes}"

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        notes = "".join(f"<br><i>{html.escape(n)}</i>" for n in self.notes)
        return (
            f"<b>{html.escape(self.version)}</b><h5>system</h5><pre>{html.escape(self.system)}</pre>"
            f"<h5>user</h5><pre>{html.escape(self.user)}</pre>{notes}"
        )


class Prompts:
    """The versions of one prompt template in a hub's catalog (``hub.prompts``)."""

    def __init__(self, hub: Hub, name: str = prompt.NAME) -> None:
        self.hub = hub
        self.name = name
        self._retrieved: dict[tuple[Any, ...], tuple[str, Any, list[dict[str, Any]]]] = {}

    @property
    def catalog(self) -> Catalog:
        return self.hub.catalog

    def _seed(self) -> None:
        if self.name == prompt.NAME and self.catalog.prompt_version(self.name) is None:
            self.catalog.seed_prompt(self.name, prompt.SYSTEM, prompt.USER, "built-in", "modelhub")

    def _row(self, version: int | None) -> PromptTemplate:
        self._seed()
        row = self.catalog.prompt_version(self.name, version)
        if row is None:
            if version is None:
                raise NotFoundError(f"the {self.name!r} prompt template has no active version")
            known = ", ".join(str(t.version) for t in self.list()) or "none"
            raise NotFoundError(
                f"no version {version} of the {self.name!r} prompt template (versions: {known})"
            )
        return _template(row)

    # -- reading -------------------------------------------------------------------------------
    def list(self) -> PromptList:
        """Every version, oldest first, the active one marked."""
        self._seed()
        return PromptList(self.name, [_template(r) for r in self.catalog.prompt_versions(self.name)])

    def show(self, version: int | str | None = None) -> PromptTemplate:
        """One version (``3``, ``"v3"``, ``"answer@3"``); the active one when ``version`` is None."""
        return self._row(None if version is None else parse_version(version))

    def active(self) -> PromptTemplate:
        """The version answers are phrased with."""
        return self._row(None)

    def diff(self, a: int | str, b: int | str) -> PromptDiff:
        """A unified diff from version ``a`` to version ``b`` (system and user text)."""
        old, new = self.show(a), self.show(b)
        lines = difflib.unified_diff(
            _lines(old), _lines(new), fromfile=old.label, tofile=new.label, lineterm=""
        )
        return PromptDiff(old.label, new.label, "\n".join(lines))

    def render(
        self,
        question: str,
        version: int | str | None = None,
        *,
        kind: str = "all",
        where: Sequence[str] | None = None,
    ) -> RenderedPrompt:
        """The messages ``version`` (default: the active one) gives the language model for ``question``,
        with the passages retrieval picks for it; nothing is asked."""
        return self._render(self.show(version), question, kind, where)

    def draft(self, system: str, user: str, *, parent: int | None = None) -> PromptTemplate:
        """Unsaved template text as a template (``answer@draft``-like label ``answer@0``), for previews."""
        return PromptTemplate(self.name, 0, str(system), str(user), note="draft", parent=parent)

    def lint(self, system: str, user: str) -> builtins.list[str]:
        """Warnings for a template that can be rendered but should not be saved as it is (it drops the
        question or the passages); a syntax error or an unknown variable raises a one-line error."""
        try:
            prompt.check(system, user)
        except BadInputError as err:
            if "never uses" in str(err):
                return [str(err)]
            raise
        return []

    def preview(
        self,
        question: str,
        system: str,
        user: str,
        *,
        kind: str = "all",
        where: Sequence[str] | None = None,
    ) -> RenderedPrompt:
        """:meth:`render` for unsaved text: the messages the draft would give for ``question``; a syntax
        error raises a one-line error naming its line, a dropped question or context is a note."""
        warnings = self.lint(system, user)
        rendered = self._render(self.draft(system, user), question, kind, where)
        rendered.version = f"{self.name} (unsaved draft)"
        rendered.notes = [*warnings, *rendered.notes]
        return rendered

    def _render(
        self, template: PromptTemplate, question: str, kind: str, where: Sequence[str] | None
    ) -> RenderedPrompt:
        from .ask import prompt_inputs, retrieve
        from .intent import classify

        question = (question or "").strip()
        if not question:
            raise BadInputError("empty question: give a sample question to render the prompt for")
        key = (question, kind, tuple(where or ()), self.catalog.generation())
        cached = self._retrieved.get(key)
        if cached is None:
            self.hub.require_documents()
            intent = classify(question)
            base = retrieve(self.hub, question, intent, kind, [*where] if where else None)
            shown, _ = prompt_inputs(base)
            cached = (intent.name, base, shown)
            self._retrieved = {key: cached}  # one question kept: live previews re-render the same one
        intent_name, base, shown = cached
        try:
            system, user = prompt.render(question, shown, [], template)
        except Exception as err:  # noqa: BLE001 - a template that fails on real passages: one line
            raise BadInputError(
                f"the template fails on this question: {type(err).__name__}: {' '.join(str(err).split())}"
            ) from None
        notes = list(base.notes)
        if intent_name == "metadata_lookup":
            notes.append(
                "a metadata question: answered from the catalog, without a prompt, when it holds the values"
            )
        if not shown:
            notes.append("no passage answers this: the question would get no language model at all")
        return RenderedPrompt(
            template.label, question, system, user, [c.label for c in base.citations], notes
        )

    def diff_html(self, a: int | str, b: int | str, *, context: bool = True) -> str:
        """A side-by-side HTML table (:class:`difflib.HtmlDiff`) from version ``a`` to ``b``; the
        texts are escaped by difflib, changed lines carry the ``diff_add``/``diff_chg``/``diff_sub`` classes."""
        old, new = self.show(a), self.show(b)
        if _lines(old) == _lines(new):
            return f"<p class='mh-diff-same'>{html.escape(old.label)} and {html.escape(new.label)} are the same</p>"
        return difflib.HtmlDiff(tabsize=4, wrapcolumn=70).make_table(
            _lines(old), _lines(new), old.label, new.label, context=context, numlines=2
        )

    def ask(
        self, question: str, version: int | str | None = None, *, llm: Any = None, **kwargs: Any
    ) -> Answer:
        """Answer ``question`` phrased with ``version`` (not activated, not recorded in the stats)."""
        from .ask import ask

        return ask(self.hub, question, llm=llm, template=self.show(version), **kwargs)

    # -- writing -------------------------------------------------------------------------------
    def check(self, system: str, user: str) -> None:
        """Raise a one-line :class:`~modelhub_jupyter.errors.BadInputError` unless the texts can be saved."""
        prompt.check(system, user)

    def save(
        self,
        system: str | None = None,
        user: str | None = None,
        note: str = "",
        author: str | None = None,
        *,
        parent: int | str | None = None,
        activate: bool = False,
    ) -> PromptTemplate:
        """Check and store a new version (``None`` keeps that text of ``parent``, default the active
        version); it becomes active only with ``activate``."""
        from ..analytics import current_user

        base = self.show(parent)
        system = base.system if system is None else system
        user = base.user if user is None else user
        prompt.check(system, user)
        for existing in self.list():
            if (existing.system, existing.user) == (system, user):
                raise BadInputError(f"the same text as {existing.label}: nothing saved")
        note = " ".join(str(note or "").split())[:500]
        version = self.catalog.add_prompt(
            self.name, system, user, note, author or current_user(), base.version
        )
        if activate:
            return self.activate(version)
        return self._row(version)

    def activate(self, version: int | str) -> PromptTemplate:
        """Make ``version`` the one answers are phrased with."""
        from ..analytics import current_user

        number = self.show(version).version
        self.catalog.activate_prompt(self.name, number, current_user())
        return self._row(number)

    def rollback(self) -> PromptTemplate:
        """Activate the version that was active before the current one (repeatable, like undo)."""
        from ..analytics import current_user

        self._seed()
        stack: list[int] = []
        for event in self.catalog.prompt_activations(self.name):
            if event["action"] == "rollback":
                if stack:
                    stack.pop()
            else:
                stack.append(event["version"])
        current = self.active().version
        while stack and stack[-1] == current:  # collapse repeats: activating the active version again
            stack.pop()
        if not stack:
            raise BadInputError(
                f"nothing to roll back to: {self.name}@{current} is the first version activated"
            )
        target = stack[-1]
        self.catalog.activate_prompt(self.name, target, current_user(), action="rollback")
        return self._row(target)

    # -- A/B -------------------------------------------------------------------------------------
    def ab(
        self,
        a: int | str,
        b: int | str,
        questions: str | Path | Sequence[str | dict[str, Any]] | None = None,
        *,
        llm: Any = "none",
        from_catalog: bool = True,
        timeout: float = 120.0,
        progress: Callable[[int, int], None] | None = None,
    ) -> ABResult:
        """Answer the same questions with versions ``a`` and ``b`` and compare them side by side.

        ``questions``: None or ``"gold"`` (the example workspace's questions with known answers), a
        YAML/JSON/text file, or a list of questions (strings, or dicts with ``question`` and, to be
        scored, ``answer`` and ``sources``). ``llm``: a chat model or a spec (``"none"``, ``"local"``,
        ...). ``from_catalog=False`` sends metadata questions through the prompt too (otherwise the
        catalog answers them and the prompt plays no part). ``progress(done, total)`` is called after
        each question. The run is stored (:meth:`runs`).
        """
        from .abtest import run_ab
        from .scoring import load_questions

        return run_ab(
            self, self.show(a), self.show(b), load_questions(questions),
            llm=llm, from_catalog=from_catalog, timeout=timeout, progress=progress,
        )  # fmt: skip

    def runs(self, limit: int = 20) -> ABRuns:
        """The stored A/B runs, newest first."""
        from .abtest import ABResult, ABRuns

        return ABRuns([ABResult.from_dict(r) for r in self.catalog.ab_runs(self.name, limit)])

    def run(self, run_id: int) -> ABResult:
        """One stored A/B run."""
        from .abtest import ABResult

        rows = self.catalog.ab_runs(self.name, 1, run_id=int(run_id))
        if not rows:
            raise NotFoundError(f"no A/B run {run_id}")
        return ABResult.from_dict(rows[0])

    def __repr__(self) -> str:
        return f"<Prompts {self.name!r}: {len(self.list())} version(s), active {self.active().label}>"


def parse_version(version: int | str) -> int:
    """``3``, ``"3"``, ``"v3"`` or ``"answer@3"`` -> 3; anything else is a one-line error."""
    if isinstance(version, int) and not isinstance(version, bool):
        number = version
    else:
        match = _VERSION.match(str(version))
        if not match:
            raise BadInputError(f"{str(version)[:40]!r} is not a version: use a number such as 3 or answer@3")
        number = int(match.group(1))
    if number < 1:
        raise BadInputError(f"{number} is not a version: versions start at 1")
    return number


def _template(row: dict[str, Any]) -> PromptTemplate:
    return PromptTemplate(
        row["name"], row["version"], row["system"], row["user_template"], row["note"], row["author"],
        row["created"], row["active"], row["parent"],
    )  # fmt: skip


def _lines(template: PromptTemplate) -> list[str]:
    return ["# system", *template.system.splitlines(), "# user", *template.user.splitlines()]


def _when(at: float) -> str:
    return datetime.fromtimestamp(at or time.time(), UTC).strftime("%Y-%m-%d %H:%M") if at else ""
