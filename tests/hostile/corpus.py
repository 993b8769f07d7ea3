"""A hostile workspace, generated (nothing binary is checked in): every parser's nightmares beside good files.

``build(root, outside)`` writes the corpus into ``root`` (a git repository whose config tries to
run commands) and a secret into ``outside``; it returns what a correct index run must show:
the good files and a query that finds each, the bad files and a word their reason contains,
and the marker files no command may create. Used by ``test_corpus.py`` and
``benchmarks/bench_hostile.py``.
"""

from __future__ import annotations

import json
import os
import shlex
import struct
import subprocess
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo


@dataclass
class Corpus:
    root: Path
    good: dict[str, str] = field(default_factory=dict)  # relpath -> a query that must find it
    bad: dict[str, str] = field(default_factory=dict)  # relpath -> a word of its reported reason ("" any)
    survivable: set[str] = field(default_factory=set)  # hostile, but a partial index is right too
    markers: list[Path] = field(default_factory=list)  # files a command run from the corpus would write

    @property
    def hostile_count(self) -> int:
        return len(self.bad) + len(self.survivable)


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def _png(path: Path, texts: dict[str, str], size: tuple[int, int] = (16, 16)) -> Path:
    info = PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (90, 120, 200)).save(path, pnginfo=info)
    return path


def _safetensors(header: object, body: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


def _gguf(n_tensors: int, n_kv: int, body: bytes = b"") -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, n_tensors, n_kv) + body


def _gguf_string_kv(key: str, claimed_length: int, data: bytes) -> bytes:
    name = key.encode()
    return (
        struct.pack("<Q", len(name)) + name + struct.pack("<I", 8) + struct.pack("<Q", claimed_length) + data
    )


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)


GOOD_MODEL = '''"""A small transformer language model trained on wikitext-103."""
import torch
import torch.nn as nn

HIDDEN_SIZE = 256
NUM_LAYERS = 4


class TinyTransformerLM(nn.Module):
    def __init__(self, vocab_size=32000):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, HIDDEN_SIZE)
        layer = nn.TransformerEncoderLayer(HIDDEN_SIZE, 8)
        self.encoder = nn.TransformerEncoder(layer, NUM_LAYERS)

    def forward(self, tokens):
        return self.encoder(self.embed(tokens))
'''

GOOD_TRAIN = """import torch


def train_loop(model, loader, epochs=3):
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)
    for _ in range(epochs):
        for batch in loader:
            optimizer.zero_grad()
            model(batch).mean().backward()
            optimizer.step()
"""

BILLION_LAUGHS_YAML = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    + ["model:\n  hidden_size: *i"]
)

MERGE_BOMB_YAML = "\n".join(
    ["base0: &m0 {k0: 1, k1: 2}"]
    + [f"base{i}: &m{i}\n  <<: [{', '.join(f'*m{j}' for j in range(i))}]\n  x{i}: {i}" for i in range(1, 24)]
)


