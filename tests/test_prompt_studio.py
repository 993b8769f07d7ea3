"""The Prompt Studio panel and query favorites, driven the way a front end drives them
(``set_state`` and custom messages), over a hub of its own (saved versions do not leak into the
session hub other modules answer with)."""

from __future__ import annotations

import sqlite3

import pytest

from modelhub_jupyter import Hub
from modelhub_jupyter.answer import prompt
from modelhub_jupyter.errors import BadInputError
from modelhub_jupyter.widgets import AskPanel, Dashboard, PromptStudio
from tests.homes import copy_home

EDIT = "Answer the question from the sources"
STUDIO = "Answer in plain words, from the sources only"


@pytest.fixture(scope="module")
def hub(tmp_path_factory, indexed):
    """A copy of the session hub's home (the catalog through SQLite's backup: consistent while open)."""
    source = indexed[0]
    home = tmp_path_factory.mktemp("studio") / "home"
    copy_home(source.settings.home, home)
    copy = sqlite3.connect(home / source.settings.catalog_path.relative_to(source.settings.home))
    # the session hub is shared with other test files (in this worker), which may have saved
    # versions of their own: start from the shipped template alone, as a fresh store has it
    with copy:
        copy.execute("DELETE FROM prompt_templates WHERE version > 1")
        copy.execute("UPDATE prompt_templates SET active = 1 WHERE version = 1")
        copy.execute("DELETE FROM prompt_activations WHERE version > 1 OR action = 'rollback'")
    copy.close()
    with Hub(home, embedder=source.embedder) as own:
        assert own.has_documents()
        yield own


def test_edit_renders_live_save_diff_activate_and_roll_back(hub: Hub) -> None:
    studio = PromptStudio(hub)
    assert studio.status == "idle", studio.message
    assert (studio.active, studio.selected, studio.dirty) == (1, 1, False)
    assert [v["version"] for v in studio.versions] == [1]
    assert studio.user == prompt.USER and studio.rendered["question"] == studio.question
    assert "gpt/train_gpt.py" in studio.rendered["user"]  # the passages retrieval really picks
    assert studio.rendered["passages"] and EDIT in studio.rendered["user"]
    assert studio.rendered["version"] == "answer@1"

    studio.set_state({"user": prompt.USER.replace(EDIT, STUDIO)})  # typing in the editor
    assert studio.dirty and studio.render_error == ""
    assert studio.rendered["version"] == "answer@1 with unsaved edits"
    assert STUDIO in studio.rendered["user"] and EDIT not in studio.rendered["user"]

    studio._handle_front({"event": "save", "note": "plain words", "author": "ada"})
    assert studio.status == "idle" and studio.message == "Saved answer@2", studio.message
    assert [(v["version"], v["active"], v["author"], v["note"]) for v in studio.versions] == [
        (2, False, "ada", "plain words"),
        (1, True, "modelhub", "built-in"),
    ]
    assert (studio.selected, studio.dirty, studio.diff_a, studio.diff_b) == (2, False, 1, 2)
    assert studio.rendered["version"] == "answer@2" and STUDIO in studio.rendered["user"]
    assert "diff_sub" in studio.diff_html or "diff_chg" in studio.diff_html
    assert "plain" in studio.diff_html and "answer@1" in studio.diff_html
    studio._handle_front({"event": "diff", "a": 2, "b": 2})
    assert "are the same" in studio.diff_html

    studio._handle_front({"event": "activate", "version": 2})
    assert hub.prompts.active().version == 2 and studio.active == 2
    assert "answer@2 is active" in studio.message
    studio._handle_front({"event": "rollback"})
    assert hub.prompts.active().version == 1 and studio.active == 1

    studio._handle_front({"event": "select", "version": 1})
    assert studio.user == prompt.USER and not studio.dirty and EDIT in studio.rendered["user"]


def test_a_syntax_error_is_shown_at_its_line_and_never_saved(hub: Hub) -> None:
    studio = PromptStudio(hub)
    good = dict(studio.rendered)
    studio.set_state({"user": prompt.USER + "\n{% for p in passages %}\n{{ p.text }"})
    assert "syntax error at line" in studio.render_error, studio.render_error
    assert studio.rendered == good  # the last good preview stays
    before = len(hub.prompts.list())
    studio._handle_front({"event": "save", "note": "broken"})
    assert studio.status == "error" and "syntax error" in studio.message
    assert len(hub.prompts.list()) == before

    studio.set_state({"user": "Question: {{ question }}\nAnswer briefly."})  # drops the passages
    assert studio.render_error == ""
    assert studio.warnings and "never uses passages" in studio.warnings[0]
    studio._handle_front({"event": "save", "note": "no context"})
    assert studio.status == "error" and "never uses passages" in studio.message
    assert len(hub.prompts.list()) == before


