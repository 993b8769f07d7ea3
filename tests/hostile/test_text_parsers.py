"""Hostile text for the text parsers (configs, Python, notebooks): every input is generated here.

Each entry point (``parse_config``, ``parse_python``, ``parse_notebook``) must give a normal
result or a :class:`ParseError` whose message is one line without the file's path, within a
memory bound and without hanging. Regexes that run on file text are fed, at 16-32 times the size
that made them backtrack (before the fix, 20k characters took 29 s in one of them), the inputs
that did: a linear pattern is done in about a second, a quadratic one takes minutes to hours, so a
hang guard of a minute (:func:`hang_guard`) tells them apart on any machine, however loaded.
Refusals of inputs too large or too deep are held to a guard of three minutes: they must not hang.
Nothing here compares timings: the figures (small vs large input, and the ratio) are printed by
``benchmarks/bench_hostile.py --parsers``.
"""

from __future__ import annotations

import json
import re
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from modelhub_jupyter.errors import ParseError
from modelhub_jupyter.ingest import (
    config_files,
    notebooks,
    python_arch,
    python_chunks,
    python_code,
    python_facts,
    python_sections,
    python_text,
    python_values,
    value_keys,
)
from modelhub_jupyter.ingest.chunk_packing import MAX_CHARS
from modelhub_jupyter.ingest.config_files import MAX_DEPTH, MAX_TEXT_CHARS, MAX_VALUES, parse_config
from modelhub_jupyter.ingest.notebooks import parse_notebook
from modelhub_jupyter.ingest.python_code import parse_python
from modelhub_jupyter.ingest.types import Extracted

from .guards import hang_guard

SECRET = "secret-dir/deeper"  # a path that no message may repeat


def outcome(fn: Callable[..., Extracted], *args: Any) -> Extracted | ParseError:
    """The result, or the ParseError; any other exception fails the test."""
    try:
        return fn(*args)
    except ParseError as err:
        return err


def assert_clean(result: Extracted | ParseError) -> None:
    """A result whose warnings are one line each, or a one-line reason without the path."""
    if isinstance(result, ParseError):
        text = str(result)
        assert text and "\n" not in text and len(text) <= 300, text
        assert SECRET not in text and "Traceback" not in text, text
        return
    assert isinstance(result, Extracted)
    for warning in result.warnings:
        assert warning and "\n" not in warning and len(warning) <= 300, warning
    for chunk in result.chunks:
        assert len(chunk.content) <= MAX_CHARS


def reason(result: Extracted | ParseError) -> str:
    assert isinstance(result, ParseError), f"expected a ParseError, got {result!r}"[:300]
    return str(result)


BOUNDED_SECONDS = 180.0  # the refusals of 20 MB inputs take up to 16 s on a loaded machine


def assert_not_quadratic(
    run: Callable[[str], object], make: Callable[[int], str], n: int, times: int
) -> None:
    """``run`` finishes on ``make(times * n)`` within the hang guard.

    ``n`` is the size at which the patterns that were fixed took seconds; at ``times`` (16 or
    32) that size a quadratic pattern takes 256-1024 times longer (hours), a linear one a second.
    """
    big = make(times * n)
    with hang_guard(f"{len(big):,} characters"):
        run(big)


def peak_mb(fn: Callable[[], object]) -> tuple[object, float]:
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# -- every regex that reads file text: linear on the inputs that make patterns backtrack ---------

