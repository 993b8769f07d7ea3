"""Python code parser and notebooks: facts with provenance, chunk boundaries, fallbacks."""

from __future__ import annotations

import ast
import builtins
import json
import re
import textwrap

import pytest

from modelhub_jupyter.ingest.chunk_packing import MAX_CHARS
from modelhub_jupyter.ingest.notebooks import load_notebook, parse_notebook, read_cells
from modelhub_jupyter.ingest.python_code import parse_python
from modelhub_jupyter.ingest.python_values import const_value
from modelhub_jupyter.ingest.types import ARCHITECTURE_TYPES, SECTION_TYPES, Chunk, Extracted, ParseError


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def line_of(source: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(n for n, line in enumerate(source.splitlines(), 1) if needle in line)


def starts_with_heading(chunk: Chunk) -> bool:
    """A chunk's first line is its breadcrumb, or the breadcrumb less the signature the code below shows."""
    first, _, body = chunk.content.partition("\n")
    if first == chunk.breadcrumb:
        return True
    head, part = re.fullmatch(r"(.*?)( \(part \d+/\d+\))?", first).groups()
    shown = re.search(r"^\s*(async def|def|class) ", body, re.M) is not None
    return shown and chunk.breadcrumb.startswith(head) and chunk.breadcrumb.endswith(part or "")


def shows_its_lines(chunk: Chunk, lines: list[str]) -> bool:
    """Below its heading a chunk shows exactly the file lines it cites (``start_line..end_line``),
    indentation aside; a line longer than a chunk may be a slice of the file's line."""
    body = chunk.content.split("\n")[1:]
    cited = lines[chunk.start_line - 1 : chunk.end_line]
    if len(body) != len(cited):
        return False
    return all(
        b.strip() == c.strip() or (len(c) > MAX_CHARS // 2 and b.strip() and b.strip() in c)
        for b, c in zip(body, cited, strict=True)
    )


def check_chunks(ex: Extracted, source: str) -> None:
    """Invariants every parse must keep: budget, breadcrumbs, valid types, no function line lost,
    and the lines a chunk cites are the lines it shows."""
    lines = source.splitlines()
    for chunk in ex.chunks:
        assert len(chunk.content) <= MAX_CHARS, chunk.breadcrumb
        assert starts_with_heading(chunk), chunk.content[:200]
        assert 1 <= chunk.start_line <= chunk.end_line <= max(len(lines), 1)
        assert chunk.section_type in SECTION_TYPES
        assert shows_its_lines(chunk, lines), (chunk.start_line, chunk.end_line, chunk.content[:300])
    seen = {ln.strip() for c in ex.chunks for ln in c.content.splitlines()}
    everything = "\n".join(c.content for c in ex.chunks)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for n in range(node.lineno, node.end_lineno + 1):
                line = lines[n - 1].strip()
                if line and line not in seen:  # only a line longer than a chunk may be sliced
                    assert len(line) > MAX_CHARS // 2, f"line {n} lost"
                    assert line[:200] in everything and line[-200:] in everything, f"line {n} lost"


def by_symbol(ex: Extracted, symbol: str) -> list[Chunk]:
    return [c for c in ex.chunks if c.symbol == symbol]


GPT_V2 = src('''
    """gpt_v2: a nanoGPT-style decoder-only transformer.

    Predecessor: gpt_v1
    Results (openwebtext, validation split):
        val_loss: 2.85
        perplexity: 17.3
    About 124M parameters. Tested with torch==2.3.1.
    """

    import math
    from dataclasses import dataclass

    import torch
    import torch.nn as nn
    from torch.nn import functional as F

    from gpt_v1 import MLP


    @dataclass
    class GPTConfig:
        block_size: int = 1024
        vocab_size: int = 50304
        n_layer: int = 12
        n_head: int = 12
        n_embd: int = 768
        dropout: float = 0.0


    class CausalSelfAttention(nn.Module):
        """Multi-head masked self-attention."""

        def __init__(self, config: GPTConfig):
            super().__init__()
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd)
            self.n_head = config.n_head

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(C, dim=2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = F.softmax(att, dim=-1)
            return self.c_proj(att @ v)


    class Block(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.attn = CausalSelfAttention(config)
            self.mlp = MLP(config)

        def forward(self, x):
            return x + self.mlp(x + self.attn(x))


    class GPT(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layer)])

        def forward(self, idx):
            for block in self.blocks:
                idx = block(idx)
            return idx


    class TinyGPT(GPT):
        """Same model, fewer layers."""
''')


def test_nanogpt_model_facts_and_provenance():
    ex = parse_python(GPT_V2, "nano/gpt_v2.py")
    where = lambda needle: f"nano/gpt_v2.py:{line_of(GPT_V2, needle)}"  # noqa: E731
    assert ex.get("language") == "python"
    assert ex.get("framework.name") == "pytorch"
    assert ex.provenance["framework.name"] == where("import torch")
    assert ex.get("framework.version") == "2.3.1"
    # TinyGPT subclasses GPT: a model class transitively
    assert ex.get("model_classes") == ["CausalSelfAttention", "Block", "GPT", "TinyGPT"]
    assert ex.get("architecture_type") == "transformer"
    assert ex.provenance["architecture_type"] == where("class CausalSelfAttention")
    assert ex.get("model_dimensions.hidden_size") == 768
    assert ex.provenance["model_dimensions.hidden_size"] == where("n_embd: int = 768")
    assert ex.get("model_dimensions.num_layers") == 12
    assert ex.get("model_dimensions.num_attention_heads") == 12
    assert ex.provenance["model_dimensions.num_attention_heads"] == where("n_head: int = 12")
    assert ex.get("model_dimensions.total_parameters") == 124_000_000
    assert ex.get("performance.val_loss") == 2.85
    assert ex.get("performance.perplexity") == 17.3
    assert ex.provenance["performance.perplexity"] == where("perplexity: 17.3")
    assert (ex.get("model_id"), ex.get("model_family"), ex.get("version")) == ("gpt_v2", "gpt", "2")
    assert ex.get("predecessor_models") == ["gpt_v1"]
    assert ex.provenance["predecessor_models"] == where("Predecessor: gpt_v1")
    assert "CausalSelfAttention.forward" in ex.get("symbols") and "GPTConfig" in ex.get("symbols")
    assert ex.warnings == []


def test_nanogpt_chunk_boundaries_and_breadcrumbs():
    ex = parse_python(GPT_V2, "nano/gpt_v2.py")
    check_chunks(ex, GPT_V2)
    header = ex.chunks[0]
    assert header.chunk_type == "module" and header.symbol is None
    assert header.breadcrumb == "nano/gpt_v2.py › <module>"
    assert header.start_line == 1 and "from gpt_v1 import MLP" in header.content

    (config,) = by_symbol(ex, "GPTConfig")
    assert config.chunk_type == "class" and config.section_type == "config"
    assert "n_embd: int = 768" in config.content

    (skeleton,) = by_symbol(ex, "CausalSelfAttention")
    # the class chunk shows the class's own lines (header, docstring); its methods are named on
    # the breadcrumb line and have chunks of their own
    assert (
        skeleton.breadcrumb
        == "nano/gpt_v2.py › class CausalSelfAttention(nn.Module) · members __init__, forward"
    )
    assert skeleton.section_type == "model_definition"
    assert "def forward" not in skeleton.content and "att = F.softmax" not in skeleton.content
    assert (skeleton.start_line, skeleton.end_line) == (
        line_of(GPT_V2, "class CausalSelfAttention"),
        line_of(GPT_V2, "Multi-head masked self-attention"),
    )

    (forward,) = by_symbol(ex, "CausalSelfAttention.forward")
    assert forward.chunk_type == "function" and forward.section_type == "model_definition"
    assert forward.breadcrumb == "nano/gpt_v2.py › CausalSelfAttention.forward(self, x)"
    # the heading names the method; the signature is read once, from the def line below it
    assert forward.content.splitlines()[:2] == [
        "nano/gpt_v2.py › CausalSelfAttention.forward",
        "def forward(self, x):",
    ]
    assert skeleton.content.splitlines() == [
        skeleton.breadcrumb,
        "class CausalSelfAttention(nn.Module):",
        '    """Multi-head masked self-attention."""',
    ]
    assert forward.start_line == line_of(GPT_V2, "B, T, C = x.size()") - 1
    assert forward.end_line == line_of(GPT_V2, "return self.c_proj(att @ v)")
    assert by_symbol(ex, "TinyGPT")[0].section_type == "model_definition"
    assert [c.start_line for c in ex.chunks] == sorted(c.start_line for c in ex.chunks)


TRAIN = src('''
    """Train a GPT on wikitext-103."""
    import argparse

    import torch
    from datasets import load_dataset

    from model import GPT, GPTConfig


    def parse_args():
        parser = argparse.ArgumentParser()
        parser.add_argument("--batch_size", type=int, default=32)
        parser.add_argument("--lr", type=float, default=3e-4)
        parser.add_argument("--max-iters", type=int, default=2**10 * 5)
        parser.add_argument("--n_layer", type=int, default=-4)
        return parser.parse_args()


    def get_batch(data, block_size, batch_size):
        ix = torch.randint(len(data) - block_size, (batch_size,))
        return torch.stack([data[i : i + block_size] for i in ix])


    @torch.no_grad()
    def evaluate(model, data):
        model.eval()
        return model(get_batch(data, 256, 8)).mean().item()


    def train(args):
        ds = load_dataset("wikitext", "wikitext-103-raw-v1", split="train")
        model = GPT(GPTConfig(n_layer=6, n_head=6, n_embd=384))
        optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.1)
        for it in range(args.max_iters):
            loss = model(get_batch(ds, 256, args.batch_size))
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()


    if __name__ == "__main__":
        train(parse_args())
''')


def test_hidden_size_named_outright_wins_over_an_embedding_width():
    source = src(
        """
        import torch

        CONFIG = {
            "embedding_dim": 300,
            "hidden_size": 256,
            "num_layers": 2,
        }
        """
    )
    ex = parse_python(source, "lstm.py")
    assert ex.get("model_dimensions.hidden_size") == 256
    line = line_of(source, '"hidden_size"')
    assert ex.provenance["model_dimensions.hidden_size"] == f"lstm.py:{line}"
    only_embedding = parse_python(source.replace('    "hidden_size": 256,\n', ""), "mlp.py")
    assert only_embedding.get("model_dimensions.hidden_size") == 300  # a stand-in when nothing names it


def test_train_script_argparse_optimizer_dataset():
    ex = parse_python(TRAIN, "train.py")
    where = lambda needle: f"train.py:{line_of(TRAIN, needle)}"  # noqa: E731
    assert ex.get("training_config.batch_size") == 32
    assert ex.provenance["training_config.batch_size"] == where('"--batch_size"')
    assert ex.get("training_config.learning_rate") == pytest.approx(3e-4)
    assert ex.provenance["training_config.learning_rate"] == where('"--lr"')
    assert ex.get("training_config.max_iters") == 5120  # 2**10 * 5, evaluated on the ast
    assert ex.get("training_config.optimizer") == "AdamW"
    assert ex.provenance["training_config.optimizer"] == where("torch.optim.AdamW")
    assert ex.get("training_config.weight_decay") == 0.1
    # --n_layer default=-4 is not a valid layer count; GPTConfig(n_layer=6) is
    assert ex.get("model_dimensions.num_layers") == 6
    assert ex.get("model_dimensions.hidden_size") == 384
    assert ex.get("dataset.name") == "wikitext"
    assert ex.get("dataset.config") == "wikitext-103-raw-v1"
    assert ex.get("dataset.split") == "train"
    assert ex.provenance["dataset.name"] == where("load_dataset(")
    assert ex.get("model_classes") is None  # defines no model itself, but builds the GPT of model.py:
    assert ex.get("model_family") == "GPT" and ex.get("architecture_type") == "transformer"
    assert ex.provenance["model_family"] == ex.provenance["architecture_type"] == where("model = GPT(")
    sections = {c.symbol: c.section_type for c in ex.chunks}
    assert sections["parse_args"] == "config"
    assert sections["get_batch"] == "data_loading"
    assert sections["evaluate"] == "evaluation"
    assert sections["train"] == "training_loop"
    check_chunks(ex, TRAIN)


def test_a_short_tail_after_a_function_joins_that_function_not_the_distant_header():
    ex = parse_python(TRAIN, "train.py")
    check_chunks(ex, TRAIN)
    (header,) = [c for c in ex.chunks if c.chunk_type == "module"]
    assert (header.start_line, header.end_line) == (1, line_of(TRAIN, "from model import"))
    assert "__main__" not in header.content
    (train,) = by_symbol(ex, "train")
    assert (train.start_line, train.end_line) == (
        line_of(TRAIN, "def train("),
        line_of(TRAIN, "train(parse_args())"),
    )
    assert train.content.endswith(
        'optimizer.zero_grad()\n\n\nif __name__ == "__main__":\n    train(parse_args())'
    )
    assert all(c.end_line > c.start_line for c in ex.chunks)  # no one-line chunks here


def test_top_level_statements_far_apart_are_separate_chunks():
    source = src(
        """
        import torch

        MEAN = (0.5, 0.5)


        def a():
            return 1


        class B:
            pass


        REGISTRY = {"a": a}
        STD = (0.2, 0.2)
        """
    )
    ex = parse_python(source, "far.py")
    check_chunks(ex, source)
    modules = [(c.start_line, c.end_line) for c in ex.chunks if c.chunk_type == "module"]
    assert modules == [(1, line_of(source, "MEAN")), (line_of(source, "REGISTRY"), line_of(source, "STD"))]


KERAS_CNN = src('''
    """Keras CNN on MNIST.

    Results: top-1 acc 99.1%
    """
    import tensorflow as tf
    from tensorflow.keras import layers

    EPOCHS = 12
    BATCH = 64 * 2


    def build_model():
        return tf.keras.Sequential([
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(10),
        ])


    def main():
        (x, y), _ = tf.keras.datasets.mnist.load_data()
        model = build_model()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=EPOCHS, batch_size=BATCH)
''')


def test_keras_cnn():
    ex = parse_python(KERAS_CNN, "keras_cnn.py")
    assert ex.get("framework.name") == "tensorflow"
    assert ex.get("architecture_type") == "cnn"
    assert ex.provenance["architecture_type"] == f"keras_cnn.py:{line_of(KERAS_CNN, 'layers.Conv2D')}"
    assert ex.get("training_config.optimizer") == "Adam"
    assert ex.get("training_config.epochs") == 12
    assert ex.provenance["training_config.epochs"] == f"keras_cnn.py:{line_of(KERAS_CNN, 'EPOCHS = 12')}"
    assert ex.get("training_config.batch_size") == 128
    assert ex.get("dataset.name") == "mnist"
    assert ex.get("performance.accuracy") == pytest.approx(0.991)
    sections = {c.symbol: c.section_type for c in ex.chunks}
    assert sections["build_model"] == "model_definition" and sections["main"] == "training_loop"
    check_chunks(ex, KERAS_CNN)


FLAX_MLP = src("""
    import flax.linen as nn
    import jax
    import optax
    import torch  # only for the DataLoader
    from torch.utils.data import DataLoader


    class MLP(nn.Module):
        hidden_dim: int = 512

        @nn.compact
        def __call__(self, x):
            x = nn.relu(nn.Dense(self.hidden_dim)(x))
            return nn.Dense(10)(x)


    def make_optimizer():
        return optax.adamw(learning_rate=1e-3, weight_decay=1e-4)


    def loader(ds):
        return DataLoader(ds, batch_size=256, shuffle=True)
""")


def test_flax_mlp_framework_follows_the_model_classes():
    ex = parse_python(FLAX_MLP, "flax_mlp.py")
    assert ex.get("framework.name") == "jax"  # torch is imported too, but the model is flax
    assert ex.provenance["framework.name"] == "flax_mlp.py:1"
    assert ex.get("model_classes") == ["MLP"]
    assert ex.get("architecture_type") == "mlp"
    assert ex.get("model_dimensions.hidden_size") == 512
    assert ex.get("training_config.optimizer") == "AdamW"
    assert ex.get("training_config.learning_rate") == pytest.approx(1e-3)
    assert ex.get("training_config.weight_decay") == pytest.approx(1e-4)
    assert ex.get("training_config.batch_size") == 256
    check_chunks(ex, FLAX_MLP)


LSTM = src("""
    from torch import nn
    from torch.nn import Module as Base


    class LSTMTagger(Base):
        def __init__(self, vocab: int):
            super().__init__()
            self.embed = nn.Embedding(vocab, 128)
            self.lstm = nn.LSTM(input_size=128, hidden_size=256, num_layers=2, batch_first=True)
            self.head = nn.Linear(256, 17)


    class BiLSTMTagger(LSTMTagger):
        pass
""")


def test_lstm_with_aliased_base_and_subclass():
    ex = parse_python(LSTM, "tagger.py")
    assert ex.get("model_classes") == ["LSTMTagger", "BiLSTMTagger"]
    assert ex.get("architecture_type") == "rnn"
    assert ex.provenance["architecture_type"] == f"tagger.py:{line_of(LSTM, 'nn.LSTM(')}"
    assert ex.get("model_dimensions.hidden_size") == 256
    assert ex.get("model_dimensions.num_layers") == 2


DDPM = src("""
    import torch
    import torch.nn as nn

    T = 1000


    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.Conv2d(3, 64, 3, padding=1)
            self.attn = nn.MultiheadAttention(64, 4)
            self.up = nn.Conv2d(64, 3, 3, padding=1)

        def forward(self, x, t):
            return self.up(self.down(x))


    betas = torch.linspace(1e-4, 0.02, T)
    alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
""")

GAN = src("""
    import torch.nn as nn


    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.ConvTranspose2d(100, 64, 4), nn.Tanh())


    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Conv2d(3, 64, 4), nn.Sigmoid())
""")


VGG_STYLE = src("""
    import torch.nn as nn


    class VGG(nn.Module):
        def __init__(self, features):
            super().__init__()
            self.features = features
            self.classifier = nn.Linear(512, 10)


    def make_layers():
        return nn.Sequential(nn.Conv2d(3, 64, 3), nn.ReLU(), nn.MaxPool2d(2))
""")


@pytest.mark.parametrize(
    ("source", "architecture", "needle"),
    [
        (DDPM, "diffusion", "betas = torch.linspace"),  # the UNet's attention and convs do not decide
        (GAN, "gan", "class Generator"),
        (VGG_STYLE, "cnn", "nn.Conv2d"),  # convs built by a helper outside the model class
    ],
)
def test_architecture_deciding_evidence(source, architecture, needle):
    ex = parse_python(source, "m.py")
    assert architecture in ARCHITECTURE_TYPES
    assert ex.get("architecture_type") == architecture
    assert ex.provenance["architecture_type"] == f"m.py:{line_of(source, needle)}"


def test_plain_module_class_without_known_layers_is_other():
    source = (
        "import torch.nn as nn\n\n\nclass Identity(nn.Module):\n    def forward(self, x):\n        return x\n"
    )
    assert parse_python(source, "m.py").get("architecture_type") == "other"


def test_long_function_is_split_on_statement_boundaries_and_keeps_every_line():
    body = "\n".join(f"    value_{i} = compute_something(value_{i - 1}, step={i})" for i in range(1, 80))
    huge = "    table = [" + ", ".join(str(i) for i in range(600)) + "]"  # one line, > 900 chars
    source = f"def process(value_0, *, verbose=False):\n    '''Crunch numbers.'''\n{body}\n{huge}\n    return table\n"
    ex = parse_python(source, "pipe/long.py")
    parts = by_symbol(ex, "process")
    assert len(parts) > 3
    n = len(parts)
    for index, part in enumerate(parts, 1):
        assert part.breadcrumb == f"pipe/long.py › process(value_0, *, verbose=False) (part {index}/{n})"
        assert len(part.content) <= MAX_CHARS
        # the first part shows the def line under a short heading; later parts, whose lines do not
        # show it, carry the signature on their heading
        heading = f"pipe/long.py › process (part 1/{n})" if index == 1 else part.breadcrumb
        assert part.content.splitlines()[0] == heading
    assert parts[0].content.splitlines()[1] == "def process(value_0, *, verbose=False):"
    assert parts[0].start_line == 1 and parts[-1].end_line == source.count("\n")
    for before, after in zip(parts, parts[1:], strict=False):
        assert after.start_line >= before.end_line  # consecutive, in order
    statement_lines = {f"value_{i} = compute_something(value_{i - 1}, step={i})" for i in range(1, 80)}
    for part in parts:  # cuts fall between statements: no statement is torn apart
        for line in part.content.splitlines()[1:]:
            if line.strip().startswith("value_"):
                assert line.strip() in statement_lines
    bodies = [p.content.splitlines()[1:] for p in parts]
    assert huge in "".join(line for body in bodies for line in body)  # the huge line is sliced, not truncated
    check_chunks(ex, source)


def test_syntax_error_falls_back_to_windows_with_a_warning():
    good = "\n".join(f"x{i} = {i}" for i in range(60))
    source = f"import torch\n# val_loss: 1.5\n{good}\ndef broken(:\n    pass\n" + "y = 1\n" * 30
    ex = parse_python(source, "broken.py")
    bad_line = line_of(source, "def broken(")
    assert len(ex.warnings) == 1
    assert ex.warnings[0].startswith(f"syntax error at line {bad_line}: ")
    assert ex.warnings[0].endswith("; indexed as line windows")
    assert {c.chunk_type for c in ex.chunks} == {"window"}
    assert ex.chunks[0].breadcrumb == "broken.py › lines 1-40"
    assert all(c.end_line - c.start_line < 40 and len(c.content) <= MAX_CHARS for c in ex.chunks)
    covered = [n for c in ex.chunks for n in range(c.start_line, c.end_line + 1)]
    assert covered == list(range(1, len(source.splitlines()) + 1))
    assert ex.get("framework.name") == "pytorch" and ex.provenance["framework.name"] == "broken.py:1"
    assert ex.get("performance.val_loss") == 1.5


def test_constant_expressions_are_evaluated_safely(monkeypatch):
    def value(expr: str):
        return const_value(ast.parse(expr, mode="eval").body, {"BASE": 64})

    assert value("3e-4") == 3e-4
    assert value("2**10") == 1024
    assert value("64 * 2") == 128
    assert value("-1") == -1
    assert value("BASE * 12") == 768
    assert value("1 / 0") is None
    assert value("10 ** 10 ** 10") is None  # refused, not computed
    assert value("__import__('os').system('echo hacked')") is None
    assert value("open('/etc/passwd').read()") is None

    def no_eval(*args, **kwargs):
        raise AssertionError("eval/exec must never be called")

    monkeypatch.setattr(builtins, "eval", no_eval)
    monkeypatch.setattr(builtins, "exec", no_eval)
    ex = parse_python("import os\nLR = 1e-3 * 2\nos.system('rm -rf /')\n", "x.py")
    assert ex.get("training_config.learning_rate") == pytest.approx(2e-3)


@pytest.mark.parametrize(
    ("relpath", "source", "version", "family", "predecessors"),
    [
        ("m/resnet_v2_1.py", "from resnet_v1 import Block\n", "2.1", "resnet", ["resnet_v1"]),
        ("m/resnet-v3.py", '__version__ = "3.0"\nimport resnet_v4\n', "3.0", "resnet", None),
        ("m/vae_v2.py", '"""Based on the vae architecture; extends vae_v1."""\n', "2", "vae", ["vae_v1"]),
        ("m/conv2.py", "# previous version: conv1\n", None, "conv2", ["conv1"]),
    ],
)
def test_model_identity_and_predecessors(relpath, source, version, family, predecessors):
    ex = parse_python(source, relpath)
    assert ex.get("version") == version
    assert ex.get("model_family") == family
    assert ex.get("predecessor_models") == predecessors


def test_empty_and_comment_only_files():
    assert parse_python("", "empty.py").chunks == []
    ex = parse_python("# just a note\n# second line\n", "notes.py")
    assert [c.content for c in ex.chunks] == ["notes.py › <module>\n# just a note\n# second line"]


def _nb(cells: list[tuple[str, str]]) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True)}
                for kind, text in cells
            ],
            "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