def build(root: Path, outside: Path) -> Corpus:
    """Write the corpus; ``outside`` is a folder next to ``root`` holding a secret."""
    c = Corpus(root)
    root.mkdir(parents=True)
    outside.mkdir(parents=True, exist_ok=True)
    marker_dir = root.parent / "markers"
    marker_dir.mkdir(exist_ok=True)

    def marker(name: str) -> str:
        path = marker_dir / name
        c.markers.append(path)
        return f"touch {shlex.quote(str(path))}"

    # -- good files (each must be searchable) -------------------------------------------------
    _write(root / "good" / "tiny_lm.py", GOOD_MODEL)
    c.good["good/tiny_lm.py"] = "transformer language model embedding encoder"
    _write(root / "good" / "train.py", GOOD_TRAIN)
    c.good["good/train.py"] = "training loop AdamW optimizer zero_grad"
    _write(
        root / "good" / "config.yaml",
        "model:\n  hidden_size: 256\n  num_layers: 4\ntraining:\n  lr: 0.0003\n",
    )
    c.good["good/config.yaml"] = "hidden_size num_layers training lr"
    _png(root / "good" / "castle.png", {"parameters": (
        "a castle on a hill at sunset, golden light\nNegative prompt: blurry\n"
        "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 16x16, Model: dreamshaper_8"
    )})  # fmt: skip
    c.good["good/castle.png"] = "castle on a hill at sunset"
    model = root / "good" / "tiny-bert"
    _write(model / "config.json", json.dumps(
        {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 64, "num_hidden_layers": 2}
    ))  # fmt: skip
    _write(model / "model.safetensors", _safetensors(
        {"embeddings.weight": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]}}, b"\0" * 64
    ))  # fmt: skip
    _write(model / "README.md", "---\nlicense: mit\n---\n# tiny-bert\nA tiny BERT encoder for tests.\n")
    c.good["good/tiny-bert"] = "tiny BERT encoder"

    # -- python ------------------------------------------------------------------------------
    h = root / "hostile"
    _write(h / "py" / "long_line.py", "x = '" + "a " * 60_000 + "'\n# " + " " * 40_000 + "x\n")
    c.survivable.add("hostile/py/long_line.py")
    _write(h / "py" / "nested.py", "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    c.survivable.add("hostile/py/nested.py")
    _write(h / "py" / "nul.py", b"import torch\x00\x00\nx = 1\n")
    c.bad["hostile/py/nul.py"] = "binary"
    _write(h / "py" / "latin1.py", b"# caf\xe9\nx = 1\n")
    c.bad["hostile/py/latin1.py"] = "UTF-8"
    _write(h / "py" / "syntax.py", "def broken(:\n    return (\n")
    c.survivable.add("hostile/py/syntax.py")
    _write(h / "py" / "decorators.py", "@" + "a." * 20_000 + "b\ndef f(): pass\n")
    c.survivable.add("hostile/py/decorators.py")
    _write(h / "py" / "strings.py", 'X = """' + "\\\n" * 30_000 + '"""\n' + "s = '" + "\\'" * 20_000 + "'\n")
    c.survivable.add("hostile/py/strings.py")

    # -- notebooks ---------------------------------------------------------------------------
    _write(h / "nb" / "cells_not_list.ipynb", json.dumps({"cells": 1, "nbformat": 4}))
    c.survivable.add("hostile/nb/cells_not_list.ipynb")
    _write(h / "nb" / "source_int.ipynb", json.dumps(
        {"cells": [{"cell_type": "code", "source": 7}, "cell", None, {"cell_type": ["x"]}], "nbformat": 4}
    ))  # fmt: skip
    c.survivable.add("hostile/nb/source_int.ipynb")
    _write(h / "nb" / "deep.ipynb", "[" * 100_000 + "]" * 100_000)
    c.bad["hostile/nb/deep.ipynb"] = ""
    _write(h / "nb" / "shell.ipynb", json.dumps({"cells": [{"cell_type": "code", "source": [
        "x = !" + "a" * 50_000 + "\n", "%time " + "= " * 30_000
    ]}], "nbformat": 4}))  # fmt: skip
    c.survivable.add("hostile/nb/shell.ipynb")
    _write(h / "nb" / "not_json.ipynb", "{cells: [")
    c.bad["hostile/nb/not_json.ipynb"] = ""

    # -- configs -----------------------------------------------------------------------------
    _write(h / "cfg" / "laughs.yaml", BILLION_LAUGHS_YAML)
    c.bad["hostile/cfg/laughs.yaml"] = ""
    _write(h / "cfg" / "merge_bomb.yaml", MERGE_BOMB_YAML)
    c.survivable.add("hostile/cfg/merge_bomb.yaml")
    _write(h / "cfg" / "deep.json", '{"a":' * 50_000 + "1" + "}" * 50_000)
    c.bad["hostile/cfg/deep.json"] = ""
    _write(h / "cfg" / "deep.yaml", "a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    c.bad["hostile/cfg/deep.yaml"] = ""
    _write(h / "cfg" / "deep.toml", "a = " + "[" * 20_000 + "]" * 20_000 + "\n")
    c.bad["hostile/cfg/deep.toml"] = ""
    _write(h / "cfg" / "odd_values.json", '{"hidden_size": NaN, "num_layers": ' + "9" * 5000
           + ', "learning_rate": Infinity, "dataset": {"name": [1, {"x": null}]}, "optimizer": 3}')  # fmt: skip
    c.survivable.add("hostile/cfg/odd_values.json")
    _write(
        h / "cfg" / "python_tag.yaml", f"x: !!python/object/apply:os.system [{json.dumps(marker('yaml'))}]\n"
    )
    c.survivable.add("hostile/cfg/python_tag.yaml")
    _write(h / "cfg" / "surrogates.json", '{"model_type": "bert\\ud899", "\\udfff": "x", "hidden_size": 8}')
    c.survivable.add("hostile/cfg/surrogates.json")
    _write(h / "py" / "surrogates.py", 'NAME = "\\ud800\\udfff"\nMODEL_ID = "gpt\\ud899"\n')
    c.survivable.add("hostile/py/surrogates.py")
    _write(h / "cfg" / "long_key.yaml", "k" * 200_000 + ": 1\n" + "v: " + "x " * 100_000 + "\n")
    c.survivable.add("hostile/cfg/long_key.yaml")

    # -- images ------------------------------------------------------------------------------
    _png(h / "img" / "comfy_nodes_int.png", {"workflow": '{"nodes": 1}', "prompt": '{"3": 5}'})
    c.survivable.add("hostile/img/comfy_nodes_int.png")
    cycle = {str(i): {"class_type": "KSampler", "inputs": {"model": [str((i + 1) % 50), 0], "seed": i}}
             for i in range(50)}  # fmt: skip
    _png(h / "img" / "comfy_cycle.png", {"prompt": json.dumps(cycle)})
    c.survivable.add("hostile/img/comfy_cycle.png")
    _png(h / "img" / "comfy_links.png", {"prompt": json.dumps(
        {"1": {"class_type": "CLIPTextEncode", "inputs": {"text": ["9"], "clip": [5, "x"]}}, "2": [], "3": None}
    ), "workflow": json.dumps({"nodes": [1, None, {"widgets_values": 5}], "links": "x"})})  # fmt: skip
    c.survivable.add("hostile/img/comfy_links.png")
    _png(h / "img" / "invokeai.png", {"invokeai_metadata": json.dumps(
        {"positive_prompt": ["x"], "seed": "abc", "model": 5, "loras": {"a": 1}, "steps": -1}
    )})  # fmt: skip
    c.survivable.add("hostile/img/invokeai.png")
    _png(h / "img" / "novelai.png", {"Software": "NovelAI", "Comment": json.dumps(
        {"prompt": {"x": 1}, "steps": [], "scale": "big", "uc": 5}
    )})  # fmt: skip
    c.survivable.add("hostile/img/novelai.png")
    _png(h / "img" / "a1111_long.png", {"parameters": "p" * 40_000 + "\nSteps: " + "1, " * 20_000})
    c.survivable.add("hostile/img/a1111_long.png")
    _png(h / "img" / "lora_bomb.png", {"parameters": "<lora:" * 20_000 + "\nSteps: 20"})
    c.survivable.add("hostile/img/lora_bomb.png")
    data = (root / "good" / "castle.png").read_bytes()
    _write(h / "img" / "truncated.png", data[: len(data) // 2])
    c.bad["hostile/img/truncated.png"] = ""
    bomb = bytearray(_png(h / "img" / "bomb.png", {}).read_bytes())
    bomb[16:24] = struct.pack(">II", 200_000, 200_000)  # the header claims 40 gigapixels (valid CRC)
    bomb[29:33] = struct.pack(">I", zlib.crc32(bytes(bomb[12:29])))
    _write(h / "img" / "bomb.png", bytes(bomb))
    c.bad["hostile/img/bomb.png"] = ""
    _png(h / "img" / "sidecar.png", {})
    _write(h / "img" / "sidecar.json", json.dumps({"prompt": 5, "seed": {"x": []}, "steps": "many"}))
    c.survivable.add("hostile/img/sidecar.png")
    _png(h / "img" / "many_chunks.png", {f"k{i}": "v" * 10 for i in range(5000)})
    c.survivable.add("hostile/img/many_chunks.png")
    _write(h / "img" / "not_an_image.png", b"\x89PNG\r\n\x1a\n" + b"\xff" * 200)
    c.bad["hostile/img/not_an_image.png"] = ""

    # -- weights and model directories -------------------------------------------------------
    _write(h / "w" / "huge_header.safetensors", struct.pack("<Q", 2**62) + b"{}")
    c.bad["hostile/w/huge_header.safetensors"] = ""
    _write(h / "w" / "shapes.safetensors", _safetensors({
        "a": {"dtype": "F32", "shape": [2**40, 2**40, 2**40], "data_offsets": [0, 4]},
        "b": {"dtype": 5, "shape": [-1, "x"], "data_offsets": [0, 4]},
        "__metadata__": {"k": {"nested": 1}},
    }, b"\0" * 4))  # fmt: skip
    c.survivable.add("hostile/w/shapes.safetensors")
    _write(h / "w" / "long_string.gguf", _gguf(0, 1, _gguf_string_kv("general.name", 2**62, b"x" * 32)))
    c.bad["hostile/w/long_string.gguf"] = ""
    _write(h / "w" / "many_tensors.gguf", _gguf(2**60, 2**60))
    c.bad["hostile/w/many_tensors.gguf"] = ""
    zpath = h / "w" / "odd_version.pt"
    zpath.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        zf.writestr("archive/version", "3\n")
    raw = bytearray(zpath.read_bytes())
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = raw.find(sig)
        while at != -1:
            offset = 4 if sig == b"PK\x03\x04" else 6
            raw[at + offset : at + offset + 2] = struct.pack("<H", 999)  # "version needed to extract"
            at = raw.find(sig, at + 4)
    _write(zpath, bytes(raw))
    c.survivable.add("hostile/w/odd_version.pt")
    big = h / "models" / "big-vocab"
    _write(big / "config.json", json.dumps({"architectures": ["BertModel"], "model_type": "bert"}))
    _write(
        big / "model.safetensors",
        _safetensors({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
    )
    with open(big / "vocab.txt", "wb") as fh:
        fh.write(b"[PAD]\n[UNK]\n")
        fh.truncate(30 * 1024**3)  # 30 GB, sparse
    c.survivable.add("hostile/models/big-vocab")
    odd = h / "models" / "odd-config"
    _write(odd / "config.json", json.dumps({"architectures": 1, "model_type": ["x"], "hidden_size": "big",
                                            "num_hidden_layers": {"x": []}, "torch_dtype": 5}))  # fmt: skip
    _write(
        odd / "model.safetensors",
        _safetensors({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),
    )
    _write(odd / "README.md", "---\n" + BILLION_LAUGHS_YAML + "\n---\n# odd\n")
    _write(odd / "tokenizer_config.json", "[" * 50_000 + "]" * 50_000)
    c.survivable.add("hostile/models/odd-config")

    # -- the file system -----------------------------------------------------------------------
    _write(outside / "secret.json", json.dumps({"api_key": "sk-live-SECRET-4242", "model_type": "bert"}))
    (h / "fs").mkdir(parents=True)
    os.symlink(outside / "secret.json", h / "fs" / "secret.json")
    c.bad["hostile/fs/secret.json"] = "symlink leaves the indexed folder"
    os.symlink(os.path.relpath(outside, h / "fs"), h / "fs" / "outside_dir")
    c.bad["hostile/fs/outside_dir"] = "symlink leaves the indexed folder"
    os.symlink("loop.py", h / "fs" / "loop.py")
    c.bad["hostile/fs/loop.py"] = "symlink loop"
    os.symlink("missing.py", h / "fs" / "broken.py")
    c.bad["hostile/fs/broken.py"] = "broken symlink"
    os.mkfifo(h / "fs" / "fifo.py")  # never opened: the run must not hang on it
    os.symlink("/dev/zero", h / "fs" / "zero.json")
    c.bad["hostile/fs/zero.json"] = "symlink leaves the indexed folder"
    os.symlink("/proc/self/environ", h / "fs" / "environ.yaml")
    c.bad["hostile/fs/environ.yaml"] = "symlink leaves the indexed folder"
    _write(h / "fs" / "empty.py", "")
    c.bad["hostile/fs/empty.py"] = "empty"

    # -- git: a repository whose config names commands -------------------------------------------
    _git(root, "init", "-q")
    _git(root, "-c", "user.name=Mallory", "-c", "user.email=m@example.org", "add", "good")
    _git(
        root, "-c", "user.name=Mallory", "-c", "user.email=m@example.org", "commit", "-q", "-m", "good files"
    )
    with open(root / ".git" / "config", "a") as fh:
        fh.write(
            f'[core]\n\tfsmonitor = "{marker("fsmonitor")}"\n\tpager = "{marker("pager")}"\n'
            f"\thooksPath = {root / 'hooks'}\n"
            f'[diff]\n\texternal = "{marker("diff")}"\n'
            f'[gpg]\n\tprogram = "{marker("gpg")}"\n[log]\n\tshowSignature = true\n'
            f'[filter "evil"]\n\tclean = "{marker("clean")}"\n\tsmudge = "{marker("smudge")}"\n'
        )
    _write(root / ".gitattributes", "* filter=evil\n")
    hook = _write(root / "hooks" / "post-index-change", f"#!/bin/sh\n{marker('hook')}\n")
    hook.chmod(0o755)
    return c
