"""Header-only readers for model weight files (safetensors, GGUF, PyTorch, ONNX).

Nothing here loads tensors or unpickles: safetensors and GGUF are read up to the end of
their headers (GGUF through a memory map, touching only the metadata pages), PyTorch
archives are listed from their zip central directory, raw pickles are recognised by their
first byte.

Every header is hostile, so every count it claims is checked before it is used: the
safetensors header length, tensor ranks, shapes and element counts; the GGUF key, tensor and
array counts, string lengths (values kept up to :data:`GGUF_STRING_KEEP`, long arrays skipped,
string arrays walked within :data:`GGUF_MAX_STEPS`); the zip entry count and central
directory size. Reads never allocate more than a limit, whatever the file claims.
"""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import os
import re
import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import one_line
from .types import Chunk, Extracted, ParseError

WEIGHT_SUFFIXES: frozenset[str] = frozenset(
    {".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".gguf"}
)

SAFETENSORS_MAX_HEADER = 100_000_000  # what the reference library accepts
SAFETENSORS_MAX_DIMS = 16  # tensor rank (real tensors have at most 5 or 6)
SAFETENSORS_METADATA_KEEP = 64 * 1024  # characters kept of each __metadata__ string
MAX_TENSOR_ELEMENTS = 10**15  # one tensor (a 1.8T-parameter model has ~2e12 in all)
MAX_PARAMETERS = 10**15  # one file, all tensors
GGUF_MAX_KV = 65_536  # key/value pairs (real files have a few dozen)
GGUF_MAX_TENSORS = 200_000  # tensor infos (the largest real files have a few thousand)
GGUF_MAX_DIMS = 8  # ggml has GGML_MAX_DIMS = 4
GGUF_MAX_KEY_BYTES = 65_535  # what the format allows for a key
GGUF_STRING_KEEP = 64 * 1024  # bytes kept of one string value (the rest is skipped)
GGUF_NAME_KEEP = 256  # bytes kept of a tensor name (the format says at most 64)
GGUF_MAX_KEPT_BYTES = 16 * 1024 * 1024  # keys and string values kept, all together
GGUF_MAX_STEPS = 8_000_000  # keys + tensors + array elements walked one by one (token lists)
GGUF_FALLBACK_READ = 64 * 1024 * 1024  # header bytes read where the file cannot be memory-mapped
ZIP_MAX_ENTRIES = 100_000  # members of a PyTorch zip archive (a torch.save has one per storage)
ZIP_MAX_DIRECTORY_BYTES = 64 * 1024 * 1024  # central directory read into memory
ONNX_MAX_BYTES = 2 * 1024 * 1024 * 1024  # protobuf's own limit; onnx.load reads the file whole
CHUNK_CHARS = 900  # the text embedder reads ~256 tokens
_GGUF_FINGERPRINT_BYTES = 1 << 20
_EDGE_BYTES = 64 * 1024
_COMPANION_HASH_BYTES = 20 * 1024 * 1024
_DTYPE_NAME = re.compile(r"[A-Za-z0-9_]{1,32}")

# safetensors dtype -> the name torch/config.json use
_ST_DTYPES = {
    "BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "U16": "uint16",
    "F16": "float16", "BF16": "bfloat16", "I32": "int32", "U32": "uint32", "F32": "float32",
    "I64": "int64", "U64": "uint64", "F64": "float64", "C64": "complex64",
    "F8_E5M2": "float8_e5m2", "F8_E4M3": "float8_e4m3fn", "F8_E8M0": "float8_e8m0fnu",
    "F8_E4M3FNUZ": "float8_e4m3fnuz", "F8_E5M2FNUZ": "float8_e5m2fnuz", "F4": "float4", "F6_E2M3": "float6_e2m3",
    "F6_E3M2": "float6_e3m2",
}  # fmt: skip
# safetensors __metadata__["format"] -> framework
_ST_FRAMEWORKS = {
    "pt": "pytorch",
    "torch": "pytorch",
    "tf": "tensorflow",
    "flax": "flax",
    "mlx": "mlx",
    "np": "numpy",
}
# ggml type ids (docs/gguf.md); gguf.constants is consulted first so newer ids get names too
_GGML_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1", 10: "Q2_K",
    11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 24: "I8", 25: "I16", 26: "I32", 27: "I64",
    28: "F64", 30: "BF16",
}  # fmt: skip
_GGML_PLAIN = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64",
               "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64"}  # fmt: skip
_LEGACY_GGML = {b"lmgg": "ggml", b"fmgg": "ggmf", b"tjgg": "ggjt", b"algg": "ggla"}  # LE u32 magics on disk


# --------------------------------------------------------------------------- small helpers


def _prod(shape: list[int] | tuple[int, ...]) -> int:
    return math.prod(shape)  # prod([]) == 1: a 0-d tensor is a scalar