NOTEBOOK = _nb(
    [
        ("markdown", "# MNIST experiments\nA small CNN."),
        (
            "code",
            "%matplotlib inline\n!pip install torch==2.1.0\nimport torch\nimport torch.nn as nn\nlr = 3e-4",
        ),
        ("markdown", "## Training"),
        (
            "code",
            "def train(model, loader):\n    opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
            "    for x, y in loader:\n        loss = model(x).sum()\n        loss.backward()\n        opt.step()",
        ),
        ("code", "model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.Flatten(), nn.Linear(8, 10))\nEPOCHS = 3"),
        ("code", "print('done'"),
    ]
)


def test_notebook_facts_chunks_and_cell_provenance():
    ex = parse_notebook(NOTEBOOK, "exp/nb.ipynb")
    assert ex.get("framework.name") == "pytorch"
    assert ex.provenance["framework.name"] == "exp/nb.ipynb:cell2:3"
    assert ex.get("framework.version") == "2.1.0"  # from the !pip line
    assert ex.provenance["framework.version"] == "exp/nb.ipynb:cell2:2"
    assert ex.get("training_config.learning_rate") == pytest.approx(3e-4)
    assert ex.provenance["training_config.learning_rate"] == "exp/nb.ipynb:cell2:5"
    assert ex.get("training_config.optimizer") == "SGD"
    assert ex.provenance["training_config.optimizer"] == "exp/nb.ipynb:cell4:2"
    assert ex.get("training_config.epochs") == 3
    assert ex.get("architecture_type") == "cnn"
    assert ex.get("model_id") == "nb"
    assert ex.warnings and ex.warnings[0].startswith("cell 6: syntax error")

    assert {c.chunk_type for c in ex.chunks} == {"notebook"}
    assert all(len(c.content) <= MAX_CHARS and starts_with_heading(c) for c in ex.chunks)
    # lines are those of the code cells one after another; each chunk shows the lines it cites
    vlines = [
        line for cell in read_cells(load_notebook(NOTEBOOK)) if cell.kind == "code" for line in cell.lines
    ]
    assert all(shows_its_lines(c, vlines) for c in ex.chunks[:-1])  # the last: a broken cell's window
    crumbs = [c.breadcrumb for c in ex.chunks]
    assert "exp/nb.ipynb › cell 4 › train(model, loader) · Training" in crumbs
    first = ex.chunks[0]
    # the markdown above a cell goes on its breadcrumb line, not among the code lines
    assert first.breadcrumb == "exp/nb.ipynb › cell 2 · MNIST experiments · A small CNN."
    assert "%matplotlib" not in first.content and "!pip" not in first.content
    (train,) = [c for c in ex.chunks if c.symbol == "train"]
    assert train.section_type == "training_loop"
    assert train.content.splitlines()[1] == "def train(model, loader):"
    assert any("print('done'" in c.content for c in ex.chunks)  # the broken cell is still indexed