def test_answer_button_and_question_change(hub: Hub) -> None:
    studio = PromptStudio(hub)
    studio.set_state({"question": "how is the learning rate warmed up"})
    assert studio.rendered["question"] == "how is the learning rate warmed up"
    studio._handle_front({"event": "answer", "llm": "none"})
    studio.wait(60)
    assert not studio.answering and studio.status == "idle", studio.message
    assert studio.answer["mode"] == "extractive" and studio.answer["text"]
    assert studio.answer["citations"]


def test_ab_run_on_a_thread_shows_progress_table_verdict_and_is_listed(hub: Hub) -> None:
    studio = PromptStudio(hub)
    if len(hub.prompts.list()) < 2:
        hub.prompts.save(user=prompt.USER.replace(EDIT, STUDIO), note="for A/B")
    questions = "how is the learning rate warmed up\nwhich models use AdamW"
    studio._handle_front({"event": "ab", "a": 1, "b": 2, "questions": questions})
    studio.wait(120)
    assert studio.status == "idle" and not studio.ab_running, studio.message
    assert studio.ab_progress == {"done": 2, "total": 2}
    result = studio.ab_result
    assert (result["a"], result["b"], result["questions"]) == ("answer@1", "answer@2", 2)
    assert any(row[0].startswith("latency") for row in result["table"]) and result["verdict"]
    assert studio.ab_runs and studio.ab_runs[0]["id"] == result["id"]

    with pytest.raises(BadInputError):
        hub.prompts.ab(1, 2, [])
    studio._handle_front({"event": "ab", "a": 1, "b": 9})
    assert studio.status == "error" and "no version 9" in studio.message and not studio.ab_running


def test_favorites_per_user_from_the_studio_and_the_ask_panel(hub: Hub, monkeypatch) -> None:
    monkeypatch.setenv("MODELHUB_USER", "ada")
    studio = PromptStudio(hub)
    assert not studio.starred
    studio._handle_front({"event": "star", "text": studio.question})
    assert studio.starred and [f["text"] for f in studio.favorites] == [studio.question]
    hub.favorites.add("causal self attention", "search", kind="code")
    assert {f.action for f in hub.favorites.list()} == {"ask", "search"}
    assert hub.favorites.list("search")[0].options == {"kind": "code"}
    assert hub.favorites.run(hub.favorites.list("search")[0].id).hits  # re-runnable
    assert hub.favorites.list(user="bob") == []  # per user

    ask = AskPanel(hub, answer=hub.ask("which models use AdamW", llm="none"))
    assert not ask.starred
    ask._handle_front({"event": "star"})
    assert ask.starred and hub.favorites.is_favorite("which models use AdamW")
    ask._handle_front({"event": "star"})  # a second click unstars
    assert not ask.starred and not hub.favorites.is_favorite("which models use AdamW")

    studio._handle_front({"event": "unstar", "id": hub.favorites.list("ask")[0].id})
    assert not studio.starred and studio.favorites == [f.to_dict() for f in hub.favorites.list()]
    with pytest.raises(BadInputError, match="empty"):
        hub.favorites.add("   ")
    with pytest.raises(BadInputError, match="not a favorite kind"):
        hub.favorites.add("x", "image")


def test_dashboard_has_a_prompts_tab(hub: Hub) -> None:
    board = Dashboard(hub, read_only=False)
    assert "Prompts" in board.titles
    assert isinstance(board.children[board.titles.index("Prompts")], PromptStudio)


def test_read_only_previews_but_stores_nothing(hub: Hub) -> None:
    studio = PromptStudio(hub, read_only=True)
    versions = len(hub.prompts.list())
    studio.set_state({"user": prompt.USER.replace(EDIT, "Answer tersely from the sources")})
    assert "tersely" in studio.rendered["user"] and studio.dirty  # the preview still works
    for event in ({"event": "save", "note": "x"}, {"event": "rollback"}, {"event": "ab", "a": 1, "b": 1}):
        studio._handle_front(event)
        assert studio.status == "error" and "read-only" in studio.message, event
    assert len(hub.prompts.list()) == versions and not studio.ab_running
