"""Fuzzing every parser entry point with structure-aware inputs, each example in a time and memory budget.

The inputs come from :mod:`.fuzz_strategies` (JSON with the right keys and wrong types, infotext
from fragments, ComfyUI graphs with cycles, YAML with aliases and tags, Python from fragments,
lying safetensors/GGUF/zip headers, PNGs with random chunks, mutated bytes). Every call must end
the way the design allows: a normal result (an ``Extracted`` whose warnings are one line each) or
a one-line :class:`ParseError` without the file's path, and never an "internal error" (the
last-resort guards of the binary readers turning a bug into a message), within
:data:`SECONDS` (a timer interrupts a hang) and :data:`MEGABYTES` of traced allocations (plus
:data:`RSS_MB` of resident memory, for what C code allocates). The pure ``sd_metadata`` parsers
must not raise at all.

Budgets (environment variables):

- ``MODELHUB_FUZZ_EXAMPLES``: examples per entry point (default 40, derandomized, for CI);
  when set, examples are random: ``--hypothesis-seed=N`` makes a long run repeatable.
- ``MODELHUB_FUZZ_SECONDS`` (5), ``MODELHUB_FUZZ_MB`` (100), ``MODELHUB_FUZZ_RSS_MB`` (400).
- ``MODELHUB_FUZZ_SHRINK=0``: report failures as found, without shrinking them (shrinking a
  failure made of whole files can take hypothesis's full five minutes).

The long run, by hand::

    MODELHUB_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/hostile/test_fuzz.py
    .venv/bin/python benchmarks/fuzz_parsers.py --examples 5000 --seconds 600

No example database is written (``database=None``): a failure prints its input and a
``@reproduce_failure`` blob; pin it with ``@example(...)`` on the test.
"""

from __future__ import annotations

import io
import json
import os
import signal
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from modelhub_jupyter.errors import ParseError
from modelhub_jupyter.ingest import sd_metadata as sd
from modelhub_jupyter.ingest.config_files import parse_config
from modelhub_jupyter.ingest.git_history import GitInfo
from modelhub_jupyter.ingest.images import make_thumbnail, read_image
from modelhub_jupyter.ingest.model_dir import read_model_dir
from modelhub_jupyter.ingest.notebooks import parse_notebook
from modelhub_jupyter.ingest.pipeline import build
from modelhub_jupyter.ingest.python_code import parse_python
from modelhub_jupyter.ingest.scanner import ScannedFile
from modelhub_jupyter.ingest.types import Chunk, Extracted
from modelhub_jupyter.ingest.weights import read_weight_file

from . import fuzz_strategies as fs

MB = 1024 * 1024
LONG_RUN = "MODELHUB_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("MODELHUB_FUZZ_EXAMPLES", "40"))
SECONDS = float(os.environ.get("MODELHUB_FUZZ_SECONDS", "5"))
MEGABYTES = float(os.environ.get("MODELHUB_FUZZ_MB", "100"))
RSS_MB = float(os.environ.get("MODELHUB_FUZZ_RSS_MB", "400"))
SHRINK = os.environ.get("MODELHUB_FUZZ_SHRINK", "1") != "0"  # 0: report failures unshrunk (faster long runs)
TEMP = tempfile.gettempdir()
# What the last-resort guards of the binary readers say when they catch a bug (not a bad file).
MASKED_BUG = (
    "internal error",
    "cannot read image:",
    "cannot read weight file:",
    "cannot read model directory:",
)

CALLS: Counter[str] = Counter()  # parser calls per entry point (benchmarks/fuzz_parsers.py reports them)


def fuzz(share: float = 1.0) -> settings:
    """The settings of one fuzz test: ``share`` of :data:`EXAMPLES`, a deadline for the whole
    example (files written + parsed), no example database, derandomized unless a long run.

    ``too_slow``/``data_too_large`` are suppressed: the strategies build whole files (many draws
    per example) on purpose, and each parser call's real budget is checked by :func:`bounded`.
    """
    return settings(
        max_examples=max(1, int(EXAMPLES * share)),
        deadline=timedelta(seconds=2 * SECONDS + 5),
        derandomize=not LONG_RUN,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
        phases=tuple(Phase) if SHRINK else (Phase.explicit, Phase.reuse, Phase.generate),
    )