def test_small_neighbouring_cells_are_grouped():
    ex = parse_notebook(
        _nb([("code", "import torch"), ("code", "x = torch.ones(3)"), ("code", "y = x * 2")]), "a.ipynb"
    )
    assert [c.breadcrumb for c in ex.chunks] == ["a.ipynb › cells 1-3"]
    assert (ex.chunks[0].start_line, ex.chunks[0].end_line) == (1, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "invalid JSON"), ('{"metadata": {}}', "not a notebook"), ("[1, 2]", "not a notebook")],
)
def test_notebook_that_cannot_be_read_raises(text, message):
    with pytest.raises(ParseError, match=message):
        parse_notebook(text, "bad.ipynb")


def _cited_file_lines(workspace, doc) -> tuple[list[str], bool]:
    """The lines a document's line numbers count in, and whether its content starts with a heading."""
    md = doc.metadata
    if md.get("chunk_type") == "card":  # a model card section: README lines, no breadcrumb line
        return (workspace / md["breadcrumb"].split(" › ")[0]).read_text().splitlines(), False
    text = (workspace / md["filepath"]).read_text()
    if md["filepath"].endswith(".ipynb"):  # the code cells one after another
        return [
            ln for cell in read_cells(load_notebook(text)) if cell.kind == "code" for ln in cell.lines
        ], True
    return text.splitlines(), True


