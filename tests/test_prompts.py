"""Versioned prompt templates in the catalog: save, diff, activate, roll back, refuse broken ones, A/B."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel, FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from modelhub_jupyter import Hub
from modelhub_jupyter.answer import prompt
from modelhub_jupyter.answer.abtest import summarise
from modelhub_jupyter.answer.scoring import GOLD, bootstrap_ci, load_questions, mcnemar_exact
from modelhub_jupyter.errors import BadInputError, NotFoundError
from modelhub_jupyter.store.catalog import Catalog

QUESTION = "how is the learning rate warmed up"
BRIEF = prompt.USER.replace("Answer the question from the sources", "Answer in one sentence from the sources")


@pytest.fixture(scope="module")
def hub(indexed):
    """The session's hub over the example workspace; whatever these tests activate, the built-in
    version is active again afterwards (other modules' answers are phrased with it)."""
    hub = indexed[0]
    yield hub
    hub.prompts.activate(1)


class Record(BaseCallbackHandler):
    """The messages each chat model call was sent."""

    def __init__(self) -> None:
        self.calls: list[list[BaseMessage]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.calls.extend(messages)


def model(record: Record, text: str = "Linear warmup, then cosine decay down to min_lr [1].") -> Any:
    return FakeListChatModel(responses=[text], callbacks=[record])


# -- versions ---------------------------------------------------------------------------------------
def test_an_empty_catalog_starts_with_the_builtin_template_as_version_1(tmp_path, shared_embedder) -> None:
    with Hub(tmp_path / "home", embedder=shared_embedder) as fresh:
        versions = fresh.prompts.list()
        assert [(t.version, t.active, t.parent) for t in versions] == [(1, True, None)]
        one = fresh.prompts.show(1)
        assert (one.system, one.user, one.label) == (prompt.SYSTEM, prompt.USER, "answer@1")
        assert fresh.prompts.active().label == "answer@1"
        assert fresh.prompts.show("answer@1").version == fresh.prompts.show("v1").version == 1
        with pytest.raises(NotFoundError, match=r"no version 7 .* \(versions: 1\)"):
            fresh.prompts.show(7)
        with pytest.raises(BadInputError, match="not a version"):
            fresh.prompts.show("latest")
    with Hub(tmp_path / "home", embedder=shared_embedder) as again:  # seeded once, not twice
        assert len(again.prompts.list()) == 1


def test_save_diff_activate_and_rollback_change_what_ask_renders_and_reports(hub: Hub) -> None:
    record = Record()
    before = hub.ask(QUESTION, llm=model(record))
    assert before.mode == "llm" and before.prompt_version == "answer@1"
    assert "Answer the question from the sources" in record.calls[-1][1].content

    saved = hub.prompts.save(user=BRIEF, note="  one sentence\nplease ", author="ada")
    assert (saved.version, saved.active, saved.parent, saved.note, saved.author) == (
        2, False, 1, "one sentence please", "ada"
    )  # fmt: skip
    assert saved.system == prompt.SYSTEM  # left out: the active version's text is kept
    diff = hub.prompts.diff(1, 2).diff
    assert diff.startswith("--- answer@1\n+++ answer@2\n")
    assert "-Answer the question from the sources, citing them as [n]." in diff
    assert "+Answer in one sentence from the sources, citing them as [n]." in diff
    assert not [line for line in diff.splitlines() if line.startswith(("+", "-")) and "system" in line]
    assert hub.prompts.diff(2, 2).text() == "answer@2 and answer@2 are the same"

    assert hub.ask(QUESTION, llm=model(record)).prompt_version == "answer@1"  # saved is not active
    hub.prompts.activate("v2")
    assert hub.prompts.active().label == "answer@2"
    after = hub.ask(QUESTION, llm=model(record))
    assert after.prompt_version == "answer@2" and after.to_dict()["prompt_version"] == "answer@2"
    system, user = record.calls[-1]
    assert "Answer in one sentence from the sources" in user.content and system.content == prompt.SYSTEM
    assert '<source n="1" path="gpt/train_gpt.py:' in user.content  # the passages are still quoted

    # a preview renders a version with the passages retrieval picks, without asking anything
    preview = hub.prompts.render(QUESTION, version=1)
    assert preview.version == "answer@1" and "Answer the question from the sources" in preview.user
    assert preview.passages and preview.passages[0].startswith("gpt/train_gpt.py:")

    rolled = hub.prompts.rollback()
    assert rolled.label == "answer@1" and hub.prompts.active().version == 1
    assert hub.ask(QUESTION, llm=model(record)).prompt_version == "answer@1"
    with pytest.raises(BadInputError, match="nothing to roll back to"):
        hub.prompts.rollback()
    listed = hub.prompts.list().to_dict()
    assert listed["active"] == 1 and [v["version"] for v in listed["versions"]] == [1, 2]
    with pytest.raises(BadInputError, match="the same text as answer@2: nothing saved"):
        hub.prompts.save(user=BRIEF)
    assert len(hub.prompts.list()) == 2


def test_rollback_walks_back_through_activations(tmp_path) -> None:
    class Stub:  # Prompts needs only a catalog here: no documents, no embedder
        catalog = Catalog(tmp_path / "catalog.sqlite")

    from modelhub_jupyter.answer.templates import Prompts

    prompts = Prompts(Stub())  # type: ignore[arg-type]
    for n in (2, 3):
        prompts.save(user=prompt.USER + f"\nVersion {n}.", activate=True)
    assert prompts.active().version == 3
    assert [prompts.rollback().version, prompts.rollback().version] == [2, 1]
    prompts.activate(3)
    assert prompts.rollback().version == 1  # back to what was active before 3, not to 2
    Stub.catalog.close()


@pytest.mark.parametrize(
    ("user", "message"),
    [
        (
            "Question: {{ question }}\n{% for p in passages %}\n{{ p.text }\n",
            "syntax error at line 3: unexpected '}'",
        ),
        (
            "Question: {{ question }}\n{% for p in passages %}{{ p.text }}\n",
            "syntax error at line 2: Unexpected end",
        ),
        ("Question: {{ question }}\nAnswer briefly.", "never uses passages"),
        ("{% for p in passages %}{{ p.text }}{% endfor %}", "never uses question"),
        ("{{ question }} {{ passages }} {{ secrets }}", "uses secrets, which it is not given"),
        ("{{ question }}{% for p in passages %}{{ p.txt }}{% endfor %}", "fails on a sample question"),
        ("{{ question.__class__.__mro__ }}{{ passages }}", "fails on a sample question"),
        ("{{ question }}{{ passages }}" + "x" * 20_001, "at most 20,000"),
    ],
)
def test_a_broken_template_is_refused_with_one_line_and_not_stored(hub: Hub, user: str, message: str) -> None:
    count = len(hub.prompts.list())
    with pytest.raises(BadInputError, match=re.escape(message)) as caught:
        hub.prompts.save(user=user, note="broken")
    assert "\n" not in str(caught.value)
    assert len(hub.prompts.list()) == count
    with pytest.raises(BadInputError, match="system template has a Jinja2 syntax error at line 1"):
        hub.prompts.check("{% if %}", prompt.USER)


# -- A/B -----------------------------------------------------------------------------------------
def test_significance_tests_on_known_inputs() -> None:
    assert mcnemar_exact(0, 6) == pytest.approx(0.03125)  # 2 * (1/2)^6
    assert mcnemar_exact(2, 10) == pytest.approx(2 * (1 + 12 + 66) / 4096)
    assert mcnemar_exact(3, 3) == 1.0 and mcnemar_exact(0, 0) == 1.0
    assert bootstrap_ci([0.5] * 10) == (0.5, 0.5)
    low, high = bootstrap_ci([1.0, 2.0, 3.0, 4.0])
    assert 1.0 <= low < 2.5 < high <= 4.0

    def row(a_right: bool, b_right: bool, a_s: float, b_s: float) -> dict[str, Any]:
        def one(right: bool, s: float) -> dict[str, Any]:
            return {"value": right, "cited": True, "valid": True, "chars": 80, "seconds": s,
                    "mode": "llm", "prompted": True, "error": ""}  # fmt: skip

        return {"id": "q", "question": "q", "a": one(a_right, a_s), "b": one(b_right, b_s)}

    rows = [row(False, True, 1.0, 2.0)] * 6 + [row(True, True, 1.0, 2.0)] * 4
    result = summarise("answer", "answer@1", "answer@2", "local", rows)
    assert result.tests["value_stated"] | {"test": ""} == {
        "n": 10, "a_right": 4, "b_right": 10, "a_only": 0, "b_only": 6, "p": pytest.approx(0.03125), "test": ""
    }  # fmt: skip
    assert result.verdict == (
        "B (answer@2) is better on accuracy (4 vs 10 of 10, McNemar p = 0.031); "
        "no difference in citation validity (10 vs 10 of 10, p = 1); "
        "no difference in keeping the model's answers (10 vs 10 of 10, p = 1); "
        "A (answer@1) is faster by 1.00 s per answer (95 % CI of B - A: +1.00 to +1.00 s)."
    )
    even = summarise(
        "answer", "answer@1", "answer@2", "local", [row(True, False, 1, 1), row(False, True, 1, 1)]
    )
    assert even.verdict.startswith("No difference in accuracy (1 vs 1 of 2, p = 1)")


def test_ab_without_a_model_is_stored_and_says_the_versions_cannot_differ(hub: Hub) -> None:
    gold = {q.id: q for q in load_questions("gold")}
    assert len(gold) >= 30 and GOLD.is_file()
    picked = [gold["dcgan-lr"], gold["vit-layers"], gold["warmup"], gold["causal-mask"]]
    questions = [{"id": q.id, "question": q.question, "answer": q.answer, "sources": list(q.sources)}
                 for q in picked]  # fmt: skip
    if len(hub.prompts.list()) < 2:
        hub.prompts.save(user=BRIEF, note="one sentence")
    result = hub.prompts.ab(1, 2, questions, llm="none")
    assert (result.a, result.b, result.llm, result.questions, result.status) == (
        "answer@1", "answer@2", "none", 4, "done"
    )  # fmt: skip
    for side in ("a", "b"):
        figures = result.sides[side]
        assert figures["value_n"] == 2 and figures["value_right"] == 2  # the catalog answers both
        assert figures["citations_valid"] == 1.0 and figures["prompted"] == 0
        assert figures["latency_p50"] > 0 and figures["chars_median"] > 0
    assert result.verdict.startswith("No answer was phrased with a prompt")
    assert "no difference in accuracy (2 vs 2 of 2, p = 1)" in result.verdict
    assert result.tests["value_stated"]["p"] == 1.0 and len(result.tests["latency_s"]["ci95"]) == 2
    assert any("0 of 8 answers were phrased with a prompt" in n for n in result.notes)
    stored = hub.prompts.runs()
    assert stored.runs[0].id == result.id and stored.runs[0].verdict == result.verdict
    again = hub.prompts.run(result.id)
    assert again.to_dict() == json.loads(json.dumps(result.to_dict()))
    assert "value stated" in again.text() and "answer@2" in again._repr_html_()
    with pytest.raises(BadInputError, match="question set is empty"):
        hub.prompts.ab(1, 2, [])


def test_ab_with_a_model_prompts_each_version(hub: Hub) -> None:
    """Through the passages (``from_catalog=False``), a model sees version A's prompt for half the
    answers and B's for the other half; the one that quotes its source states the value."""

    class Quoter(BaseChatModel):
        """Quotes source [1]'s first code line when the prompt asks for one sentence, else waffles."""

        seen: list[str] = []

        @property
        def _llm_type(self) -> str:
            return "quoter"

        def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                      **kwargs: Any) -> ChatResult:  # fmt: skip
            user = str(messages[-1].content)
            self.seen.append(user)
            first = re.search(r'<source n="1" path="[^"]+">\n(.*?)\n</source>', user, re.S)
            lines = [ln.strip() for ln in (first.group(1) if first else "").splitlines() if "=" in ln]
            text = (
                f"{lines[0]} [1]." if "one sentence" in user and lines else "It is complicated, see 99 [1]."
            )
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    if len(hub.prompts.list()) < 2:
        hub.prompts.save(user=BRIEF, note="one sentence")
    quoter = Quoter()
    questions = [{"question": "what learning rate does the dcgan use", "answer": 0.0002, "sources": ["gan/dcgan.py"]},
                 "how is the learning rate warmed up in train_gpt"]  # fmt: skip
    result = hub.prompts.ab("answer@1", "answer@2", questions, llm=quoter, from_catalog=False)
    assert result.llm == "Quoter" and result.questions == 2 and not result.from_catalog
    assert result.sides["a"]["prompted"] == result.sides["b"]["prompted"] == 2
    assert sum("one sentence" in u for u in quoter.seen) == 2 and len(quoter.seen) == 4
    assert [r["b"]["mode"] for r in result.rows] == ["llm", "llm"]  # B quotes: kept
    assert [r["a"]["mode"] for r in result.rows] == ["extractive", "extractive"]  # A's 99 is dropped
    assert result.rows[1]["a"]["value"] is None  # a plain question has no value to state
    assert (result.sides["a"]["kept"], result.sides["b"]["kept"]) == (0, 2)
    assert "no difference in keeping the model's answers (0 vs 2 of 2, p = 0.5)" in result.verdict
    assert "model's answer kept" in result.text()
    assert hub.prompts.runs().runs[0].id == result.id


# -- the command line and the magic ---------------------------------------------------------------
def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "modelhub_jupyter.cli", "--home", str(home), "prompts", *args],
        capture_output=True, text=True, timeout=600, env={**os.environ, "MODELHUB_USER": "grace"},
    )  # fmt: skip


