"""Access control: documents carry who may see them (``.modelhub-access.yaml``, sidecars), and a
restricted viewer never learns that a hidden document exists: not from hits, counts, suggestions,
filter keys, answers, relationships, file views or errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modelhub_jupyter import Hub, NotFoundError
from modelhub_jupyter.errors import FilterError
from tests.conftest import write

PUBLIC = '''"""A small MLP classifier for tabular data."""
import torch
from torch import nn

DATASET = "mnist"
LEARNING_RATE = 1e-3


class TabularMLP(nn.Module):
    def __init__(self, hidden_size: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, hidden_size), nn.ReLU(), nn.Linear(hidden_size, 10))

    def forward(self, x):
        return self.net(x)


def train(model):
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    return optimizer
'''

PRIVATE = '''"""Zebraformer: a mixture-of-experts transformer trained on zebracorpus."""
import torch
from torch import nn

DATASET = "zebracorpus"
LEARNING_RATE = 3e-4


class Zebraformer(nn.Module):
    def __init__(self, hidden_size: int = 512, num_layers: int = 6, num_experts: int = 16):
        super().__init__()
        self.experts = nn.ModuleList(nn.Linear(hidden_size, hidden_size) for _ in range(num_experts))
        self.layers = nn.ModuleList(nn.TransformerEncoderLayer(hidden_size, 8) for _ in range(num_layers))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def train(model):
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    return optimizer
'''

TEAM = '''"""Okapinet: a convolutional network the research team shares."""
import torch
from torch import nn

DATASET = "okapiset"


class Okapinet(nn.Module):
    def __init__(self, channels: int = 32):
        super().__init__()
        self.conv = nn.Conv2d(3, channels, 3)

    def forward(self, x):
        return self.conv(x)
'''

POLICY = """groups:
  research: [bob]
rules:
  - paths: ["private/"]
    owner: alice
  - paths: ["team/"]
    owner: alice
    view_permissions: [research]
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("acl") / "models"
    write(root / "public" / "mlp.py", PUBLIC)
    write(root / "private" / "zebraformer.py", PRIVATE)
    write(root / "team" / "okapinet.py", TEAM)
    write(root / ".modelhub-access.yaml", POLICY)
    return root


@pytest.fixture(scope="module")
def home(tmp_path_factory, workspace, shared_embedder) -> Path:
    home = tmp_path_factory.mktemp("acl-home")
    with Hub(home, embedder=shared_embedder, user="") as owner:  # "" = nobody in particular: sees all
        report = owner.index(workspace, progress=False)
    assert report.indexed == 3 and not report.errors  # the policy file is read, not indexed
    return home


def as_user(home: Path, embedder, user: str | None, groups: list[str] | None = None) -> Hub:
    return Hub(home, embedder=embedder, user=user, groups=groups or [])


def paths(results) -> set[str]:
    return {hit.path for hit in results}


def test_the_owner_sees_everything_and_documents_carry_their_access(home, shared_embedder):
    with as_user(home, shared_embedder, None) as hub:
        assert not hub.viewer.restricted
        assert "private/zebraformer.py" in paths(hub.search("zebraformer mixture of experts"))
        view = hub.show(hub.status()["roots"][0]["path"] + "/private/zebraformer.py")
        assert view.metadata["access_control"] == {"owner": "alice", "view_permissions": []}
        assert "access_control" not in hub.show(hub.status()["roots"][0]["path"] + "/public/mlp.py").metadata


def test_a_restricted_user_learns_nothing_of_hidden_documents(home, workspace, shared_embedder):
    with as_user(home, shared_embedder, None) as owner:
        everything = owner.status()
        private_id = next(h.id for h in owner.search("zebraformer", kind="code"))
    with as_user(home, shared_embedder, "carol") as hub:
        # hits, for the hidden file's own words and for anything else
        for query in ("zebraformer mixture of experts", "zebracorpus", "transformer", "okapinet"):
            assert paths(hub.search(query, limit=50)) <= {"public/mlp.py"}, query
        # counts
        status = hub.status()
        assert status["files"] == 1 and everything["files"] == 3
        assert status["documents"]["code"] < everything["documents"]["code"]
        assert hub.browse("code", limit=100).total == status["documents"]["code"]
        # suggestions, vocabulary, filter keys
        assert not [s for s in hub.suggest("zebra")] and not hub.suggest("okapi")
        values = {v for pairs in hub.vocabulary(per_key=1000).values() for v, _ in pairs}
        assert "zebracorpus" not in values and "AdamW" not in values and "Zebraformer" not in values
        assert "mnist" in values
        # the plain-English reader does not know the hidden vocabulary either
        assert not [c for c in hub.understand("models trained on zebracorpus").clauses if "zebra" in str(c)]
        # answers and citations
        answer = hub.ask("Which models use AdamW, and with what learning rate?", llm="none")
        text = answer.answer + json.dumps(answer.to_dict())
        assert "zebra" not in text.lower() and "3e-4" not in text and "0.0003" not in text
        assert all(c.path == "public/mlp.py" for c in answer.citations)
        # file views and documents: the same answer as for something that is not there
        with pytest.raises(NotFoundError) as hidden:
            hub.show(workspace / "private" / "zebraformer.py")
        with pytest.raises(NotFoundError) as absent:
            hub.show(workspace / "private" / "no_such_file.py")
        assert str(hidden.value).split(":")[-1] == str(absent.value).split(":")[-1]
        with pytest.raises(NotFoundError, match="no document"):
            hub.document(private_id)
        assert hub.thumbnail(private_id) is None
        assert not [e for e in hub.relationships() if "zebra" in json.dumps(e).lower()]
        # the queries of others are not theirs to read
        assert hub.stats()["queries"] == 5  # the four searches in the loop and the question
    with as_user(home, shared_embedder, None) as owner:
        denials = owner.audit_log()
        assert {(d["user"], d["action"]) for d in denials} >= {("carol", "show"), ("carol", "document")}
        assert owner.stats()["queries"] > 5  # the owner sees everyone's