def test_every_chunk_of_the_example_workspace_shows_the_lines_it_cites(indexed, example_workspace):
    """A hit labelled ``path:a-b`` shows lines a..b of the file, no more and no fewer (module
    headers no longer absorb statements far below them). Model summaries (a weight file's or a
    config.json's digest) describe a whole file and are not line excerpts."""
    hub, _ = indexed
    docs = [d for d in hub.catalog.documents(kind="code")]
    docs += [d for d in hub.catalog.documents(kind="model") if d.metadata.get("chunk_type") == "card"]
    assert len(docs) > 200
    wrong = []
    for doc in docs:
        lines, heading = _cited_file_lines(example_workspace, doc)
        md = doc.metadata
        shown = doc.content.split("\n")[1 if heading else 0 :]
        cited = lines[md["start_line"] - 1 : md["end_line"]]
        if [s.strip() for s in shown] != [c.strip() for c in cited]:
            wrong.append(f"{md['filepath']}:{md['start_line']}-{md['end_line']} shows {len(shown)} lines")
    assert not wrong, wrong
    resnet = [d.metadata for d in docs if d.metadata["filepath"] == "vision/resnet_cifar.py"]
    assert max(m["end_line"] - m["start_line"] for m in resnet if m["chunk_type"] == "module") < 40