SP = " "
# (module, pattern name, method, input maker): the worst inputs found for each pattern, plus the
# generic ones (long runs of spaces, word characters, digits, newlines, with and without a match).
REGEX_CASES: list[tuple[Any, str, str, Callable[[int], str]]] = [
    (python_sections, "_EVAL_TEXT", "search", lambda n: "_" * n + "x"),  # was 29 s at 20k
    (python_sections, "_EVAL_TEXT", "search", lambda n: "accuracy" * (n // 8)),
    (python_sections, "_EVAL_TEXT", "search", lambda n: " a" * (n // 2)),
    (python_sections, "_CONFIG_TEXT", "search", lambda n: " \n" * (n // 2)),
    (python_sections, "_LITERAL_ASSIGN", "findall", lambda n: "z_" + SP * n),
    (python_sections, "_LITERAL_ASSIGN", "findall", lambda n: "a: b" + SP * n + "#"),
    (python_sections, "_LITERAL_ASSIGN", "findall", lambda n: "a\n" * (n // 2)),
    (python_sections, "_TRAIN_TEXT", "search", lambda n: ":" * n + "zero_grad"),
    (python_sections, "_MODEL_TEXT", "findall", lambda n: "layers.A" + "a" * n),
    (python_sections, "_DATA_TEXT", "search", lambda n: "datasets.A" + "a" * n),
    (python_sections, "_EVAL_NAME", "search", lambda n: "_" * n + "x"),
    (python_sections, "_TRAIN_NAME", "search", lambda n: "_" * n + "x"),
    (python_sections, "_CONFIG_NAME", "match", lambda n: "a" * n),
    (python_sections, "_MODEL_NAME", "search", lambda n: "build_" + "a" * n + "!"),
    (python_sections, "_LOAD_NAME", "search", lambda n: "_" * n + "x"),
    (python_sections, "_DATA_BASES", "search", lambda n: "Dataset" * (n // 7) + "x"),
    (python_sections, "_CONFIG_CLASS", "search", lambda n: "Config" * (n // 6) + "x"),
    (python_text, "_METRIC_RX", "finditer", lambda n: "acc" + SP * n + "x"),  # was 20 s at 4k
    (python_text, "_METRIC_RX", "finditer", lambda n: "acc: " + "1" * n + "e-"),
    (python_text, "_METRIC_RX", "finditer", lambda n: "fid" + "=" * n),
    (python_text, "_RESULT_CONTEXT", "search", lambda n: "x" * n),
    (python_text, "_PARAMS_BEFORE", "search", lambda n: "1" * n + "x"),  # was 85 s at 4k
    (python_text, "_PARAMS_BEFORE", "search", lambda n: "1," * (n // 2) + "x"),
    (python_text, "_PARAMS_BEFORE", "search", lambda n: "1 " + SP * n + "x"),
    (python_text, "_PARAMS_AFTER", "search", lambda n: "params: " + "1" * n + "x"),
    (python_text, "_TIME_RX", "search", lambda n: "training time: " + "1" * n + "x"),
    (python_text, "_HARDWARE_RX", "finditer", lambda n: "hardware:" + SP * n + "x"),
    (python_text, "_HARDWARE_RX", "finditer", lambda n: "hardware:" * (n // 9)),
    (python_text, "_EVAL_DS_RX", "match", lambda n: "Results(" + SP * n),
    (python_text, "_EVAL_DS_RX", "match", lambda n: SP * n + "x"),
    (python_text, "_PIN_RX", "finditer", lambda n: "torch==" + "1." * (n // 2)),
    (python_text, "_STRICT_PRED", "finditer", lambda n: "predecessor: a" + " , a" * (n // 4)),
    (python_text, "_STRICT_PRED", "finditer", lambda n: "predecessor:" + SP * n),
    (python_text, "_SOFT_PRED", "finditer", lambda n: "based on " + SP * n),
    (python_text, "_SOFT_PRED", "finditer", lambda n: "_[" * (n // 2)),
    (python_text, "_STEM_VERSION", "fullmatch", lambda n: "a_v" + "1." * (n // 2) + "x"),
    (python_text, "_STEM_VERSION", "fullmatch", lambda n: "_v1" * (n // 3) + "x"),
    (python_text, "_NAME_SEP", "split", lambda n: SP * n),
    (python_text, "_COMMENT_RX", "search", lambda n: SP * n),
    (python_text, "_NEWLINE", "split", lambda n: "\r" * n),
    (python_text, "_TOKEN_RX", "findall", lambda n: "a," * (n // 2)),
    (python_text, "_DOC_RX", "match", lambda n: "\n" * n),  # a file that does not parse
    (python_text, "_DOC_RX", "match", lambda n: "# a\n" * (n // 4) + "x"),
    (python_text, "_DOC_RX", "match", lambda n: '"""' + "a" * n),
    (python_facts, "_IMPORT_RX", "finditer", lambda n: "\n" * n + "x"),  # was 5 s at 4k
    (python_code, "_IMPORT_RX", "finditer", lambda n: "\n" * n + "x"),
    (python_code, "_IMPORT_RX", "finditer", lambda n: "from " + "." * n),
    (python_arch, "_QK_PRODUCT", "search", lambda n: "einsum(" * (n // 7)),
    (python_arch, "_QK_PRODUCT", "search", lambda n: "einsum(" + "q " * (n // 2)),
    (python_arch, "_CNN_CALL", "search", lambda n: "vgg" + "1" * n + "!"),
    (python_chunks, "_IMPORT_LINE", "match", lambda n: SP * n),
    (python_values, "_CONFIG_CLASS", "search", lambda n: "Config" * (n // 6) + "x"),
    (python_values, "_CONFIG_BASES", "search", lambda n: "Config" * (n // 6) + "x"),
    (notebooks, "_SHELL_ASSIGN", "match", lambda n: SP * n),  # was 11 s at 4k
    (notebooks, "_SHELL_ASSIGN", "match", lambda n: "a " * (n // 2) + "="),
    (notebooks, "_HELP_LINE", "fullmatch", lambda n: "_" * n + "x"),
    (notebooks, "_CELL_LABEL", "search", lambda n: "cell " + "1" * n + "x"),
    (value_keys, "_NUMBER", "fullmatch", lambda n: "1" * n + "x"),  # was 34 s at 4k
    (value_keys, "_WORD", "fullmatch", lambda n: "a" * n + "!"),
    (config_files, "_DIFFUSION_KEYS", "search", lambda n: "beta_" * (n // 5)),
    (config_files, "_JSON_STRING", "sub", lambda n: '"\\"' * (n // 3)),
    (config_files, "_JSON_STRING", "sub", lambda n: "\\" * n),
    (config_files, "_JSON_EMPTY", "subn", lambda n: "[" + SP * n),
    (config_files, "_JSON_DEEP", "search", lambda n: "[" * 63 + SP * n),
    (config_files, "_JSON_DEEP", "search", lambda n: '{"":' * (n // 4)),
    (config_files, "_JSON_SURROGATE", "search", lambda n: "\\u" * (n // 2)),
    (config_files, "_JSON_KEY", "finditer", lambda n: '"\\"' * (n // 3)),
    (config_files, "_JSON_KEY", "finditer", lambda n: '"a"' + SP * n),
    (config_files, "_TOML_TABLE", "match", lambda n: "[" * n),
    (config_files, "_TOML_TABLE", "match", lambda n: "[" + SP * n),
    (config_files, "_TOML_KEY", "match", lambda n: "_" * n),
    (config_files, "_TOML_KEY", "match", lambda n: '"' + "a" * n),
    (config_files, "_TOML_DEEP_KEY", "search", lambda n: ("a." * 60 + "a ") * (n // 122)),
    (config_files, "_TOML_DEEP_KEY", "search", lambda n: "a . " * (n // 4)),
    (config_files, "_TOML_DEEP_KEY", "search", lambda n: '"' * n),
    (config_files, "_DATA_CLASS", "search", lambda n: "DataModul" * (n // 9)),
    (config_files, "_DATA_CLASS", "sub", lambda n: "Data" * (n // 4) + "set"),
    (python_arch, "_LM_CLASS", "search", lambda n: "ForCausal" * (n // 9)),
    (python_arch, "_LM_CLASS", "search", lambda n: "AutoModelFo" + "r" * n),
    (python_values, "_WEIGHTS_NAME", "fullmatch", lambda n: "a" + "-_" * (n // 2) + "!"),
    (value_keys, "_FILE_SUFFIX", "search", lambda n: ".json" * (n // 5) + "x"),
    (value_keys, "_FILE_SUFFIX", "search", lambda n: "." * n),
    (value_keys, "_SIZE", "fullmatch", lambda n: "1" * n + ".5x"),
    (value_keys, "_SIZE", "fullmatch", lambda n: "v1" + ".1" * (n // 2) + "q"),
]


def _apply(pattern: re.Pattern[str], method: str, text: str) -> object:
    if method in ("sub", "subn"):
        return getattr(pattern, method)("", text)
    found = getattr(pattern, method)(text)
    return list(found) if method == "finditer" else found


@pytest.mark.parametrize(
    ("module", "name", "method", "make"),
    REGEX_CASES,
    ids=[f"{m.__name__.rsplit('.', 1)[-1]}.{n}-{i}" for i, (m, n, _, _) in enumerate(REGEX_CASES)],
)
def test_regex_is_linear_on_its_worst_inputs(module, name, method, make):
    pattern = getattr(module, name)
    assert_not_quadratic(lambda text: _apply(pattern, method, text), make, n=20_000, times=32)


@pytest.mark.parametrize(
    "module",
    [
        config_files,
        python_sections,
        python_text,
        python_values,
        python_facts,
        python_arch,
        python_code,
        python_chunks,
        notebooks,
        value_keys,
    ],  # fmt: skip
)
def test_every_module_regex_has_a_case(module):
    """A new pattern on file text needs a row in REGEX_CASES (and to be linear)."""
    covered = {name for m, name, _, _ in REGEX_CASES if m is module}
    patterns = {name for name, value in vars(module).items() if isinstance(value, re.Pattern)}
    assert patterns - covered == set()


# -- Python --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "x = 1\n" + "_" * n + "x\n",  # a long name in a module chunk (section regexes)
        lambda n: "a: b" + SP * n + "# c\n",  # an annotation then spaces (literal assignments)
        lambda n: "x = 1  # acc" + SP * n + "x\n",  # a metric name then spaces, in a comment
        lambda n: "x = 1  # " + "1" * n + "x\n",  # a run of digits (parameter counts)
        lambda n: "x = 1  # hardware: " + SP * n + "x y\n",
        lambda n: "x = 1  # predecessor: a" + SP * n + ", b\n",
        lambda n: "\n" * n + "x = (\n",  # a file that does not parse: import regexes, windows
        lambda n: (
            "class A(nn.Module):\n    def f(self, q, k):\n        s = softmax(q)\n"
            "        t = '" + "einsum(" * (n // 7) + "'\n"
        ),
        lambda n: "x = '" + "a" * n + "'\n",  # one long line, in many pieces
        lambda n: "def f():\n" + "    pass\n" * (n // 9),
        lambda n: "x" + SP * n + "?\n",  # not Python: tokenize rescanned the spaces for each one
        lambda n: "def f(" + "a, " * (n // 3) + ":\n",  # the parser's second, error-reporting pass
    ],
    ids=[
        "long-name",
        "annotation-spaces",
        "metric-spaces",
        "digits",
        "hardware",
        "predecessors",
        "blank-lines-unparsable",
        "einsum",
        "long-line",
        "long-function",
        "spaces-then-junk",
        "bad-arguments",
    ],  # fmt: skip
)
def test_python_is_linear_in_hostile_text(make):
    assert_clean(parse_python(make(10_000), f"{SECRET}/m.py"))
    assert_not_quadratic(lambda text: parse_python(text, f"{SECRET}/m.py"), make, n=10_000, times=16)


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("x = " + "(" * 20_000 + ")" * 20_000 + "\n", "nested parentheses"),
        ("x = " + "[" * 5_000 + "]" * 5_000 + "\n", "nested parentheses"),
        ("x = " + "-" * 50_000 + "1\n", "nested too deeply"),
        ("x = " + "not " * 50_000 + "a\n", "nested too deeply"),
        ("x = " + "a+" * 900 + "a\n", "nested too deeply"),  # parses; ast.unparse would recurse
        ("x = a" + ".b" * 20_000 + "\n", "nested too deeply"),
        ("x = f" + "()" * 400 + "\n", "nested too deeply"),
        ("x = " + "9" * 10_000 + "\n", "syntax error"),  # an int past Python's 4,300 digits
        ("import torch\x00\nx = 1\n", ""),
        ("def f(:\n    return (\n", "syntax error"),
        ("x = f'" + "{a}" * 40_000 + "'\n", "too large"),  # ast.parse is quadratic in an f-string
        ("x = 1\n" * 40_000, "too large"),  # 160,000 tokens: about 160 MB of ast
    ],
    ids=[
        "parens",
        "brackets",
        "unary",
        "not",
        "sum",
        "attributes",
        "calls",
        "bigint",
        "nul",
        "syntax",
        "fstring",
        "tokens",
    ],  # fmt: skip
)
def test_python_that_cannot_be_analysed_is_line_windows_with_a_reason(source, says):
    with hang_guard("a bounded refusal", BOUNDED_SECONDS):
        ex = parse_python(source, f"{SECRET}/bad.py")
    assert_clean(ex)
    assert len(ex.warnings) == 1 and ex.warnings[0].endswith("indexed as line windows")
    assert says in ex.warnings[0]
    assert ex.get("language") == "python"
    assert ex.chunks and all(c.chunk_type == "window" for c in ex.chunks)


@pytest.mark.parametrize("terms", [200, 240, 260])
def test_python_near_the_depth_limit_is_analysed_or_windows(terms):
    """ast.unparse (of a whole class, for attention) recurses 3 frames a level: no crash either way."""
    source = (
        "import torch.nn as nn\nclass A(nn.Module):\n    def f(self, q, k):\n"
        "        s = q.softmax(-1)\n        x = " + "q + " * terms + "k\n"
    )  # fmt: skip
    ex = parse_python(source, f"{SECRET}/deep.py")
    assert_clean(ex)
    assert ex.get("language") == "python" and ex.chunks


def test_python_of_twenty_megabytes_on_one_line_is_bounded():
    source = "x = [" + "1," * 10_000_000 + "]"  # 20 MB: its ast would take 10 GB
    with hang_guard("a bounded refusal", BOUNDED_SECONDS):
        ex, peak = peak_mb(lambda: parse_python(source, "big.py"))
    assert peak < 60, f"{peak:.0f} MB"
    assert_clean(ex)
    assert ex.warnings == [
        f"too large to analyse ({len(source):,} characters, the limit is 1,000,000);"
        " its first 1,000,000 characters indexed as line windows"
    ]
    assert 1_000 < len(ex.chunks) < 1_300


@pytest.mark.parametrize(
    "source",
    ["\n" * 20_000_000, "x=1\n" * 5_000_000, "#c\n" * 6_000_000],
    ids=["newlines", "short-lines", "comments"],
)
def test_python_of_twenty_megabytes_of_lines_is_bounded(source):
    with hang_guard("a bounded refusal", BOUNDED_SECONDS):
        ex = parse_python(source, "big.py")
    assert_clean(ex)
    assert len(ex.chunks) < 10_000


def test_python_values_of_absurd_size_are_skipped():
    source = (
        '"""Results: accuracy 7' + "6" * 500 + '%, ' + "9" * 500 + " parameters, training time: " + "1" * 400
        + '"""\n__version__ = "' + "9" * 5000 + '"\nhidden_size = 10 ** 29 * 10\nn_layer = 1e400\nlr = float("nan")\n'
        "import m_v" + "9" * 5000 + "\n"
    )  # fmt: skip
    ex = parse_python(source, "m_v2.py")
    assert_clean(ex)
    assert ex.get("performance.accuracy") is None
    assert ex.get("model_dimensions.total_parameters") is None
    assert ex.get("training_config.training_time_hours") is None
    assert ex.get("version") == "2"  # from the file name: the stated one is not a version
    assert ex.get("model_dimensions.hidden_size") is None and ex.get("model_dimensions.num_layers") is None


# -- configs -------------------------------------------------------------------------------------


def _laughs(levels: int, width: int) -> str:
    lines = ['a0: &a0 "lol"']
    for level in range(1, levels + 1):
        refs = ", ".join(f"*a{level - 1}" for _ in range(width))
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


MERGE_BOMB = "\n".join(
    ["b0: &b0 {" + ", ".join(f"k{i}: {i}" for i in range(10)) + "}"]
    + [f"b{n}: &b{n} {{<<: [{', '.join([f'*b{n - 1}'] * 10)}], x{n}: 1}}" for n in range(1, 10)]
)


@pytest.mark.parametrize(
    "text",
    [
        _laughs(9, 9),
        _laughs(30, 2),
        MERGE_BOMB,
        "a: &a {x: 1}\n" + "".join(f"b{i}: *a\n" for i in range(30_000)),
    ],
    ids=["billion-laughs", "deep-laughs", "merge-keys", "many-aliases"],
)
def test_yaml_alias_bombs_are_refused_within_bounds(text):
    assert len(text) < MAX_TEXT_CHARS
    with hang_guard("a bounded refusal", BOUNDED_SECONDS):
        result, peak = peak_mb(lambda: outcome(parse_config, text, f"{SECRET}/bomb.yaml", ".yaml"))
    assert peak < 50, f"{peak:.0f} MB"
    assert_clean(result)
    assert reason(result) == f"YAML expands to more than {MAX_VALUES:,} values (alias bomb?)"


def test_yaml_bomb_of_522_bytes_is_refused_while_composing(monkeypatch):
    """Refused after one step per node written (about 100), never walking its 9**9 values."""
    text = _laughs(9, 9)
    assert len(text) < 600
    loader = config_files._BoundedLoader
    compose, steps, constructed = loader.compose_node, [], []

    def counted(self, parent, index):
        steps.append(index)
        return compose(self, parent, index)

    monkeypatch.setattr(loader, "compose_node", counted)
    monkeypatch.setattr(loader, "construct_document", lambda self, node: constructed.append(node))
    result, peak = peak_mb(lambda: outcome(parse_config, text, "bomb.yaml", ".yaml"))
    assert reason(result) == f"YAML expands to more than {MAX_VALUES:,} values (alias bomb?)"
    assert len(steps) < 200 and constructed == [], f"{len(steps)} nodes composed, {len(constructed)} built"
    assert peak < 2, f"{peak:.1f} MB"


def test_yaml_recursive_alias_is_refused():
    for text in ("a: &a [1, *a]\n", "a: &a {b: *a}\n", "a: &a {<<: *a}\n"):
        assert "refers to a node that contains it" in reason(outcome(parse_config, text, "r.yaml", ".yaml"))


def test_yaml_with_a_few_anchors_and_merge_keys_keeps_values_and_lines():
    text = (
        "defaults: &defaults\n"  # 1
        "  lr: 0.001\n"  # 2
        "  batch_size: 32\n"  # 3
        "model: &model\n"  # 4
        "  n_embd: 768\n"  # 5
        "train:\n"  # 6
        "  <<: *defaults\n"  # 7
        "  batch_size: 64\n"  # 8
        "  model: *model\n"  # 9
    )
    ex = parse_config(text, "hydra.yaml", ".yaml")
    assert ex.warnings == []
    assert ex.get("training_config.batch_size") == 32  # first evidence: defaults.batch_size
    assert ex.provenance["training_config.batch_size"] == "hydra.yaml:3"
    lines = {line.split(": ")[0]: line for c in ex.chunks for line in c.content.splitlines()[1:]}
    assert lines["train.batch_size"] == "train.batch_size: 64"  # set after the merge: it wins
    assert lines["train.lr"] == "train.lr: 0.001"
    assert lines["train.model.n_embd"] == "train.model.n_embd: 768"
    _, locate = config_files.load_config(text, ".yaml")
    assert locate(("train",)) == 6 and locate(("train", "model")) == 9
    assert locate(("train", "batch_size")) == 8  # the key that wins, not the merged one
    assert locate(("train", "lr")) == 2 and locate(("train", "model", "n_embd")) == 5  # where written


@pytest.mark.parametrize(
    ("text", "suffix"),
    [
        ("[" * 100_000 + "]" * 100_000, ".json"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, ".json"),
        ('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), ".json"),  # parses, then refused
        ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", ".yaml"),
        ("- " * 100_000 + "x\n", ".yaml"),
        ("".join(" " * i + "a:\n" for i in range(1_000)) + " " * 1_000 + "b: 1\n", ".yaml"),
        ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", ".toml"),
        ("a" + ".a" * 100_000 + " = 1\n", ".toml"),  # tomllib is quadratic in a dotted key's parts
        ("[a" + ".a" * 100_000 + "]\n", ".toml"),
        ("a = " + "{b = " * 5_000 + "1" + "}" * 5_000 + "\n", ".toml"),
    ],
    ids=[
        "json-lists",
        "json-objects",
        "json-just-too-deep",
        "yaml-flow",
        "yaml-dashes",
        "yaml-block",
        "toml-arrays",
        "toml-dotted",
        "toml-table",
        "toml-inline",
    ],  # fmt: skip
)
def test_deep_nesting_is_a_one_line_reason(text, suffix):
    with hang_guard("a bounded refusal", BOUNDED_SECONDS):
        result = outcome(parse_config, text, f"{SECRET}/deep{suffix}", suffix)
    assert_clean(result)
    assert "nest" in reason(result)  # libyaml says "exceeded maximum nesting depth"


@pytest.mark.parametrize(
    ("text", "suffix", "says"),
    [
        ("[" + "{}," * 200_000 + "{}]", ".json", "more than 100,000 values"),  # 7 MB of dicts unmade
        ("[" + "1," * 200_000 + "1]", ".json", "more than 100,000 values"),
        ("- " + "\n- ".join(["1"] * 110_000) + "\n", ".yaml", "more than 100,000 values"),
        ("- " + "\n- ".join(["1"] * 400_000) + "\n", ".yaml", "too large"),
        ("[" + ",".join(["1"] * 110_000) + "]\n", ".yaml", "more than 100,000 values"),
        ("a = [" + "1," * 110_000 + "]\n", ".toml", "more than 100,000 values"),
        ("x = '" + "a" * (MAX_TEXT_CHARS + 1) + "'\n", ".toml", "too large"),
    ],
    ids=["json-dicts", "json-ints", "yaml-lines", "yaml-big", "yaml-values", "toml-values", "toml-big"],
)
def test_too_many_values_is_a_one_line_reason(text, suffix, says):
    with hang_guard("a bounded refusal", BOUNDED_SECONDS):
        result, peak = peak_mb(lambda: outcome(parse_config, text, f"{SECRET}/big{suffix}", suffix))
    assert peak < 100, f"{peak:.0f} MB"
    assert_clean(result)
    assert says in reason(result)


@pytest.mark.parametrize(
    ("make", "suffix"),
    [
        (lambda n: json.dumps({"k": '"' * n}), ".json"),  # \"\"\"... : every quote was a key start
        (lambda n: json.dumps({"k": "\\" * n}), ".json"),
        (lambda n: "a = [\n  [" + SP * n + "1,\n  2],\n]\n", ".toml"),  # a line like an unclosed table
        (lambda n: "a = [\n  [" + "[" * 10 + SP * n + "]" * 11 + ",\n]\n", ".toml"),
        (lambda n: '"' + "a" * n + '" = 1\n', ".toml"),
        (lambda n: "a = '" + "x " * (n // 2) + "'\n", ".yaml"),
        (lambda n: "a: " + SP * n + "b\n", ".yaml"),
        (lambda n: "a: " + "9" * n + "\n", ".yaml"),  # an int past Python's 4,300 digits
        (lambda n: "a: 1" + ":1" * (n // 2) + "\n", ".yaml"),  # a sexagesimal int of 60**5000
    ],
    ids=[
        "json-escaped-quotes",
        "json-backslashes",
        "toml-spaces",
        "toml-brackets",
        "toml-long-key",
        "yaml-words",
        "yaml-spaces",
        "yaml-bigint",
        "yaml-base60",
    ],  # fmt: skip
)
def test_config_text_is_linear(make, suffix):
    assert_clean(outcome(parse_config, make(10_000), f"{SECRET}/c{suffix}", suffix))
    assert_not_quadratic(
        lambda text: outcome(parse_config, text, f"{SECRET}/c{suffix}", suffix), make, n=10_000, times=16
    )


WRONG_TYPES = [
    {"architectures": 1, "hidden_size": "big", "layers": {"x": []}, "num_hidden_layers": None},
    {"model_type": ["gpt2"], "n_embd": 10**400, "n_layer": -3, "n_head": 1.5, "vocab_size": True},
    {"model": {"name": {"x": 1}, "type": 7}, "optimizer": [1, 2], "optim": {"name": 3, "lr": "fast"}},
    {"lr": float("nan"), "weight_decay": float("inf"), "epochs": float("-inf"), "batch_size": "1e400"},
    {"results": {"accuracy": 10**400, "loss": "NaN", "perplexity": float("inf"), "f1": [0.5]}},
    {"data": {"name": ["a"], "split": 5, "config": {"x": 1}}, "dataset": None, "framework": 3},
    {"model_type": "x" * 100_000, "dataset": "y" * 100_000, "optimizer": "z" * 100_000},
    [1, "two", None, [], {}, [[[]]], {"a": {"b": None}}],
    {"": {"": {"": 1}}, "-": 1, "--lr": "0.1", "1": {"2": 3}, "null": None},
    "just a string",
    12345,
    None,
    [],
    {},
]


@pytest.mark.parametrize("data", WRONG_TYPES, ids=[f"case{i}" for i in range(len(WRONG_TYPES))])
@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_config_values_of_wrong_types_are_skipped(data, suffix):
    text = json.dumps(data)  # JSON is also YAML (NaN and Infinity aside)
    if suffix == ".yaml":
        text = text.replace("NaN", ".nan").replace("-Infinity", "-.inf").replace("Infinity", ".inf")
    result = outcome(parse_config, text, f"{SECRET}/config{suffix}", suffix)
    assert_clean(result)
    assert isinstance(result, Extracted)
    metadata = json.dumps(result.metadata, allow_nan=False)  # no NaN, no infinity, no huge ints
    assert len(metadata) < 2_000
    for key in ("model_dimensions", "training_config", "performance"):
        for value in (result.get(key) or {}).values():
            assert isinstance(value, int | float | str) and not isinstance(value, bool)


def test_odd_json_numbers_become_text_not_errors():
    text = '{"hidden_size": NaN, "num_layers": ' + "9" * 5000 + ', "lr": Infinity, "n_head": -Infinity}'
    ex = parse_config(text, "odd.json", ".json")
    assert_clean(ex)
    assert ex.get("model_dimensions") is None and ex.get("training_config") is None
    content = "\n".join(c.content for c in ex.chunks)
    assert "hidden_size: nan" in content and "num_layers: 999" in content


def test_yaml_odd_scalars_are_kept_as_text():
    text = "when: 2021-13-45\nbig: " + "9" * 5000 + "\nbase60: " + "1:" * 3000 + "1\nok: 2021-01-02\n"
    ex = parse_config(text, "odd.yaml", ".yaml")
    assert_clean(ex)
    content = "\n".join(c.content for c in ex.chunks)
    assert "when: 2021-13-45" in content and "ok: 2021-01-02" in content and "big: 999" in content


def test_python_tags_are_not_run():
    result = outcome(
        parse_config, "x: !!python/object/apply:os.system ['touch /tmp/pwned']\n", "t.yaml", ".yaml"
    )
    assert "invalid YAML" in reason(result)


def test_lone_surrogates_never_reach_chunks_or_metadata():
    """A ``\\ud899`` escape decodes to a lone surrogate, which UTF-8 (and the SQLite catalog) refuse."""
    results = [
        parse_config('{"dataset": {"name": "a\\ud899"}, "k\\udc00": ["\\ud899", "\\ud83d\\ude00"]}', "c.json", ".json"),
        parse_notebook(_nb([{"cell_type": "markdown", "source": "\\ud899"}, {"cell_type": "code", "source": "x = 1 # \\ud899"}]).replace("\\\\ud899", "\\ud899"), "nb.ipynb"),
        parse_python('__version__ = "\\ud899"\ndataset_name = "a\\ud899"\nload_dataset("\\udc00")\n', "m.py"),
    ]  # fmt: skip
    for ex in results:
        assert_clean(ex)
        for chunk in ex.chunks:
            chunk.content.encode("utf-8")
        json.dumps(ex.metadata, ensure_ascii=False).encode("utf-8")
    assert "😀" in "\n".join(c.content for c in results[0].chunks)  # a surrogate pair is one character


def test_long_values_do_not_make_thousands_of_chunks():
    ex = parse_config(json.dumps({"blob": "a" * 5_000_000, "n_embd": 768}), "blob.json", ".json")
    assert ex.get("model_dimensions.hidden_size") == 768
    assert len(ex.chunks) <= 5


# -- notebooks -----------------------------------------------------------------------------------


def _nb(cells: Any, **extra: Any) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **extra})


CODE = {"cell_type": "code", "source": ["import torch\n", "lr = 3e-4\n"], "outputs": [], "metadata": {}}
NOTEBOOKS = [
    _nb(1),
    _nb("cells"),
    _nb({"a": CODE}),
    _nb(None),
    json.dumps({"worksheets": 5}),
    json.dumps({"worksheets": [1, {"cells": 3}, {"cells": [CODE, 4]}, {"cells": {"a": CODE}}]}),
    json.dumps([CODE]),
    json.dumps("notebook"),
    "null",
    _nb([1, "x", None, [], CODE]),
    _nb([{"cell_type": "code", "source": 5}, {"cell_type": "code", "source": {"a": "b"}}]),
    _nb([{"cell_type": "code", "source": [1, None, ["x"], {"y": 1}, "z = 1\n"]}]),
    _nb([{"cell_type": ["code"], "source": "x = 1"}, {"cell_type": None}, {}]),
    _nb([{"cell_type": "markdown", "source": 3.5}, {"cell_type": "code"}]),
    _nb([{"cell_type": "code", "input": ["x = 1\n"]}]),
    _nb([CODE], metadata=[1]),
    _nb([CODE], metadata={"kernelspec": "python", "language_info": ["r"]}),
    _nb([CODE], metadata={"kernelspec": {"language": {"a": 1}}, "language_info": {"name": 7}}),
    _nb([CODE], metadata={"kernelspec": {"language": "julia\nversion"}}),
    _nb([CODE], metadata={"kernelspec": {"language": "x" * 10_000}}),
    _nb([{**CODE, "outputs": [{"output_type": "stream", "text": ["y" * 1000] * 5_000}]}]),
    _nb([{**CODE, "outputs": "x" * 5_000_000}]),
    _nb([{"cell_type": "code", "source": ["x = " + "(" * 10_000 + ")" * 10_000]}]),
    _nb([{"cell_type": "code", "source": ["%%bash\n", "echo " + "x" * 100_000]}]),
    _nb([{"cell_type": "code", "source": ["a " * 50_000 + "= !ls\n", " " * 100_000 + "\n", "x = 1\n"]}]),
    _nb([{"cell_type": "code", "source": "#" + "x" * 100_000 + "\n"}] * 30),
    _nb([{"cell_type": "code", "source": "x = [" + "1," * 60_000 + "]\n"}] * 3),
    _nb([{"cell_type": "markdown", "source": "# acc " + " " * 100_000 + "x"}]),
]


@pytest.mark.parametrize("text", NOTEBOOKS, ids=[f"nb{i}" for i in range(len(NOTEBOOKS))])
def test_notebook_of_any_shape_is_a_result_or_a_one_line_reason(text):
    with hang_guard("a bounded refusal", BOUNDED_SECONDS):
        result = outcome(parse_notebook, text, f"{SECRET}/nb.ipynb")
    assert_clean(result)


def test_notebook_wrong_types_keep_what_is_usable():
    text = _nb([1, {"cell_type": "code", "source": [7, "import torch\n", None, "lr = 3e-4\n"]}, "x"])
    ex = parse_notebook(text, "nb.ipynb")
    assert ex.get("framework.name") == "pytorch"
    assert ex.get("training_config.learning_rate") == pytest.approx(3e-4)
    assert ex.provenance["training_config.learning_rate"] == "nb.ipynb:cell1:2"  # dict cells are counted


def test_notebook_cells_past_the_limits_are_left_out_with_a_warning():
    ex = parse_notebook(_nb([{"cell_type": "code", "source": "x = 1\n"}] * 10_005), "nb.ipynb")
    assert ex.warnings[0].startswith("only the first 10,000 of 10,005 cells indexed")


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "{cells: [",
        _nb([{}] * 1_100_000),
    ],  # fmt: skip
    ids=["deep", "deep-cells", "not-json", "too-many-values"],
)
def test_notebook_json_bombs_are_one_line_reasons(text):
    with hang_guard("a bounded refusal", BOUNDED_SECONDS):
        result = outcome(parse_notebook, text, f"{SECRET}/nb.ipynb")
    assert_clean(result)
    assert isinstance(result, ParseError)


@pytest.mark.parametrize(
    "make",
    [
        lambda n: _nb([{"cell_type": "code", "source": [SP * n + "\n", "x = 1\n"]}]),  # shell assignments
        lambda n: _nb([{"cell_type": "code", "source": ["x" + SP * n + "?\n"]}]),  # help lines
        lambda n: _nb([{"cell_type": "markdown", "source": ["acc" + SP * n + "x"]}]),
    ],
    ids=["spaces", "help", "markdown"],
)
def test_notebook_lines_are_linear(make):
    assert_not_quadratic(lambda text: outcome(parse_notebook, text, "nb.ipynb"), make, n=10_000, times=16)