# ----------------------------------------------------------------------------- the budget


class Overtime(BaseException):
    """Raised by the timer inside a parser that runs past :data:`SECONDS` (a BaseException, so a
    parser's ``except Exception`` cannot swallow it)."""


def _rss_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_rss_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM (Linux 4.0+)
        return True
    except OSError:
        return False


@contextmanager
def _timer(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def _ring(signum: int, frame: Any) -> None:
        raise Overtime

    previous = signal.signal(signal.SIGALRM, _ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bounded(name: str, fn: Callable[..., Any], *args: Any, may_raise: bool = True) -> Any:
    """``fn(*args)`` within the time and memory budget; returns the result or the ParseError.

    Any other exception propagates (hypothesis reports and shrinks it); so does a ParseError
    when ``may_raise`` is false (the pure ``sd_metadata`` parsers never raise).
    """
    CALLS[name] += 1
    rss_ok = _reset_rss_peak()
    rss_before = _rss_kb("VmRSS") if rss_ok else None
    outer = tracemalloc.is_tracing()  # someone else's tracing: measure from here, leave it running
    if outer:
        tracemalloc.reset_peak()
    else:
        tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    try:
        with _timer(SECONDS):
            try:
                result = fn(*args)
            except ParseError as err:
                if not may_raise:
                    raise
                result = err
    except Overtime:
        raise AssertionError(f"{name}: still running after {SECONDS:g} s (a hang?)") from None
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] - baseline
        if not outer:
            tracemalloc.stop()
    assert elapsed < SECONDS, f"{name}: took {elapsed:.1f} s"
    assert peak < MEGABYTES * MB, f"{name}: {peak / MB:.0f} MB traced at the peak (budget {MEGABYTES:g} MB)"
    rss_after = _rss_kb("VmHWM") if rss_before is not None else None
    if rss_before is not None and rss_after is not None:
        grown = (rss_after - rss_before) / 1024
        assert grown < RSS_MB, f"{name}: resident memory grew by {grown:.0f} MB (budget {RSS_MB:g} MB)"
    return result


def one_line(text: Any, what: str) -> None:
    assert isinstance(text, str) and text.strip(), f"{what}: empty or not text: {text!r}"
    assert len(text.splitlines()) == 1, f"{what} is not one line: {text!r}"  # also \f, \x1c, \u2028, ...
    assert len(text) <= 400, f"{what} is {len(text)} characters: {text[:200]!r}..."
    assert TEMP not in text, f"{what} names a temporary path: {text!r}"
    assert "Traceback" not in text, f"{what}: {text!r}"
    text.encode("utf-8")  # errors and warnings are stored and printed as they are: no lone surrogates


def check_outcome(outcome: Any, *, guarded: bool = False) -> None:
    """The contract of a parser's outcome: an Extracted with clean warnings, chunks of text and
    JSON-able metadata, or a one-line ParseError. ``guarded``: a binary reader whose last-resort
    guard turns bugs into messages, which must never be seen."""
    if isinstance(outcome, ParseError):
        one_line(str(outcome), "ParseError")
        if guarded:
            assert not str(outcome).startswith(MASKED_BUG), (
                f"a bug caught by the last-resort guard: {outcome}"
            )
        return
    assert isinstance(outcome, Extracted), f"returned {type(outcome).__name__}, not an Extracted"
    for warning in outcome.warnings:
        one_line(warning, "warning")
        if guarded:
            assert not any(m in warning for m in MASKED_BUG), f"a bug caught by a guard: {warning}"
    for chunk in outcome.chunks:  # lone surrogates in texts are fine here: pipeline.build replaces them
        assert (
            isinstance(chunk, Chunk) and isinstance(chunk.content, str) and isinstance(chunk.breadcrumb, str)
        )
        assert isinstance(chunk.start_line, int) and isinstance(chunk.end_line, int)
    json.dumps(outcome.metadata, default=str)  # what the pipeline does before validating
    assert all(isinstance(v, str) for v in outcome.provenance.values())


def check_params(params: Any) -> None:
    """A ``sd_metadata`` result: a dict of plain values (text, numbers, lists of text)."""
    assert isinstance(params, dict), f"returned {type(params).__name__}"
    for key, value in params.items():
        assert isinstance(key, str)
        if isinstance(value, list):
            assert all(isinstance(v, str) for v in value), f"{key}: {value!r}"[:300]
        else:
            plain = isinstance(value, str | int | float) and not isinstance(value, bool)
            assert plain, f"{key}: {value!r}"[:300]


@contextmanager
def folder(files: dict[str, bytes]) -> Iterator[Path]:
    """A fresh temporary folder holding ``files`` (one per example: ``tmp_path`` is shared)."""
    with tempfile.TemporaryDirectory(prefix="modelhub-fuzz-") as name:
        root = Path(name)
        for rel, data in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        yield root


# ----------------------------------------------------------------------------- text parsers


def as_read(text: str) -> str:
    """``text`` as :func:`~modelhub_jupyter.ingest.parsers.read_text` could return it: a file
    holds bytes, so a lone surrogate can only arrive as U+FFFD (or as an escape in the text)."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def texts(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return strategy.map(as_read)


@fuzz()
@given(texts(fs.python_source() | st.text(max_size=200)))
def test_parse_python(source: str) -> None:
    check_outcome(bounded("parse_python", parse_python, source, "pkg/model.py"))


@fuzz()
@given(texts(fs.notebook_text() | st.text(max_size=100)))
def test_parse_notebook(text: str) -> None:
    check_outcome(bounded("parse_notebook", parse_notebook, text, "nb/train.ipynb"))


def _config_texts(own: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly the format's own texts; sometimes another format's or random text."""
    return texts(
        st.one_of(own, own, own, fs.yaml_text(), fs.json_config_text(), fs.toml_text(), st.text(max_size=100))
    )


@fuzz()
@given(_config_texts(fs.yaml_text()), st.sampled_from([".yaml", ".yml"]))
def test_parse_config_yaml(text: str, suffix: str) -> None:
    check_outcome(bounded("parse_config .yaml/.yml", parse_config, text, f"conf/train{suffix}", suffix))


@fuzz()
@given(_config_texts(fs.json_config_text()))
def test_parse_config_json(text: str) -> None:
    check_outcome(bounded("parse_config .json", parse_config, text, "conf/config.json", ".json"))


@fuzz()
@given(_config_texts(fs.toml_text()))
def test_parse_config_toml(text: str) -> None:
    check_outcome(bounded("parse_config .toml", parse_config, text, "pyproject.toml", ".toml"))


# ----------------------------------------------------------------------------- images


def _tiny_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buf, "PNG")
    return buf.getvalue()