# -- issue 12: code nobody here wrote ---------------------------------------------------------


@pytest.mark.parametrize(
    ("relpath", "source", "family", "architecture"),
    [
        # the main model class: the one no other model class uses, named like the file
        (
            "models/resnet.py",
            "import torch.nn as nn\nclass BasicBlock(nn.Module):\n    pass\n"
            "class ResNet(nn.Module):\n    def __init__(self, block):\n        self.c = nn.Conv2d(3, 8, 3)\n",
            "ResNet",
            "cnn",
        ),
        # role suffixes go; a subclass does not make its base a component
        (
            "guided/unet.py",
            "import torch.nn as nn\nclass UNetModel(nn.Module):\n    pass\n"
            "class SuperResModel(UNetModel):\n    pass\nclass EncoderUNetModel(nn.Module):\n    pass\n",
            "UNet",
            "cnn",
        ),
        # several equal classes: their common CamelCase prefix
        (
            "gans/components.py",
            "import torch.nn as nn\nclass DCGANGenerator(nn.Module):\n    pass\n"
            "class DCGANDiscriminator(nn.Module):\n    pass\n",
            "DCGAN",
            "gan",
        ),
        # a known family's architecture wins over a layer call (MLP-Mixer's conv patch stem)
        (
            "vit_jax/models_mixer.py",
            "import flax.linen as nn\nclass MixerBlock(nn.Module):\n    pass\n"
            "class MlpMixer(nn.Module):\n    def __call__(self, x):\n"
            "        x = nn.Conv(8, (16, 16))(x)\n        return MixerBlock()(x)\n",
            "MlpMixer",
            "mlp",
        ),
        # TF1: a plain class named for its folder, in a file called model.py
        (
            "dcgan-tensorflow/model.py",
            "import tensorflow as tf\nclass DCGAN(object):\n    def __init__(self, sess):\n        pass\n",
            "DCGAN",
            "gan",
        ),
        # a Keras builder function
        (
            "apps/resnet50.py",
            "from keras.models import Model\ndef ResNet50(weights='imagenet'):\n    return Model(1, 2)\n",
            "ResNet50",
            "cnn",
        ),
        # a script: the class it loads by name, not an Auto class or a tokenizer
        (
            "finetune.py",
            "from transformers import LlamaForCausalLM, LlamaTokenizer\n"
            "tok = LlamaTokenizer.from_pretrained('x')\nmodel = LlamaForCausalLM.from_pretrained('x')\n",
            "Llama",
            "transformer",
        ),
        # a script: the local class it builds (a star import)
        ("main.py", "import torch\nfrom models import *\nnet = SimpleDLA()\n", "SimpleDLA", None),
        # the file name is never the family when it says nothing (main, model, train)
        ("main.py", "import torch\nx = torch.zeros(3)\n", None, None),
    ],
)
def test_model_family_from_what_the_code_defines_or_builds(relpath, source, family, architecture):
    ex = parse_python(source, relpath)
    assert ex.get("model_family") == family
    assert ex.get("architecture_type") == architecture