def size_text(size: int) -> str:
    """``20.0 MB``-style size (binary units, as the scanner writes them)."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


def value_error_reason(err: BaseException) -> str:
    """A short reason for a failure while turning file text into values (JSON, YAML)."""
    text = str(err)
    if isinstance(err, RecursionError):
        return "nested too deeply"
    if "integer string conversion" in text:  # Python refuses int() of more than 4,300 digits
        return "a number has too many digits"
    if isinstance(err, OverflowError):  # not "internal error": the file's number is too large
        return "a number is too large"
    return one_line(err)[:100]


def _shown(name: Any, limit: int = 60) -> str:
    """``repr`` of a name from a file, cut to ``limit`` characters for a one-line message."""
    text = repr(name)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def file_label(name: str, limit: int = 120) -> str:
    """A file name from the indexed folder, for a one-line message: a newline, form feed or other
    line break in a hostile name is collapsed, and a long name is cut (a name of only whitespace
    shows as its repr)."""
    return one_line(name, limit=limit) or _shown(name, limit)


def _where(relpath: str, what: str) -> str:
    return f"{relpath} ({what})"


def _dominant(counts: dict[str, int]) -> str | None:
    return max(counts, key=lambda k: counts[k]) if counts else None


def _dtypes_by_weight(counts: dict[str, int]) -> list[str]:
    return sorted(counts, key=lambda k: -counts[k])


_ARCH_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("diffusion", ("unet2d", "unet3d", "unetspatio", "diffusion", "pipeline", "fluxtransformer", "sd3transformer",
                   "transformer2dmodel", "autoencoderkl", "controlnet", "dit")),
    ("gan", ("gan", "stylegan", "cyclegan", "dcgan", "esrgan", "biggan", "pix2pix", "generator", "discriminator")),
    ("rnn", ("lstm", "gru", "rnn", "rwkv", "mamba", "xlstm", "recurrent")),
    ("cnn", ("resnet", "convnext", "efficientnet", "mobilenet", "vgg", "regnet", "densenet", "yolo", "inception",
             "alexnet", "squeezenet", "convnet", "cnn", "unet", "lenet")),
    ("transformer", ("transformer", "bert", "gpt", "llama", "mistral", "mixtral", "qwen", "gemma", "phi", "t5",
                     "bart", "vit", "clip", "siglip", "whisper", "wav2vec", "roberta", "electra", "falcon", "bloom",
                     "olmo", "starcoder", "swin", "deit", "beit", "dino", "blip", "llava", "stablelm", "internlm",
                     "baichuan", "glm", "deepseek", "cohere", "granite", "smollm", "xlm", "albert", "marian", "pegasus",
                     "opt", "mpt", "nomic", "jina", "minilm", "mpnet", "attention")),
    ("mlp", ("mlp", "mixer", "perceptron", "feedforward")),
)  # fmt: skip
_TRANSFORMER_HEADS = ("forcausallm", "lmheadmodel", "formaskedlm", "forseq2seqlm", "forconditionalgeneration",
                      "forquestionanswering", "fortokenclassification", "forsequenceclassification")  # fmt: skip


def architecture_type_of(*names: str | None, diffusers: bool = False) -> str | None:
    """Classify model_type / architectures / _class_name into one of ARCHITECTURE_TYPES.

    Returns ``None`` when no name is given, ``"other"`` when names exist but match no rule.
    Keys of three characters or fewer ("gan", "vit", "t5") must start a name; longer ones may
    appear anywhere in it.
    """
    if diffusers:
        return "diffusion"
    given = [n.lower() for n in names if isinstance(n, str) and n]
    if not given:
        return None
    for kind, keys in _ARCH_RULES:
        for key in keys:
            if any(n.startswith(key) if len(key) <= 3 else key in n for n in given):
                return kind
    if any(n.endswith(h) for n in given for h in _TRANSFORMER_HEADS):
        return "transformer"
    return "other"


def _guess_type_from_tensor_names(names: list[str]) -> str | None:
    """A weak guess for lone weight files without a config: look at tensor names."""
    sample = [n[:512] for n in names[:2000]]
    if any(("diffusion_model." in n or "down_blocks." in n or "input_blocks." in n) for n in sample):
        return "diffusion"
    if any(re.search(r"(^|[._])(self_attn|attn|attention)[._]", n) for n in sample):
        return "transformer"
    if any(re.search(r"(^|[._])(lstm|gru|rnn)[._]", n) for n in sample):
        return "rnn"
    if any(re.search(r"(^|[._])conv\w*[._]", n) for n in sample):
        return "cnn"
    return None


# --------------------------------------------------------------------------- safetensors


@dataclass
class SafetensorsHeader:
    """The parsed JSON header of a safetensors file."""

    header_bytes: int
    file_size: int
    metadata: dict[str, str]
    dtype_params: dict[str, int]  # torch-style dtype name -> number of elements
    tensor_names: list[str]
    data_bytes_needed: int

    @property
    def parameters(self) -> int:
        return sum(self.dtype_params.values())


def read_safetensors_header(path: Path) -> SafetensorsHeader:
    """Read only the 8-byte length and the JSON header of a safetensors file."""
    size = path.stat().st_size
    if size == 0:
        raise ParseError("empty file (0 bytes)")
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ParseError(
                f"truncated safetensors header: the file has {size:,} bytes, less than the 8-byte length"
            )
        n = struct.unpack("<Q", head)[0]
        if n > size - 8:
            raise ParseError(f"safetensors header claims {n:,} bytes but the file has {size:,}")
        if n > SAFETENSORS_MAX_HEADER:
            raise ParseError(
                f"safetensors header claims {n:,} bytes, more than the {SAFETENSORS_MAX_HEADER:,}-byte limit"
            )
        raw = f.read(n)
    if len(raw) < n:
        raise ParseError(f"safetensors header claims {n:,} bytes but only {len(raw):,} could be read")
    if not raw.startswith(b"{"):
        raise ParseError(f"safetensors header is not a JSON object (starts with {raw[:8]!r})")
    try:
        header = json.loads(raw.decode("utf-8").rstrip(" "))
    except UnicodeDecodeError as err:
        raise ParseError(f"safetensors header is not UTF-8 (byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise ParseError(f"safetensors header is not valid JSON: {err.msg} at byte {err.pos}") from None
    except (ValueError, RecursionError) as err:  # a 5,000-digit number, 100,000 nested lists
        raise ParseError(f"safetensors header is not valid JSON: {value_error_reason(err)}") from None
    if not isinstance(header, dict):
        raise ParseError("safetensors header is not a JSON object")
    meta = header.get("__metadata__")
    metadata = (  # the format says string -> string; anything else is skipped
        {k: v[:SAFETENSORS_METADATA_KEEP] for k, v in meta.items() if isinstance(v, str)}
        if isinstance(meta, dict)
        else {}
    )
    dtype_params: Counter[str] = Counter()
    names: list[str] = []
    data_end = total = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info.get("dtype") if isinstance(info, dict) else None
        if not isinstance(dtype, str):
            raise ParseError(f"safetensors tensor {_shown(name)} has no dtype")
        if not _DTYPE_NAME.fullmatch(dtype):
            raise ParseError(f"safetensors tensor {_shown(name)} has an invalid dtype {_shown(dtype, 40)}")
        elements = _st_elements(name, info.get("shape"))
        total += elements
        if total > MAX_PARAMETERS:
            raise ParseError(f"safetensors header claims more than {MAX_PARAMETERS:,} parameters")
        offsets = info.get("data_offsets")
        if (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) and not isinstance(o, bool) and 0 <= o < 2**64 for o in offsets)
        ):
            data_end = max(data_end, offsets[1])
        dtype_params[_ST_DTYPES.get(dtype, dtype.lower())] += elements
        names.append(name)
    return SafetensorsHeader(n, size, metadata, dict(dtype_params), names, 8 + n + data_end)


def _st_elements(name: str, shape: Any) -> int:
    """Elements of one tensor: a list of at most SAFETENSORS_MAX_DIMS non-negative ints whose
    product is at most MAX_TENSOR_ELEMENTS (multiplied with a check at every step)."""
    if not isinstance(shape, list) or len(shape) > SAFETENSORS_MAX_DIMS:
        raise ParseError(f"safetensors tensor {_shown(name)} has an invalid shape {_shown(shape, 40)}")
    elements = 1
    for dim in shape:
        if not isinstance(dim, int) or isinstance(dim, bool) or dim < 0:
            raise ParseError(f"safetensors tensor {_shown(name)} has an invalid shape {_shown(shape, 40)}")
        elements *= dim if dim <= MAX_TENSOR_ELEMENTS else MAX_TENSOR_ELEMENTS + 1
        if elements > MAX_TENSOR_ELEMENTS:
            if 0 in shape:
                return 0
            raise ParseError(
                f"safetensors tensor {_shown(name)} claims more than {MAX_TENSOR_ELEMENTS:,} elements"
            )
    return elements


# --------------------------------------------------------------------------- GGUF

_GGUF_SCALAR_FMT = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_GGUF_SMALL_ARRAY = 256  # longer arrays (token lists, merges) are skipped, only their length is kept


@dataclass(frozen=True)
class GGUFArray:
    """A long GGUF array that was skipped rather than decoded."""

    elem_type: int
    count: int


@dataclass
class GGUFTensor:
    name: str
    dims: tuple[int, ...]  # ne0 first (reverse of the numpy shape)
    ggml_type: int
    offset: int


@dataclass
class GGUFHeader:
    """Version, key/values (long arrays summarised as :class:`GGUFArray`) and tensor infos."""

    version: int
    kv: dict[str, Any]
    tensors: list[GGUFTensor] = field(default_factory=list)
    alignment: int = 32
    data_offset: int = 0
    file_size: int = 0


class _Cursor:
    """Bounds-checked little/big-endian reads from a bytes-like buffer."""

    def __init__(self, buf: Any, endian: str, file_size: int) -> None:
        self.buf, self.e, self.pos, self.end, self.file_size = buf, endian, 0, len(buf), file_size
        self._structs: dict[str, struct.Struct] = {}
        self.steps_left = GGUF_MAX_STEPS  # entries walked one by one
        self.kept_left = GGUF_MAX_KEPT_BYTES  # bytes of keys and strings kept

    def spend(self, steps: int, what: str) -> None:
        """Pay for walking ``steps`` entries one by one; past GGUF_MAX_STEPS in all, refuse."""
        self.steps_left -= steps
        if self.steps_left < 0:
            raise ParseError(
                f"GGUF header too large to read: {what} (more than {GGUF_MAX_STEPS:,} entries in all)"
            )

    def take(self, n: int) -> int:
        start = self.pos
        if n < 0 or start + n > self.end:
            raise ParseError(f"truncated GGUF: the header needs more than {self.file_size:,} bytes")
        self.pos = start + n
        return start

    def unpack(self, fmt: str) -> Any:
        st = self._structs.get(fmt)
        if st is None:
            st = self._structs[fmt] = struct.Struct(self.e + fmt)
        return st.unpack_from(self.buf, self.take(st.size))[0]

    def string(self, keep: int = GGUF_STRING_KEEP) -> str:
        """A gguf_string: at most ``keep`` bytes are read (and kept, within GGUF_MAX_KEPT_BYTES);
        the rest is skipped by moving the cursor, never read."""
        n = self.unpack("Q")
        p = self.take(n)  # bounds-checked against the buffer before anything is read
        k = max(0, min(n, keep, self.kept_left))
        self.kept_left -= k
        return bytes(self.buf[p : p + k]).decode("utf-8", errors="replace")

    def key(self, what: str, keep: int = GGUF_MAX_KEY_BYTES) -> str:
        """A key or tensor name: longer than the format allows (65,535 bytes), or past the
        kept-bytes budget, is refused; at most ``keep`` bytes of it are kept."""
        n = struct.unpack_from(self.e + "Q", self.buf, self.pos)[0] if self.pos + 8 <= self.end else 0
        if n > GGUF_MAX_KEY_BYTES:
            raise ParseError(f"GGUF {what} is {n:,} bytes long, more than the {GGUF_MAX_KEY_BYTES:,} allowed")
        if min(n, keep) > self.kept_left:
            raise ParseError(f"GGUF keys and values take more than {GGUF_MAX_KEPT_BYTES:,} bytes")
        return self.string(keep)

    def skip_strings(self, count: int) -> None:
        """Skip ``count`` gguf_strings (u64 length + bytes) quickly."""
        buf, pos, end = self.buf, self.pos, self.end
        u64 = struct.Struct(self.e + "Q").unpack_from
        if pos + 8 * count > end:
            raise ParseError(f"truncated GGUF: the header needs more than {self.file_size:,} bytes")
        for _ in range(count):
            if pos + 8 > end:
                raise ParseError(f"truncated GGUF: the header needs more than {self.file_size:,} bytes")
            pos += 8 + u64(buf, pos)[0]
        if pos > end:
            raise ParseError(f"truncated GGUF: the header needs more than {self.file_size:,} bytes")
        self.pos = pos


def _gguf_value(cur: _Cursor, vtype: int, key: str, depth: int = 0) -> Any:
    fmt = _GGUF_SCALAR_FMT.get(vtype)
    if fmt is not None:
        return cur.unpack(fmt)
    if vtype == 8:
        return cur.string()
    if vtype != 9:
        raise ParseError(f"GGUF key {_shown(key)} has an unknown value type {vtype}")
    if depth > 4:
        raise ParseError(f"GGUF key {_shown(key)} nests arrays too deeply")
    etype, count = cur.unpack("I"), cur.unpack("Q")
    efmt = _GGUF_SCALAR_FMT.get(etype)
    if efmt is not None:  # fixed-size elements: a long array is skipped in one move
        st = struct.Struct(cur.e + efmt)
        start = cur.take(st.size * count)
        if count > _GGUF_SMALL_ARRAY:
            return GGUFArray(etype, count)
        return [v[0] for v in st.iter_unpack(bytes(cur.buf[start : start + st.size * count]))]
    if etype == 8:  # strings: each length must be read, so the walk is paid for
        cur.spend(count, f"key {_shown(key)} holds {count:,} strings")
        if count > _GGUF_SMALL_ARRAY:
            cur.skip_strings(count)
            return GGUFArray(etype, count)
        return [cur.string() for _ in range(count)]
    if etype == 9:
        cur.spend(count, f"key {_shown(key)} holds {count:,} arrays")
        if count > _GGUF_SMALL_ARRAY:
            for _ in range(count):
                _gguf_value(cur, 9, key, depth + 1)
            return GGUFArray(etype, count)
        return [_gguf_value(cur, 9, key, depth + 1) for _ in range(count)]
    raise ParseError(f"GGUF key {_shown(key)} has an array of unknown type {etype}")


def _open_buffer(f: Any, size: int) -> Any:
    try:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # file systems without mmap: the header is near the start
        f.seek(0)
        return f.read(min(size, GGUF_FALLBACK_READ))


def read_gguf_header(path: Path) -> GGUFHeader:
    """Walk the GGUF key/values (skipping long arrays) and the tensor infos; never read tensor data."""
    size = path.stat().st_size
    if size == 0:
        raise ParseError("empty file (0 bytes)")
    with open(path, "rb") as f:
        magic = f.read(4)
        if len(magic) < 4:
            raise ParseError(f"truncated GGUF: the file has {size:,} bytes")
        if magic not in (b"GGUF", b"FUGG"):
            raise ParseError(f"not a GGUF file: bad magic {magic!r}")
        buf = _open_buffer(f, size)
        try:
            return _parse_gguf(buf, magic, size)
        finally:
            if isinstance(buf, mmap.mmap):
                buf.close()


def _parse_gguf(buf: Any, magic: bytes, size: int) -> GGUFHeader:
    endian = "<" if magic == b"GGUF" else ">"
    cur = _Cursor(buf, endian, size)
    cur.take(4)
    version = cur.unpack("I")
    if version & 0xFFFF == 0 and version:  # written big-endian with a little-endian magic
        endian = ">" if endian == "<" else "<"
        version = struct.unpack(endian + "I", bytes(buf[4:8]))[0]
        cur.e, cur._structs = endian, {}
    if version not in (2, 3):
        raise ParseError(f"unsupported GGUF version {version} (readable: 2, 3)")
    n_tensors, n_kv = cur.unpack("Q"), cur.unpack("Q")
    if n_kv * 13 > size or n_tensors * 24 > size:
        raise ParseError(
            f"truncated GGUF: the header claims {n_kv:,} keys and {n_tensors:,} tensors in {size:,} bytes"
        )
    if n_kv > GGUF_MAX_KV:
        raise ParseError(f"GGUF header claims {n_kv:,} keys, more than the {GGUF_MAX_KV:,} limit")
    if n_tensors > GGUF_MAX_TENSORS:
        raise ParseError(
            f"GGUF header claims {n_tensors:,} tensors, more than the {GGUF_MAX_TENSORS:,} limit"
        )
    cur.spend(n_kv + n_tensors, "keys and tensors")
    kv: dict[str, Any] = {}
    for i in range(n_kv):
        key = cur.key(f"key #{i}")
        vtype = cur.unpack("I")
        value = _gguf_value(cur, vtype, key)
        kv.setdefault(key, value)
    tensors = []
    for i in range(n_tensors):
        name = cur.key(f"tensor #{i} name", GGUF_NAME_KEEP)
        n_dims = cur.unpack("I")
        if n_dims > GGUF_MAX_DIMS:
            raise ParseError(f"GGUF tensor {_shown(name)} claims {n_dims:,} dimensions")
        start = cur.take(8 * n_dims)
        dims = struct.unpack_from(f"{endian}{n_dims}Q", buf, start) if n_dims else ()
        if _prod(dims) > MAX_TENSOR_ELEMENTS:
            raise ParseError(f"GGUF tensor {_shown(name)} claims more than {MAX_TENSOR_ELEMENTS:,} elements")
        tensors.append(GGUFTensor(name, tuple(dims), cur.unpack("I"), cur.unpack("Q")))
    alignment = kv.get("general.alignment", 32)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        alignment = 32
    data_offset = cur.pos + (alignment - cur.pos % alignment) % alignment
    return GGUFHeader(version, kv, tensors, alignment, data_offset, size)


def ggml_type_name(type_id: int) -> str:
    """ggml tensor type id -> name ("Q4_1"); unknown ids -> "type_<id>"."""
    try:
        from gguf.constants import GGMLQuantizationType

        return GGMLQuantizationType(type_id).name
    except Exception:  # noqa: BLE001 - gguf missing or an id it does not know
        return _GGML_TYPES.get(type_id, f"type_{type_id}")


def _gguf_file_type_name(file_type: Any) -> str | None:
    if not isinstance(file_type, int):
        return None
    try:
        from gguf.constants import LlamaFileType

        name = LlamaFileType(file_type).name
    except Exception:  # noqa: BLE001
        return None
    if name == "GUESSED":
        return None
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def _gguf_data_needed(h: GGUFHeader) -> int | None:
    try:
        from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType
    except Exception:  # noqa: BLE001
        return None
    end = 0
    for t in h.tensors:
        try:
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(t.ggml_type)]
        except (KeyError, ValueError):
            return None
        end = max(end, t.offset + _prod(t.dims) * type_size // block)
    return h.data_offset + end


# --------------------------------------------------------------------------- per-file inspection


@dataclass
class WeightInfo:
    """What one weight file says about itself and about the model it belongs to."""

    entry: dict[str, Any]  # {file, format, size_bytes, parameters, dtypes}
    facts: Extracted  # model-level facts (family, dims, quantization, licence ...), no model_id
    dtype_params: dict[str, int] = field(default_factory=dict)
    name: str | None = None  # a model name the file declares (GGUF general.name)


def _sniff(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(8)


def zip_member_names(path: Path, size: int) -> list[str]:
    """Member names of a zip archive, from its central directory, read with bounds.

    :mod:`zipfile` is not used: it reads a central directory of whatever size the end record
    claims into memory and raises ``NotImplementedError`` on an odd "version needed" field.
    Here the end record (and its zip64 form) is checked first: at most ZIP_MAX_ENTRIES entries
    and ZIP_MAX_DIRECTORY_BYTES bytes, inside the file. Nothing is decompressed.
    """
    with open(path, "rb") as f:
        tail_len = min(size, 22 + 0xFFFF)  # the end record, then a comment of at most 64 KB
        f.seek(size - tail_len)
        tail = f.read(tail_len)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            raise ParseError("broken zip archive: no end of central directory record")
        _, disk, _, _, entries, cd_size, cd_offset, _ = struct.unpack("<IHHHHIIH", tail[at : at + 22])
        end_record = size - tail_len + at
        cd_end = end_record
        if 0xFFFF in (disk, entries) or 0xFFFFFFFF in (cd_size, cd_offset):  # zip64
            f.seek(max(0, end_record - 20))
            locator = f.read(20)
            if len(locator) == 20 and locator[:4] == b"PK\x06\x07":
                record_at = struct.unpack("<Q", locator[8:16])[0]
                if record_at + 56 <= size:
                    f.seek(record_at)
                    record = f.read(56)
                    if record[:4] == b"PK\x06\x06":
                        # disk, (disk of the directory, entries on this disk,) entries, size, offset
                        disk, entries, cd_size, cd_offset = struct.unpack("<I4x8xQQQ", record[16:56])
                        cd_end = end_record - 20 - 56
        if disk not in (0, 0xFFFF):
            raise ParseError("broken zip archive: spans several disks")
        if entries > ZIP_MAX_ENTRIES:
            raise ParseError(
                f"zip archive lists {entries:,} members, more than the {ZIP_MAX_ENTRIES:,} limit"
            )
        if cd_size > ZIP_MAX_DIRECTORY_BYTES:
            raise ParseError(
                f"zip central directory is {size_text(cd_size)}, over the {size_text(ZIP_MAX_DIRECTORY_BYTES)} limit"
            )
        start = cd_end - cd_size  # as zipfile does: data prepended to the archive shifts every offset
        if start < 0:
            raise ParseError("broken zip archive: the central directory lies outside the file")
        f.seek(start)
        directory = f.read(cd_size)
    names: list[str] = []
    pos = 0
    while pos + 46 <= len(directory):
        if directory[pos : pos + 4] != b"PK\x01\x02":
            raise ParseError(f"broken zip archive: bad central directory entry #{len(names) + 1}")
        flags, name_len, extra_len, comment_len = struct.unpack("<H18xHHH", directory[pos + 8 : pos + 34])
        raw = directory[pos + 46 : pos + 46 + name_len]
        names.append(raw.decode("utf-8" if flags & 0x800 else "cp437", errors="replace"))
        if len(names) > ZIP_MAX_ENTRIES:
            raise ParseError(f"zip archive has more than {ZIP_MAX_ENTRIES:,} members")
        pos += 46 + name_len + extra_len + comment_len
    if pos > len(directory) or (not names and entries):
        raise ParseError("broken zip archive: the central directory is cut short")
    return names


def inspect_weight_file(path: Path, relpath: str) -> WeightInfo:
    """Read one weight file's header. Raises :class:`ParseError` when the file is unreadable,
    and never any other exception."""
    try:
        return _inspect_weight_file(path, relpath)
    except ParseError:
        raise
    except Exception as err:  # noqa: BLE001 - a bug must still end as this file's one-line error
        raise ParseError(f"cannot read weight file: {one_line(err, strip=(path,))}") from None


def _inspect_weight_file(path: Path, relpath: str) -> WeightInfo:
    try:
        size = path.stat().st_size
    except OSError as err:
        raise ParseError(f"cannot read file: {err.strerror or err}") from None
    if size == 0:
        raise ParseError("empty file (0 bytes)")
    suffix = path.suffix.lower()
    try:
        head = _sniff(path)
        if suffix == ".gguf" or head[:4] in (b"GGUF", b"FUGG"):
            return _inspect_gguf(path, relpath)
        if suffix == ".safetensors":
            return _inspect_safetensors(path, relpath)
        if suffix == ".onnx":
            return _inspect_onnx(path, relpath, size)
        return _inspect_pickle_family(path, relpath, size, head)
    except OSError as err:
        raise ParseError(f"cannot read file: {err.strerror or err}") from None


def _inspect_safetensors(path: Path, relpath: str) -> WeightInfo:
    h = read_safetensors_header(path)
    where = _where(relpath, "header")
    facts = Extracted()
    framework = _ST_FRAMEWORKS.get(h.metadata.get("format", "pt"), "pytorch")
    facts.set("framework.name", framework, _where(relpath, "__metadata__.format") if h.metadata else where)
    # stable-diffusion style model-spec metadata (modelspec.*), when present
    spec = {k.removeprefix("modelspec."): v for k, v in h.metadata.items() if k.startswith("modelspec.")}
    facts.set("display_name", spec.get("title"), _where(relpath, "modelspec.title"))
    facts.set("description", spec.get("description"), _where(relpath, "modelspec.description"))
    facts.set("license", spec.get("license"), _where(relpath, "modelspec.license"))
    facts.set("author", spec.get("author"), _where(relpath, "modelspec.author"))
    if spec.get("architecture"):
        facts.set("architecture", spec["architecture"], _where(relpath, "modelspec.architecture"))
        facts.set(
            "architecture_type", architecture_type_of(spec["architecture"]), _where(relpath, "modelspec")
        )
    facts.set("architecture_type", _guess_type_from_tensor_names(h.tensor_names), _where(relpath, "tensor names"),
              overwrite=False)  # fmt: skip
    if h.data_bytes_needed > h.file_size:
        facts.warnings.append(
            f"{file_label(Path(relpath).name)}: tensor data is truncated (the header needs {h.data_bytes_needed:,} bytes, "
            f"the file has {h.file_size:,})"
        )
    entry = {
        "file": relpath,
        "format": "safetensors",
        "size_bytes": h.file_size,
        "parameters": h.parameters,
        "dtypes": _dtypes_by_weight(h.dtype_params),
    }
    return WeightInfo(entry, facts, h.dtype_params)


def _gguf_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value <= MAX_TENSOR_ELEMENTS:
        return value
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return _gguf_int(max(value))  # per-layer values (e.g. head counts that vary by layer)
    return None


def _gguf_list(value: Any) -> list[str] | None:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _inspect_gguf(path: Path, relpath: str) -> WeightInfo:
    h = read_gguf_header(path)
    kv = h.kv
    facts = Extracted()

    def w(key: str) -> str:
        return _where(relpath, key)

    arch = kv.get("general.architecture") if isinstance(kv.get("general.architecture"), str) else None
    facts.set("gguf.version", h.version, w("header"))
    facts.set("framework.name", "llama.cpp", w("GGUF"))
    if arch:
        facts.set("model_family", arch, w("general.architecture"))
        facts.set("architecture", arch, w("general.architecture"))
        facts.set("architecture_type", architecture_type_of(arch), w("general.architecture"))
    for key, name in (("display_name", "name"), ("description", "description"), ("version", "version"),
                      ("license", "license"), ("author", "author")):  # fmt: skip
        value = kv.get(f"general.{name}")
        if isinstance(value, str) and value.strip():
            facts.set(key, value.strip(), w(f"general.{name}"))
    if "author" not in facts.metadata and isinstance(kv.get("general.organization"), str):
        facts.set("author", kv["general.organization"], w("general.organization"))
    for key, name in (("tags", "tags"), ("language", "languages"), ("datasets", "datasets")):
        facts.set(key, _gguf_list(kv.get(f"general.{name}")), w(f"general.{name}"))
    if facts.get("datasets"):
        facts.set("dataset.name", facts.get("datasets")[0], w("general.datasets"))
    base = kv.get("general.base_model.0.name")
    if isinstance(base, str) and base:
        facts.set("base_model", base, w("general.base_model.0.name"))
        facts.set("predecessor_models", [base], w("general.base_model.0.name"))
    if arch:
        for dim, name in (("hidden_size", "embedding_length"), ("num_layers", "block_count"),
                          ("num_attention_heads", "attention.head_count"), ("context_length", "context_length"),
                          ("intermediate_size", "feed_forward_length"), ("vocab_size", "vocab_size")):  # fmt: skip
            facts.set(f"model_dimensions.{dim}", _gguf_int(kv.get(f"{arch}.{name}")), w(f"{arch}.{name}"))
    tokens = kv.get("tokenizer.ggml.tokens")
    if "vocab_size" not in facts.get("model_dimensions", {}) and tokens is not None:
        count = (
            tokens.count if isinstance(tokens, GGUFArray) else len(tokens) if isinstance(tokens, list) else 0
        )
        facts.set("model_dimensions.vocab_size", count or None, w("tokenizer.ggml.tokens"))
    template = kv.get("tokenizer.chat_template")
    has_template = isinstance(template, str) and bool(template.strip())
    facts.set("tokenizer.has_chat_template", has_template, w("tokenizer.chat_template"))
    capabilities = []
    if arch and f"{arch}.pooling_type" in kv:
        capabilities.append("embedding")
    if has_template:
        capabilities.append("chat")
    if arch and f"{arch}.vision.block_count" in kv:
        capabilities.append("vision")
    if capabilities:
        facts.set("capabilities", capabilities, w("GGUF keys"))

    type_params: Counter[str] = Counter()
    names: dict[int, str] = {}
    for t in h.tensors:
        type_name = names.get(t.ggml_type)
        if type_name is None:  # at most 64 distinct type names: junk ids do not make a list of thousands
            type_name = names[t.ggml_type] = ggml_type_name(t.ggml_type) if len(names) < 64 else "unknown"
        type_params[_GGML_PLAIN.get(type_name, type_name)] += _prod(t.dims)
    if sum(type_params.values()) > MAX_PARAMETERS:
        raise ParseError(f"GGUF header claims more than {MAX_PARAMETERS:,} parameters")
    quant = _gguf_file_type_name(kv.get("general.file_type"))
    if quant:
        facts.set("quantization", quant, w("general.file_type"))
    else:
        quantized = {k: v for k, v in type_params.items() if k not in _GGML_PLAIN.values()}
        facts.set("quantization", _dominant(quantized), w("tensor types"))
    needed = _gguf_data_needed(h)
    if needed is not None and needed > h.file_size:
        facts.warnings.append(
            f"{file_label(Path(relpath).name)}: tensor data is truncated (the tensors need {needed:,} bytes, "
            f"the file has {h.file_size:,})"
        )
    entry = {
        "file": relpath,
        "format": "gguf",
        "size_bytes": h.file_size,
        "parameters": sum(type_params.values()),
        "dtypes": _dtypes_by_weight(type_params),
    }
    general_name = kv.get("general.name")
    declared = general_name.strip()[:256] or None if isinstance(general_name, str) else None
    return WeightInfo(entry, facts, dict(type_params), declared)


def _inspect_onnx(path: Path, relpath: str, size: int) -> WeightInfo:
    facts = Extracted()
    facts.set("framework.name", "onnx", _where(relpath, "file type"))
    entry: dict[str, Any] = {
        "file": relpath,
        "format": "onnx",
        "size_bytes": size,
        "parameters": None,
        "dtypes": [],
    }
    try:
        import onnx  # optional: not a dependency
    except ImportError:
        return WeightInfo(entry, facts)
    if size > ONNX_MAX_BYTES:  # onnx.load reads the whole protobuf into memory
        facts.warnings.append(
            f"{file_label(path.name)}: {size_text(size)}, over the {size_text(ONNX_MAX_BYTES)} limit for reading ONNX graphs"
        )
        return WeightInfo(entry, facts)
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as err:  # noqa: BLE001 - protobuf errors have many types
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ParseError(f"not a readable ONNX model: {reason}") from None
    counts: Counter[str] = Counter()
    for init in model.graph.initializer:
        dtype = onnx.helper.tensor_dtype_to_np_dtype(init.data_type).name if init.data_type else "unknown"
        counts[dtype] += _prod(list(init.dims))
    entry["parameters"] = sum(counts.values())
    entry["dtypes"] = _dtypes_by_weight(counts)
    facts.set("framework.version", f"opset {model.opset_import[0].version}" if model.opset_import else None,
              _where(relpath, "opset_import"))  # fmt: skip
    if model.producer_name:
        facts.set("onnx.producer", model.producer_name, _where(relpath, "producer_name"))
    return WeightInfo(entry, facts, dict(counts))


def _inspect_pickle_family(path: Path, relpath: str, size: int, head: bytes) -> WeightInfo:
    fmt = "ckpt" if path.suffix.lower() == ".ckpt" else "pytorch"
    facts = Extracted()
    entry: dict[str, Any] = {
        "file": relpath,
        "format": fmt,
        "size_bytes": size,
        "parameters": None,
        "dtypes": [],
    }
    if head[:4] == b"PK\x03\x04":
        names = zip_member_names(path, size)
        entry["container"] = "zip"
        entry["members"] = len(names)
        if not any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            facts.warnings.append(
                f"{file_label(path.name)}: zip archive without data.pkl, not a torch.save file"
            )
        else:
            entry["storages"] = sum(1 for n in names if re.search(r"(^|/)data/\d+$", n))
        facts.set("framework.name", "pytorch", _where(relpath, "zip archive"))
    elif head[:1] == b"\x80" and head[1:2] and 2 <= head[1] <= 5:
        entry["container"] = "legacy pickle"
        facts.set("framework.name", "pytorch", _where(relpath, "pickle"))
    elif head[:4] in _LEGACY_GGML:
        entry["format"] = "ggml"
        entry["container"] = _LEGACY_GGML[head[:4]]
        facts.set("framework.name", "llama.cpp", _where(relpath, "GGML magic"))
        facts.warnings.append(
            f"{file_label(path.name)}: legacy GGML file ({_LEGACY_GGML[head[:4]]}), no architecture recorded"
        )
    else:
        entry["format"] = "unknown"
        facts.warnings.append(
            f"{file_label(path.name)}: not a zip, pickle, GGUF or GGML file (starts with {head[:4]!r})"
        )
    return WeightInfo(entry, facts)


# --------------------------------------------------------------------------- public readers


def summary_chunk(ex: Extracted, breadcrumb: str, start_line: int = 1, end_line: int = 1) -> Chunk:
    """One short text describing a model, built from its metadata (≤ CHUNK_CHARS characters)."""
    m = ex.get
    dims = m("model_dimensions", {}) or {}
    lines = [
        f"Model {m('model_id')}"
        + (f" ({m('display_name')})" if m("display_name") not in (None, m("model_id")) else "")
    ]
    arch_bits = [b for b in (m("model_family"), m("architecture"), m("architecture_type")) if b]
    if arch_bits:
        lines.append("Architecture: " + ", ".join(dict.fromkeys(str(b) for b in arch_bits)))
    if m("framework.name"):
        lines.append(f"Framework: {m('framework.name')}")
    labels = {"hidden_size": "hidden size", "num_layers": "layers", "num_attention_heads": "attention heads",
              "vocab_size": "vocabulary", "context_length": "context length", "intermediate_size": "FFN size"}  # fmt: skip
    dim_text = ", ".join(f"{labels[k]} {dims[k]:,}" for k in labels if isinstance(dims.get(k), int))
    if dim_text:
        lines.append("Dimensions: " + dim_text)
    if isinstance(dims.get("total_parameters"), int):
        lines.append(f"Parameters: {dims['total_parameters']:,}")
    for label, key in (("Quantization", "quantization"), ("Dtype", "dtype"), ("License", "license"),
                       ("Pipeline", "pipeline_tag"), ("Base model", "base_model"), ("Version", "version")):  # fmt: skip
        value = m(key)
        if value:
            lines.append(f"{label}: {', '.join(map(str, value)) if isinstance(value, list) else value}")
    for label, key in (("Capabilities", "capabilities"), ("Use cases", "use_cases"), ("Datasets", "datasets"),
                       ("Tags", "tags")):  # fmt: skip
        value = m(key)
        if isinstance(value, list) and value:
            shown = ", ".join(map(str, value[:10])) + (
                f" (+{len(value) - 10} more)" if len(value) > 10 else ""
            )
            lines.append(f"{label}: {shown}")
    perf = m("performance", {}) or {}
    perf_text = ", ".join(
        f"{k} {v}" for k, v in perf.items() if k != "eval_dataset" and not isinstance(v, dict)
    )
    if perf_text:
        on = f" on {perf['eval_dataset']}" if perf.get("eval_dataset") else ""
        lines.append(f"Performance{on}: {perf_text}")
    text = "\n".join(lines)
    if m("description"):
        room = CHUNK_CHARS - len(text) - len("\nDescription: ")
        if room > 40:
            desc = " ".join(str(m("description")).split())
            text += "\nDescription: " + (desc if len(desc) <= room else desc[: room - 1].rstrip() + "…")
    return Chunk(
        content=text[:CHUNK_CHARS],
        start_line=start_line,
        end_line=end_line,
        breadcrumb=breadcrumb,
        section_type="config",
        chunk_type="config",
        symbol=str(m("model_id")) if m("model_id") else None,
    )


def read_weight_file(path: Path, relpath: str) -> Extracted:
    """One weight file on its own (no model directory around it) -> Extracted with one summary chunk."""
    path = Path(path)
    info = inspect_weight_file(path, relpath)
    ex = Extracted()
    if info.name:
        ex.set("model_id", info.name, _where(relpath, "general.name"))
    else:
        ex.set("model_id", path.stem, _where(relpath, "file name"))
    ex.merge(info.facts)
    ex.set("weights", [info.entry], _where(relpath, "header"))
    if info.entry.get("parameters") is not None:
        ex.set("model_dimensions.total_parameters", info.entry["parameters"], _where(relpath, "header"))
    ex.set("dtype", _dominant(info.dtype_params), _where(relpath, "header"))
    ex.chunks.append(summary_chunk(ex, relpath))
    return ex


def companion_fingerprint(path: Path) -> str:
    """Identity of a non-weight file in a model folder (config, card, tokenizer, vocab): sha256
    over its size and its first 20 MB, plus its last 64 KB when it is longer. Never reads more,
    whatever the file's size (a sparse 30 GB ``vocab.txt`` costs 20 MB of reading)."""
    path = Path(path)
    size = path.stat().st_size
    h = hashlib.sha256(f"{size}\0".encode())
    with open(path, "rb") as f:
        left = _COMPANION_HASH_BYTES
        while left > 0 and (block := f.read(min(left, 1 << 20))):
            h.update(block)
            left -= len(block)
        if size > _COMPANION_HASH_BYTES:
            f.seek(max(_COMPANION_HASH_BYTES, size - _EDGE_BYTES))
            h.update(f.read(_EDGE_BYTES))
    return h.hexdigest()