TINY_PNG = _tiny_png()


@fuzz()
@given(fs.image_folder())
# found by the fuzzer: a sidecar's name (from the image's) with a line break made a two-line warning
@example(("img\x0c.png", {"img\x0c.png": TINY_PNG, "img\x0c.json": b"{"}))
def test_read_image(case: tuple[str, dict[str, bytes]]) -> None:
    name, files = case
    with folder(files) as root:
        check_outcome(bounded("read_image", read_image, root / name, f"gen/{name}"), guarded=True)


@fuzz(0.5)
@given(
    fs.generated_image() | fs.mutated_image(),
    st.sampled_from([".webp", ".jpg", ".jpeg", ".png", ".gif", ""]),
    st.sampled_from([256, 256, 1, 2, 17, 0, -3, 100_000]),
)
def test_make_thumbnail(data: bytes, suffix: str, size: int) -> None:
    with folder({"img.png": data}) as root:
        dest = root / "thumbs" / f"t{suffix}"
        outcome = bounded("make_thumbnail", make_thumbnail, root / "img.png", dest, size)
        if isinstance(outcome, ParseError):
            check_outcome(outcome, guarded=True)
            return
        assert outcome == dest and dest.is_file()
        with Image.open(dest) as thumb:
            assert max(thumb.size) <= max(size, 1)