def test_family_from_model_names_in_settings_the_one_most_share():
    source = src(
        """
        import ml_collections

        def get_testing():
            config = ml_collections.ConfigDict()
            config.model_name = 'testing'
            return config

        def get_b16_config():
            config = ml_collections.ConfigDict()
            config.model_name = 'ViT-B_16'
            return config

        def get_l16_config():
            config = ml_collections.ConfigDict()
            config.model_name = 'ViT-L_16'
            return config
        """
    )
    ex = parse_python(source, "configs/models.py")
    assert ex.get("model_family") == "ViT" and ex.get("architecture_type") == "transformer"
    assert ex.provenance["model_family"] == f"configs/models.py:{line_of(source, 'ViT-B_16')}"
    hub = parse_python(
        "from dataclasses import dataclass, field\n@dataclass\nclass ModelArguments:\n"
        '    model_name_or_path: str = field(default="facebook/opt-125m")\n',
        "train.py",
    )
    assert hub.get("model_family") == "opt"  # the hub id's name, less its size
    assert parse_python("class MambaConfig:\n    d_model: int = 2560\n", "config_mamba.py").get(
        "model_family"
    ) == ("Mamba")


def test_attribute_configs_ml_collections_and_yacs():
    source = src(
        """
        from yacs.config import CfgNode as CN
        import ml_collections

        _C = CN()
        _C.DATA = CN()
        _C.DATA.BATCH_SIZE = 128
        _C.DATA.DATASET = 'imagenet'
        _C.MODEL = CN()
        _C.MODEL.TYPE = 'swin'
        _C.TRAIN = CN()
        _C.TRAIN.EPOCHS = 300
        _C.TRAIN.BASE_LR = 5e-4
        _C.TRAIN.LR_SCHEDULER = CN()
        _C.TRAIN.LR_SCHEDULER.NAME = 'cosine'
        _C.TRAIN.OPTIMIZER = CN()
        _C.TRAIN.OPTIMIZER.NAME = 'adamw'
        _C.TEST = CN()
        _C.TEST.BATCH_SIZE = 1

        def get_config():
            config = ml_collections.ConfigDict()
            config.total_steps = 10_000
            config.self_lr = 0.5
            return config
        """
    )
    ex = parse_python(source, "config.py")
    assert ex.get("training_config.batch_size") == 128  # not the TEST section's
    assert ex.provenance["training_config.batch_size"] == f"config.py:{line_of(source, '_C.DATA.BATCH_SIZE')}"
    assert ex.get("dataset.name") == "imagenet"
    assert ex.get("training_config.epochs") == 300
    assert ex.get("training_config.learning_rate") == pytest.approx(5e-4)
    assert ex.get("training_config.optimizer") == "AdamW"  # OPTIMIZER.NAME, not LR_SCHEDULER.NAME
    assert ex.get("training_config.max_iters") == 10_000
    assert ex.get("model_family") == "swin" and ex.get("architecture_type") == "transformer"