def test_cli_prompts_commands(tmp_path: Path, hub: Hub) -> None:
    home = tmp_path / "home"
    listed = cli(home, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["versions"][0] | {"created": ""} == {
        "version": 1, "label": "answer@1", "active": True, "parent": None, "note": "built-in",
        "author": "modelhub", "created": "",
    }  # fmt: skip
    user_file = tmp_path / "brief.j2"
    user_file.write_text(BRIEF)
    saved = cli(home, "save", "--user-file", str(user_file), "--note", "one sentence", "--json")
    assert saved.returncode == 0, saved.stderr
    assert {k: json.loads(saved.stdout)[k] for k in ("label", "active", "author", "parent")} == {
        "label": "answer@2", "active": False, "author": "grace", "parent": 1
    }  # fmt: skip
    diff = json.loads(cli(home, "diff", "1", "2", "--json").stdout)
    assert diff["a"] == "answer@1" and "+Answer in one sentence" in diff["diff"]
    assert json.loads(cli(home, "activate", "2", "--json").stdout)["active"] is True
    assert json.loads(cli(home, "show", "--json").stdout)["label"] == "answer@2"
    assert json.loads(cli(home, "rollback", "--json").stdout)["label"] == "answer@1"

    user_file.write_text("Question: {{ question }}\n{% for p in passages %}\n{{ p.text }\n")
    broken = cli(home, "save", "--user-file", str(user_file))
    assert broken.returncode == 1 and broken.stdout == ""
    assert broken.stderr.strip().splitlines() == [
        "modelhub: error: the user template has a Jinja2 syntax error at line 3: unexpected '}'"
    ]
    for args, message in [
        (("diff", "1"), "prompts diff takes two versions, not 1"),
        (("activate", "9"), "no version 9 of the 'answer' prompt template"),
        (("save",), "prompts save needs --system-file and/or --user-file"),
        (("ab", "1", "2", "--questions", str(tmp_path / "nope.yaml")), "nope.yaml: no such questions file"),
    ]:
        failed = cli(home, *args)
        assert failed.returncode == 1 and message in failed.stderr and len(failed.stderr.splitlines()) == 1

    # A/B from the shell, over the indexed hub's home, with a questions file of the user's own
    if len(hub.prompts.list()) < 2:
        hub.prompts.save(user=BRIEF, note="one sentence")
    mine = tmp_path / "mine.txt"
    mine.write_text(
        "# my questions\nwhat batch size does dcgan use\nwhere is the causal attention mask applied\n"
    )
    ab = cli(hub.settings.home, "ab", "1", "2", "--questions", str(mine), "--llm", "none", "--json")
    assert ab.returncode == 0, ab.stderr
    out = json.loads(ab.stdout)
    assert (out["a"], out["b"], out["questions"], out["status"]) == ("answer@1", "answer@2", 2, "done")
    assert {"value_stated", "citations_valid", "chars_median", "latency_p50"} <= set(out["sides"]["a"])
    assert out["verdict"] and out["id"]
    runs = json.loads(cli(hub.settings.home, "runs", "--json").stdout)["runs"]
    assert runs[0]["id"] == out["id"] and runs[0]["verdict"] == out["verdict"]


def test_magic_prompts(hub: Hub) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.extension_manager.load_extension("modelhub_jupyter")
    ip.magics_manager.registry["ModelHubMagics"].hub = hub
    if len(hub.prompts.list()) < 2:
        hub.prompts.save(user=BRIEF, note="one sentence")
    listed = ip.run_line_magic("modelhub", "prompts list")
    assert listed.to_dict()["versions"][1]["label"] == "answer@2"
    diff = ip.run_line_magic("modelhub", "prompts diff 1 2")
    assert "+Answer in one sentence" in diff.diff and "color:#1a7f37" in diff._repr_html_()