# ----------------------------------------------------------------------------- generation metadata (pure)


@fuzz()
@given(fs.a1111_text() | st.text(max_size=200))
def test_sd_a1111(text: str) -> None:
    check_params(bounded("sd.parse_a1111", sd.parse_a1111, text, may_raise=False))
    settings_line = text.rsplit("\n", 1)[-1]
    assert isinstance(bounded("sd.a1111_settings", sd.a1111_settings, settings_line, may_raise=False), dict)
    assert isinstance(bounded("sd.style_tags", sd.style_tags, text, may_raise=False), list)


@fuzz()
@given(fs.comfy_graph() | fs.json_values(fs.COMFY_INPUTS))
def test_sd_comfyui(graph: Any) -> None:
    warnings: list[str] = []
    sd.looks_like_comfy_graph(graph)
    check_params(bounded("sd.parse_comfyui", sd.parse_comfyui, graph, warnings, may_raise=False))
    for line in warnings:
        one_line(line, "warning")


@fuzz(0.25)
@given(fs.comfy_graph_bulk())
def test_sd_comfyui_large_graphs(graph: dict[str, Any]) -> None:
    warnings: list[str] = []
    check_params(bounded("sd.parse_comfyui (large)", sd.parse_comfyui, graph, warnings, may_raise=False))


@fuzz()
@given(fs.comfy_workflow() | fs.json_values(["nodes", "links", "id", "type"]))
def test_sd_workflow(workflow: Any) -> None:
    warnings: list[str] = []
    graph = bounded("sd.workflow_to_api", sd.workflow_to_api, workflow, warnings, may_raise=False)
    assert isinstance(graph, dict)
    check_params(bounded("sd.parse_comfyui", sd.parse_comfyui, graph, warnings, may_raise=False))


@fuzz()
@given(
    fs.generation_json() | fs.invokeai_legacy() | fs.novelai_comment(),
    st.dictionaries(st.sampled_from(["Description", "Source", "Software", "Comment"]), st.text(max_size=40)),
)
def test_sd_generic_json(data: Any, texts: dict[str, str]) -> None:
    check_params(bounded("sd.parse_generic_json", sd.parse_generic_json, data, may_raise=False))
    check_params(bounded("sd.parse_invokeai", sd.parse_invokeai, data, may_raise=False))
    check_params(bounded("sd.parse_invokeai_legacy", sd.parse_invokeai_legacy, data, may_raise=False))
    comment = data if isinstance(data, dict) else None
    check_params(bounded("sd.parse_novelai", sd.parse_novelai, texts, comment, may_raise=False))


@fuzz()
@given(fs.user_comment() | st.binary(max_size=64), st.sampled_from([">", "<"]))
def test_sd_user_comment(data: bytes, byte_order: str) -> None:
    text = bounded("sd.decode_user_comment", sd.decode_user_comment, data, byte_order, may_raise=False)
    assert isinstance(text, str)
    assert isinstance(sd.decode_user_comment(text), str)
    assert isinstance(sd.fix_mojibake(sd.decode_bytes(data)), str)


# ----------------------------------------------------------------------------- weights and model folders


@fuzz()
@given(fs.weight_file())
# found by the fuzzer: a file name with a line break went into a warning as it was
@example(("model\n.pt", b"junkjunk"))
@example(
    (
        "model\u2028.safetensors",
        fs.safetensors_bytes({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}),
    )
)
def test_read_weight_file(case: tuple[str, bytes]) -> None:
    name, data = case
    with folder({name: data}) as root:
        check_outcome(
            bounded("read_weight_file", read_weight_file, root / name, f"weights/{name}"), guarded=True
        )