def test_tf1_flags_optimizers_and_hf_scripts():
    source = src(
        """
        import tensorflow as tf
        flags = tf.flags
        flags.DEFINE_float("num_train_epochs", 3.0, "Epochs.")
        flags.DEFINE_integer("epoch", 25, "Epochs to train")

        def build(loss):
            return tf.train.AdamOptimizer(0.0002, beta1=0.5).minimize(loss)
        """
    )
    ex = parse_python(source, "main.py")
    assert ex.get("training_config.epochs") == 3  # a float flag holding a whole number
    assert ex.get("training_config.optimizer") == "Adam"
    assert ex.get("training_config.learning_rate") == pytest.approx(2e-4)
    own = parse_python(
        "import tensorflow as tf\nopt = AdamWeightDecayOptimizer(learning_rate=1e-4)\n", "o.py"
    )
    assert own.get("training_config.optimizer") == "AdamWeightDecayOptimizer"  # its own class, as written
    hf = parse_python(
        "from transformers import AutoModelForCausalLM\nfrom trl import SFTTrainer\n"
        "model = AutoModelForCausalLM.from_pretrained('x')\n",
        "train.py",
    )
    assert hf.get("framework.name") == "pytorch" and hf.get("architecture_type") == "transformer"
    assert hf.get("model_family") is None  # an Auto class names no family
    data = parse_python(
        "import torch\ndef train(data_path: str = 'yahma/alpaca-cleaned'):\n    pass\n", "t.py"
    )
    assert data.get("dataset.name") == "yahma/alpaca-cleaned"
    files = parse_python("import torch\ndef train(data_path: str = 'data/train.json'):\n    pass\n", "t.py")
    assert files.get("dataset.name") is None  # a data file, not a dataset's name


