"""The example workspace shipped with modelhub-jupyter, and a builder that gives it real git history.

``build_workspace(dest)`` copies :data:`WORKSPACE` to ``dest`` and replays :data:`PLAN` as git
commits by several people over 2025, so that git-derived metadata (authors, creation and
modification dates, file histories) has something believable to show.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

__all__ = ["PLAN", "WORKSPACE", "build_workspace"]

WORKSPACE: Path = Path(__file__).resolve().parent / "workspace"

ADA = ("Ada Lovelace", "ada@example.org")
ALAN = ("Alan Turing", "alan@example.org")
GRACE = ("Grace Hopper", "grace@example.org")
KATHERINE = ("Katherine Johnson", "katherine@example.org")

# (author date with timezone, author, message, paths). A path may name a folder; files that do not exist
# are skipped (and so is a commit left with none). A file named twice is committed twice: see EARLIER_TEXT.
# fmt: off
PLAN: list[tuple[str, tuple[str, str], str, list[str]]] = [
    ("2025-01-08T10:15:00+00:00", ADA, "Initial GPT baseline: transformer_v1 and small config",
     ["README.md", ".gitignore", "gpt/transformer_v1.py", "configs/gpt_small.yaml"]),
    ("2025-01-16T16:42:00+00:00", ADA, "Add GPT training script and shared data utils",
     ["gpt/train_gpt.py", "common/data_utils.py"]),
    ("2025-01-29T11:03:00-05:00", GRACE, "Add evaluation metrics (accuracy, perplexity, BLEU)", ["common/metrics.py"]),
    ("2025-02-05T09:30:00+01:00", ALAN, "Vision: ResNet-18 on CIFAR-10 and a Keras MNIST CNN",
     ["vision/resnet_cifar.py", "vision/keras_cnn_mnist.py", "configs/resnet_cifar.toml"]),
    ("2025-02-20T14:12:00+01:00", ALAN, "Add ViT-Tiny for CIFAR-100", ["vision/vit_tiny.py"]),
    ("2025-03-04T10:47:00-05:00", GRACE, "Sequence models: IMDB BiLSTM and GRU load forecaster", ["sequence"]),
    ("2025-03-19T15:20:00-07:00", KATHERINE, "JAX/Flax experiments: MLP and transformer encoder", ["jax"]),
    ("2025-03-27T13:05:00-04:00", GRACE, "Tabular MLP baseline on UCI Adult", ["mlp"]),
    ("2025-04-09T18:02:00+01:00", ADA, "transformer_v2: rotary embeddings, flash attention, GPT-2 small dims",
     ["gpt/transformer_v2.py"]),
    ("2025-04-23T11:40:00-07:00", KATHERINE, "DDPM: UNet noise predictor, sampler and FID",
     ["diffusion", "configs/ddpm.json"]),
    ("2025-05-07T09:55:00+01:00", ADA, "Tune transformer_v2 dropout", ["gpt/transformer_v2.py"]),
    ("2025-05-21T16:30:00+02:00", ALAN, "GANs: DCGAN on CelebA and a Keras GAN on MNIST", ["gan"]),
    ("2025-06-11T10:10:00-07:00", KATHERINE, "Add generated samples", ["outputs"]),
    ("2025-06-18T09:20:00-07:00", KATHERINE, "Add Stable Diffusion and GGUF checkpoints used for the samples",
     ["models/stable-diffusion", "models/tiny-gguf"]),
    ("2025-06-25T14:45:00+01:00", ADA, "Export tiny-gpt model directory", ["models/tiny-gpt"]),
    ("2025-07-09T12:00:00-04:00", GRACE, "Add GPT exploration notebook", ["notebooks"]),
]
# fmt: on
REMAINING = ("2025-07-30T17:25:00+02:00", ALAN, "Add remaining files")

# The text a file had when first committed, as (shipped text, earlier text) replacements; a later plan
# entry naming the same file commits the shipped text.
EARLIER_TEXT: dict[str, list[tuple[str, str]]] = {
    "gpt/transformer_v2.py": [("dropout: float = 0.1", "dropout: float = 0.2")],
}

# Files the workspace's own .gitignore excludes. Git cannot ship them inside this package, so the builder
# writes them; they show that ignore rules matter.
UNTRACKED_FILES: dict[str, str] = {
    "checkpoints/README.txt": "Model checkpoints are written here by the training scripts (*.pt, *.keras).\n"
    "They are large and are not committed; see the project's .gitignore.\n",
    "gpt/train_gpt.log": "step 0: train 10.9823  val 10.9801  ppl 58721.3\n"
    "step 500: train 4.1207  val 4.1874  ppl 65.8\nstep 1000: train 3.5512  val 3.6390  ppl 38.1\n",
}

_GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}


def build_workspace(dest: Path, *, with_history: bool = True) -> Path:
    """Copy the example workspace to ``dest`` (absent or empty) and, by default, commit its git history."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"{dest} already exists and is not an empty directory")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", ".DS_Store")
    shutil.copytree(WORKSPACE, dest, ignore=ignore, dirs_exist_ok=True)
    for rel, text in UNTRACKED_FILES.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text, encoding="utf-8")
    if with_history:
        _commit_history(dest)
    return dest


