"""The README as written: every ``modelhub`` command, Python block and magic block of it runs.

The README's tour works on the example workspace that ``modelhub demo`` builds under
``~/.modelhub``; here ``HOME`` is a temporary folder, so ``~/.modelhub`` (and
``$MODELHUB_HOME``) is a fresh store, and the lines run in the order the README gives them.
A line that cannot run on a fresh machine is listed in :data:`SKIP` with the reason.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent

#: Lines (by a substring) that are not run, and why.
SKIP = {
    "./setup.sh": "creates the environment this test runs in",
    "python -m pytest": "runs the test suite that holds this test",
    "voila notebooks/dashboard.ipynb": "starts a server that runs until stopped (tests/e2e/test_browser.py serves it)",
    "source .venv/bin/activate": "each line here runs with the environment's bin folder on PATH already",
}
#: A user template for ``prompts save --user-file brief.j2`` (the file the line names).
BRIEF = "Answer in one sentence: {{ question }}\n{% for p in passages %}{{ p }}\n{% endfor %}"


def blocks(text: str) -> list[tuple[str, str]]:
    """``(language, body)`` of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.M | re.S)]


def shell_lines() -> list[str]:
    """The ``modelhub`` command lines of the README's bash blocks, in order."""
    return [
        line.strip()
        for lang, body in blocks(README.read_text(encoding="utf-8"))
        if lang == "bash"
        for line in body.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def python_blocks() -> list[str]:
    return [body for lang, body in blocks(README.read_text(encoding="utf-8")) if lang == "python"]


def magic_blocks() -> list[str]:
    return [
        body for lang, body in blocks(README.read_text(encoding="utf-8")) if not lang and body.startswith("%")
    ]


def _skip_reason(line: str) -> str | None:
    return next((reason for key, reason in SKIP.items() if key in line), None)


@pytest.fixture(scope="module")
def tour(tmp_path_factory) -> dict[str, str]:
    """The environment every line runs with: a fresh HOME, its ``~/.modelhub``, no language model."""
    home = tmp_path_factory.mktemp("readme-home")
    from modelhub_jupyter.embed import onnx_model

    env = dict(os.environ)
    env.update(
        HOME=str(home),
        MODELHUB_HOME=str(home / ".modelhub"),
        MODELHUB_CACHE_DIR=str(onnx_model.cache_dir()),  # the machine's ONNX copy, as a user's home has it
        MODELHUB_LLM="none",  # the bundled model's answers are tested in test_answers.py; here: speed
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONWARNINGS="ignore",
    )
    env.pop("MODELHUB_USER", None)
    env.pop("MODELHUB_GROUPS", None)
    (home / "brief.j2").write_text(BRIEF, encoding="utf-8")
    return env


def _run(args: list[str], env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, cwd=env["HOME"], capture_output=True, text=True, timeout=timeout, check=False
    )


LINES = shell_lines()


def test_readme_has_a_tour() -> None:
    assert any(line.startswith("modelhub demo") for line in LINES)
    assert any("params>100M" in line for line in LINES)
    assert python_blocks() and magic_blocks()


@pytest.mark.parametrize("line", LINES, ids=[f"{i:02d}-{line[:50]}" for i, line in enumerate(LINES)])
def test_shell_line(line: str, tour: dict[str, str]) -> None:
    reason = _skip_reason(line)
    if reason:
        pytest.skip(reason)
    assert line.startswith("modelhub "), f"a README shell line the test does not know how to run: {line}"
    done = _run(["bash", "-c", line], tour)
    assert done.returncode == 0, f"{line}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
    if " search " in line and "--json" not in line:
        assert "no results" not in done.stdout, f"{line} found nothing:\n{done.stdout}"


@pytest.mark.parametrize("n", range(len(python_blocks())))
def test_python_block(n: int, tour: dict[str, str]) -> None:
    code = python_blocks()[n]
    done = _run([sys.executable, "-c", code], tour)
    assert done.returncode == 0, f"{code}\n{done.stderr[-3000:]}"


MAGIC_RUNNER = textwrap.dedent(
    """
    import sys
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    for cell in sys.argv[1:]:
        result = shell.run_cell(cell)
        if not result.success:
            sys.exit(f"failed: {cell!r}: {result.error_before_exec or result.error_in_exec!r}")
    """
)


def test_magic_blocks(tour: dict[str, str]) -> None:
    cells: list[str] = []
    for body in magic_blocks():
        if body.startswith("%%"):
            cells.append(body)
        else:
            cells += [line for line in body.splitlines() if line.strip()]
    done = _run([sys.executable, "-c", MAGIC_RUNNER, *cells], tour)
    assert done.returncode == 0, done.stderr[-3000:]
    # the one note a fresh machine gives (no CLIP weights to download here) is expected, once
    said = [line for line in done.stderr.splitlines() if "CLIP weights" not in line]
    assert sum("CLIP weights" in line for line in done.stderr.splitlines()) <= 1, done.stderr[-3000:]
    for marker in ("modelhub:", "UsageError", "Traceback"):
        assert not any(marker in line for line in said), done.stderr[-3000:]
    assert "Usage: %modelsearch" in done.stdout