def test_named_pretrained_weights_give_the_dataset_and_lm_trainers_a_transformer():
    keras_app = src(
        """
        from keras.layers import Conv2D, Input
        from keras.models import Model


        def ResNet50(include_top=True, weights='imagenet', input_tensor=None):
            x = Conv2D(64, (7, 7))(Input((224, 224, 3)))
            return Model(x, x)


        def from_file(weights='resnet50_weights.h5', *, pooling=None):
            return ResNet50(weights=None)
        """
    )
    ex = parse_python(keras_app, "apps/resnet50.py")
    assert ex.get("dataset.name") == "imagenet"
    assert ex.provenance["dataset.name"].endswith(f":{line_of(keras_app, 'def ResNet50')}")
    # data the code loads wins over what the shipped weights were trained on; paths and None are not datasets
    loads = keras_app + "\nfrom keras.datasets import cifar10\n(x, y), _ = cifar10.load_data()\n"
    assert parse_python(loads, "apps/train.py").get("dataset.name") == "cifar10"
    assert parse_python(keras_app.replace("'imagenet'", "None"), "apps/r.py").get("dataset.name") is None

    dpo = src(
        """
        import transformers
        from trl import DPOTrainer, ModelConfig

        from alignment import get_model


        def main(args):
            model = get_model(args)
            DPOTrainer(model=model, args=args).train()
        """
    )
    ex = parse_python(dpo, "scripts/dpo.py")
    assert ex.get("architecture_type") == "transformer"
    assert ex.provenance["architecture_type"].endswith(f":{line_of(dpo, 'from trl')}")
    plain = dpo.replace("from trl import DPOTrainer, ModelConfig", "from mylib import DPOTrainer")
    assert parse_python(plain, "scripts/other.py").get("architecture_type") != "transformer"


def test_the_default_of_a_model_type_setting_names_the_family():
    train = src(
        """
        import flax
        from vit_jax import models


        def train_and_evaluate(config, workdir):
            model_cls = {'ViT': models.VisionTransformer,
                         'Mixer': models.MlpMixer}[config.get('model_type', 'ViT')]
            lr = config.get('learning_rate_unused', 'x')
            return model_cls(num_classes=10, **config.model)
        """
    )
    ex = parse_python(train, "vit/train.py")
    assert ex.get("model_family") == "ViT"
    assert ex.provenance["model_family"].endswith(f":{line_of(train, 'model_type')}")
    assert ex.get("architecture_type") == "transformer"