def fingerprint(path: Path) -> str:
    """Cheap identity of a weight file: sha256 over its size and header bytes (hex digest).

    safetensors: the 8 + N header bytes; GGUF: the first 1 MiB; anything else: the first and
    last 64 KiB. Never reads a whole large file.
    """
    path = Path(path)
    size = path.stat().st_size
    h = hashlib.sha256(f"{size}\0".encode())
    with open(path, "rb") as f:
        head = f.read(8)
        if path.suffix.lower() == ".safetensors" and len(head) == 8:
            n = struct.unpack("<Q", head)[0]
            if n <= min(SAFETENSORS_MAX_HEADER, size - 8):
                h.update(head)
                while n > 0 and (block := f.read(min(n, 1 << 20))):  # in blocks: at most 1 MB held
                    h.update(block)
                    n -= len(block)
                return h.hexdigest()
        f.seek(0)
        if head[:4] == b"GGUF":
            h.update(f.read(_GGUF_FINGERPRINT_BYTES))
        elif size <= 2 * _EDGE_BYTES:
            h.update(f.read())
        else:
            h.update(f.read(_EDGE_BYTES))
            f.seek(size - _EDGE_BYTES, os.SEEK_SET)
            h.update(f.read(_EDGE_BYTES))
    return h.hexdigest()