def test_a_filter_on_a_key_only_hidden_documents_have_is_unknown_to_the_viewer(home, shared_embedder):
    with as_user(home, shared_embedder, None) as owner:
        assert owner.search("", where=["training_config.optimizer=AdamW"]).hits
    with as_user(home, shared_embedder, "carol") as hub:
        assert not hub.search("", where=["training_config.optimizer=AdamW"]).hits
        assert hub.search("", where=["training_config.optimizer=SGD"]).hits


def test_groups_come_from_the_policy_or_the_caller(home, shared_embedder):
    with as_user(home, shared_embedder, "bob") as bob:  # research, through the policy's groups:
        assert paths(bob.search("okapinet convolutional", limit=50)) >= {"team/okapinet.py"}
        assert "private/zebraformer.py" not in paths(bob.search("zebraformer", limit=50))
    with as_user(home, shared_embedder, "carol", ["research"]) as carol:
        assert "team/okapinet.py" in paths(carol.search("okapinet", limit=50))
    with as_user(home, shared_embedder, "alice") as alice:  # the owner of both
        assert {"private/zebraformer.py", "team/okapinet.py"} <= paths(alice.search("model", limit=50))


def test_a_changed_policy_applies_at_the_next_run_without_parsing_again(tmp_path, shared_embedder):
    root = tmp_path / "models"
    write(root / "public" / "mlp.py", PUBLIC)
    write(root / "private" / "zebraformer.py", PRIVATE)
    write(root / ".modelhub-access.yaml", POLICY)
    with Hub(tmp_path / "home", embedder=shared_embedder, user="") as owner:
        owner.index(root, progress=False)
        write(
            root / ".modelhub-access.yaml",
            "rules:\n  - paths: ['private/']\n    view_permissions: [public]\n",
        )
        # a sidecar beats the folder's policy
        write(root / "public" / "mlp.py.access.yaml", "owner: dave\n")
        report = owner.index(root, progress=False)
        assert report.indexed == 0 and report.unchanged == 2
    with Hub(tmp_path / "home", embedder=shared_embedder, user="carol") as carol:
        assert paths(carol.search("zebraformer", limit=50)) == {"private/zebraformer.py"}
    with Hub(tmp_path / "home", embedder=shared_embedder, user="dave") as dave:
        assert "public/mlp.py" in paths(dave.search("tabular mlp", limit=50))


def test_a_broken_policy_hides_its_folder_and_names_itself(tmp_path, shared_embedder):
    root = tmp_path / "models"
    write(root / "public" / "mlp.py", PUBLIC)
    write(root / "private" / "zebraformer.py", PRIVATE)
    write(root / "private" / ".modelhub-access.yaml", "rules:\n  - paths: [unclosed\n")
    with Hub(tmp_path / "home", embedder=shared_embedder, user="") as owner:
        report = owner.index(root, progress=False)
        (error,) = report.errors
        assert error["path"] == "private/.modelhub-access.yaml" and "hidden" in error["error"]
        assert "private/zebraformer.py" in paths(owner.search("zebraformer"))
    with Hub(tmp_path / "home", embedder=shared_embedder, user="alice") as alice:  # fail closed
        assert paths(alice.search("zebraformer", limit=50)) == {"public/mlp.py"}
        assert alice.errors() == [] or all("private/zebraformer" not in e["path"] for e in alice.errors())


def test_the_cli_takes_user_and_group(home, workspace, shared_embedder):
    env = {**os.environ, "MODELHUB_HOME": str(home)}
    env.pop("MODELHUB_USER", None)

    def run(*args: str) -> dict | list:
        out = subprocess.run(
            [sys.executable, "-m", "modelhub_jupyter.cli", *args, "--json"],
            capture_output=True, text=True, env=env, timeout=300, check=True,
        )  # fmt: skip
        return json.loads(out.stdout)

    hits = run("--user", "carol", "search", "zebraformer okapinet", "--limit", "50")
    assert {h["path"] for h in hits} == {"public/mlp.py"}
    hits = run("--user", "carol", "--group", "research", "search", "okapinet", "--limit", "50")
    assert "team/okapinet.py" in {h["path"] for h in hits}
    assert run("--user", "carol", "status")["files"] == 1
    before = len(run("audit"))
    for target in (workspace / "private" / "zebraformer.py", workspace / "private" / "absent.py"):
        shown = subprocess.run(
            [sys.executable, "-m", "modelhub_jupyter.cli", "--user", "carol", "show", str(target)],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
        assert shown.returncode == 1 and shown.stderr.strip().endswith("no indexed file you can see")
    denials = run("audit")  # the hidden file's request is logged; the absent one's is no denial
    assert len(denials) == before + 1 and denials[0]["user"] == "carol" and denials[0]["action"] == "show"
    with pytest.raises(FilterError):  # a key only hidden documents have is unknown to a restricted user
        with as_user(home, shared_embedder, "carol") as hub:
            hub.search("", where=["model_dimensions.num_layers>1"])