@fuzz()
@given(fs.model_folder())
# found by the fuzzer: shard names from model.safetensors.index.json went into a warning as they were
@example(
    {
        "model.safetensors": fs.safetensors_bytes({}),
        "model.safetensors.index.json": b'{"weight_map": {"a": "\\f\\u00ca\\f", "b": "\\r\\n"}}',
    }
)
# and so did the name of a weight file that cannot be read
@example({"model\n.safetensors": b"\xff" * 8, "config.json": b"{}"})
# found by the fuzzer: tagged scalars PyYAML cannot construct (KeyError, IndexError, AttributeError
# inside yaml.load) lost the whole folder to the last-resort guard
@example({"README.md": b"---\nlicense: mit\ndate: !!timestamp x\n---\n# M\n"})
@example({"README.md": b"---\na: !!bool maybe\nb: !!int ''\n---\n"})
# a long base-60 float overflowed (OverflowError: an "internal error" in the warning)
@example({"README.md": b"---\na: 1" + b":1" * 300 + b".5\n---\n"})
# a long base-60 int in the front matter took quadratic time (10 s for 400 KB)
@example({"README.md": b"---\na: 1" + b":1" * 200_000 + b"\n---\n"})
def test_read_model_dir(files: dict[str, bytes]) -> None:
    with folder({f"my-model/{k}": v for k, v in files.items()}) as root:
        outcome = bounded("read_model_dir", read_model_dir, root / "my-model", "models/my-model")
        check_outcome(outcome, guarded=True)


# ----------------------------------------------------------------------------- end to end (pipeline.build)


@st.composite
def scanned_case(draw: st.DrawFn) -> tuple[str, str, dict[str, bytes]]:
    """(file kind, relative path, files) for one file (or model folder) of any kind."""
    kind = draw(st.sampled_from(["image", "weights", "model_dir", "python", "notebook", "config"]))
    if kind == "image":
        name, files = draw(fs.image_folder())
        return kind, name, files
    if kind == "weights":
        name, data = draw(fs.weight_file())
        return kind, name, {name: data}
    if kind == "model_dir":
        return kind, "m", {f"m/{k}": v for k, v in draw(fs.model_folder()).items()}
    if kind == "python":
        return kind, "a.py", {"a.py": draw(fs.python_source()).encode("utf-8", "surrogatepass")}
    if kind == "notebook":
        return kind, "a.ipynb", {"a.ipynb": draw(fs.notebook_text()).encode("utf-8", "surrogatepass")}
    suffix = draw(st.sampled_from([".yaml", ".json", ".toml"]))
    text = draw({".yaml": fs.yaml_text(), ".json": fs.json_config_text(), ".toml": fs.toml_text()}[suffix])
    return kind, f"c{suffix}", {f"c{suffix}": text.encode("utf-8", "surrogatepass")}


@fuzz(0.5)
@given(scanned_case())
def test_pipeline_build(case: tuple[str, str, dict[str, bytes]]) -> None:
    """A file through the whole pipeline (parser, schema validation, thumbnail): its error, if
    any, is one line and never the pipeline's own guard catching a bug; documents are storable."""
    kind, rel, files = case
    with folder(files) as root:
        path = root / rel
        size = (
            sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
            if path.is_dir()
            else path.stat().st_size
        )
        members = (
            tuple(sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()))
            if path.is_dir()
            else ()
        )
        file = ScannedFile(path, rel, kind, size, 0, members)
        git = GitInfo(None, None, (), 0, "", "filesystem")
        outcome = bounded(f"pipeline.build ({kind})", build, file, root, git, root / "thumbs")
        if outcome.error is not None:
            one_line(outcome.error, "error")
            assert not outcome.error.startswith(
                ("cannot parse (", "ValueError:", "OSError:", "RecursionError:")
            ), outcome.error
            assert not any(m in outcome.error for m in MASKED_BUG), outcome.error
        for warning in outcome.warnings:
            one_line(warning, "warning")
        for doc in outcome.docs:
            doc.content.encode("utf-8")
            json.dumps(doc.metadata, default=str).encode("utf-8")