def _commit_history(dest: Path) -> None:
    import git  # imported here so that importing this module stays cheap

    dest = dest.absolute()
    # Pin the repository too, in case we run under a git hook that exported GIT_DIR/GIT_INDEX_FILE.
    env = {**_GIT_ENV, "GIT_DIR": str(dest / ".git"), "GIT_WORK_TREE": str(dest),
           "GIT_INDEX_FILE": str(dest / ".git" / "index")}  # fmt: skip
    cmd = git.Git(str(dest))
    cmd.update_environment(**env)
    cmd.init(initial_branch="main", quiet=True)
    with git.Repo(dest) as repo:
        repo.git.update_environment(**env)
        rels = (p.relative_to(dest) for p in dest.rglob("*") if p.is_file())
        files = sorted(r.as_posix() for r in rels if r.parts[0] != ".git")
        tracked = sorted(set(files) - set(repo.ignored(*files))) if files else []
        shipped = {rel: (dest / rel).read_bytes() for rel in EARLIER_TEXT if rel in tracked}
        committed: set[str] = set()
        for date, author, message, paths in PLAN:
            chosen = [f for f in tracked if any(f == p or f.startswith(p.rstrip("/") + "/") for p in paths)]
            if chosen:
                _commit(repo, dest, chosen, date, author, message, committed, shipped)
        left = [
            f
            for f in tracked
            if f not in committed or (f in shipped and (dest / f).read_bytes() != shipped[f])
        ]
        if left:
            _commit(repo, dest, left, *REMAINING, committed, shipped)


def _commit(
    repo,
    dest: Path,
    files: list[str],
    date: str,
    author: tuple[str, str],
    message: str,
    committed: set[str],
    shipped: dict[str, bytes],
) -> None:
    import git

    for rel in files:
        if rel in shipped:  # first commit of such a file gets its earlier text, later ones the shipped text
            text = shipped[rel].decode("utf-8")
            if rel not in committed:
                for new, old in EARLIER_TEXT[rel]:
                    if new not in text:
                        raise ValueError(f"{rel}: {new!r} not found; update EARLIER_TEXT")
                    text = text.replace(new, old)
            (dest / rel).write_bytes(text.encode("utf-8"))
    when = datetime.fromisoformat(date)
    actor = git.Actor(*author)
    repo.index.add(files)
    repo.index.commit(
        message, author=actor, committer=actor, author_date=when, commit_date=when, skip_hooks=True
    )
    stamp = when.timestamp()
    for rel in files:
        os.utime(dest / rel, (stamp, stamp))
    committed.update(files)
