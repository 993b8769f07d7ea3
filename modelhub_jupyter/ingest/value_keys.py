"""Names that mean the same hyper-parameter in code and config files, and their valid values.

``alias_key("n_embd") == "model_dimensions.hidden_size"``; :func:`check_value` keeps only
values the document schema accepts (positive ints for sizes, 0 < lr < 10, ...).
"""

from __future__ import annotations

import math
import re
from typing import Any

_ALIASES: dict[str, tuple[str, ...]] = {
    "model_dimensions.hidden_size": (
        "hidden_size", "n_embd", "n_embed", "d_model", "hidden_dim", "embed_dim", "emb_dim", "dim",
        "embedding_dim", "d_embed",
    ),
    "model_dimensions.num_layers": ("num_layers", "n_layer", "n_layers", "num_hidden_layers", "depth", "num_blocks"),
    "model_dimensions.num_attention_heads": ("num_attention_heads", "n_head", "n_heads", "num_heads", "nhead"),
    "model_dimensions.vocab_size": ("vocab_size", "n_vocab", "ntoken", "num_tokens"),
    "model_dimensions.context_length": (
        "context_length", "block_size", "max_seq_len", "max_seq_length", "seq_len", "max_len", "n_ctx",
        "max_position_embeddings", "seq_length",
    ),
    "model_dimensions.intermediate_size": (
        "intermediate_size", "dim_feedforward", "d_ff", "ffn_dim", "mlp_dim", "d_inner", "n_inner", "ff_dim",
    ),
    "training_config.batch_size": (
        "batch_size", "train_batch_size", "per_device_train_batch_size", "train_micro_batch_size_per_gpu",
        "micro_batch_size", "batch",
    ),
    "training_config.learning_rate": ("lr", "learning_rate", "base_lr", "max_lr", "init_lr", "peak_lr"),
    "training_config.optimizer": ("optimizer", "optimizer_name", "optim", "optimizer_type", "opt_type"),
    "training_config.epochs": ("epochs", "num_epochs", "n_epochs", "max_epochs", "num_train_epochs", "epoch"),
    "training_config.max_iters": (
        "max_iters", "max_iter", "max_steps", "num_steps", "total_steps", "num_iters", "n_iters", "train_steps",
        "num_train_steps", "num_training_steps", "train_iters", "max_train_steps", "total_iters",
    ),
    "training_config.weight_decay": ("weight_decay",),
    "dataset.name": ("dataset", "dataset_name", "data_name", "dataset_id", "data_set", "ds_name", "data_path"),
    "dataset.config": ("dataset_config", "dataset_config_name"),
}  # fmt: skip
ALIASES = {alias: key for key, names in _ALIASES.items() for alias in names}
#: Names that stand in for a key only when nothing names it outright: an embedding width is the
#: hidden size of a transformer, not of an LSTM that also sets ``hidden_size``.
SECONDARY_NAMES = frozenset({"embedding_dim", "embed_dim", "emb_dim", "dim", "d_embed"})
INT_KEYS = {k for k in _ALIASES if k.startswith("model_dimensions.")} | {
    "training_config.batch_size", "training_config.epochs", "training_config.max_iters",
}  # fmt: skip
TRAINING_KEYS = {k for k in _ALIASES if k.startswith(("training_config.", "dataset."))}
OPTIMIZER_NAMES = {
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "lion": "Lion",
}
# Possessive quantifiers: "1111...1x" is refused in one pass (``\d+\.?\d*`` backtracked quadratically).
_NUMBER = re.compile(r"[-+]?+(?:\d++(?:\.\d*+)?+|\.\d++)(?:[eE][-+]?+\d++)?+")
_WORD = re.compile(r"[A-Za-z][\w.\-]*+")
_FILE_SUFFIX = re.compile(
    r"\.(?:json|jsonl|csv|tsv|txt|parquet|arrow|npz|npy|pkl|h5|hdf5|zip|gz|tar|tfrecords?)$", re.I
)
MAX_NUMBER_CHARS = 40  # longer numeric strings are not numbers we use (and int() refuses > 4,300 digits)
MAX_INT = 10**15  # sizes, counts and steps above this are not real settings


def alias_key(name: str) -> str | None:
    """Metadata key for a variable / flag / config key name (``--n-embd`` works too)."""
    return ALIASES.get(name.strip().lstrip("-").replace("-", "_").lower())


def normalize_optimizer(name: str) -> str | None:
    """``"adamw"`` / ``"torch.optim.AdamW"`` -> ``"AdamW"``; other names as written."""
    last = name.strip().rstrip("()").split(".")[-1]
    if len(last) > 40 or not _WORD.fullmatch(last):
        return None
    bare = last[: -len("Optimizer")] if last.endswith("Optimizer") and len(last) > 9 else last
    return OPTIMIZER_NAMES.get(bare.lower(), OPTIMIZER_NAMES.get(last.lower(), last))


def _number(value: Any) -> Any:
    """A number from a numeric string (``"3e-4"``); other values as they are."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= MAX_NUMBER_CHARS and _NUMBER.fullmatch(text):
            return int(text) if text.lstrip("+-").isdecimal() else float(text)
    return value


def _finite(value: Any) -> bool:
    """A real number (not bool) that is not NaN or infinite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)


def check_value(key: str, value: Any) -> Any:
    """``value`` made valid for ``key`` (numbers from numeric strings), or None to drop it."""
    if value is None or isinstance(value, bool):
        return None
    if key in INT_KEYS:
        value = _number(value)
        if (
            isinstance(value, float) and value.is_integer() and 0 < value < MAX_INT
        ):  # 3.0 epochs (a float flag)
            value = int(value)
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value < MAX_INT
        return value if ok else None
    if key in ("training_config.learning_rate", "training_config.weight_decay"):
        value = _number(value)
        if not _finite(value):
            return None
        low_ok = value > 0 if key.endswith("learning_rate") else value >= 0
        return float(value) if low_ok and value < 10 else None
    if key == "training_config.optimizer":
        return normalize_optimizer(value) if isinstance(value, str) else None
    if key in ("dataset.name", "dataset.config"):
        if not isinstance(value, str):
            return None
        text = value.strip()
        if not text or len(text) > 120 or text[0] in "./~" or "\\" in text or " " in text:
            return None
        if _FILE_SUFFIX.search(text):  # a data file (train.json), not a dataset's name
            return None
        return text
    return value


_METRIC_RANGES = {"accuracy": (0.0, 1.0), "f1": (0.0, 1.0), "auc": (0.0, 1.0), "perplexity": (1.0, None)}


def check_metric(key: str, value: Any, percent: bool = False) -> float | None:
    """A performance number in the schema's range (accuracy 76.1 or 76.1% -> 0.761), or None."""
    value = _number(value)
    if not _finite(value) or value < 0 or value > 1e12:  # also refuses ints float() cannot hold
        return None
    value = float(value)
    low, high = _METRIC_RANGES.get(key, (0.0, None))
    if high == 1.0 and (percent or 1.0 < value <= 100.0):
        value = round(value / 100.0, 6)
    if value < low or (high is not None and value > high):
        return None
    return value


#: Settings that name the model a config or script builds or starts from.
MODEL_NAME_KEYS = frozenset(
    {
        "model_name", "model_type", "arch", "architecture", "model_arch", "model_name_or_path", "base_model",
        "pretrained_model_name_or_path", "base_model_name_or_path", "pretrained_model", "backbone",
    }
)  # fmt: skip
_VARIANT_WORDS = frozenset(
    {
        "base", "large", "small", "tiny", "mini", "medium", "huge", "giant", "it", "instruct", "chat", "sft",
        "dpo", "full", "hf", "uncased", "cased", "patch", "pt", "ft", "fp16", "bf16", "int8", "gguf",
    }
)  # fmt: skip
_SIZE = re.compile(r"\d+(?:\.\d+)?[kmbt]?|[a-z]|[a-z]\d+|e\d+|x+l|v\d+(?:\.\d+)*|patch\d+|window\d+", re.I)


def family_from_name(name: str) -> str | None:
    """The family of a model name as written in a setting: ``HuggingFaceTB/SmolLM2-1.7B`` ->
    ``SmolLM2``, ``ViT-B_16`` -> ``ViT``, ``swin_tiny_patch4_window7_224`` -> ``swin``; None for a
    path, a blank or a name with spaces."""
    text = name.strip()
    if not text or len(text) > 200 or " " in text or text[0] in "./~$" or "\\" in text or "{" in text:
        return None
    last = text.rstrip("/").split("/")[-1]
    tokens = re.split(r"[-_]", last)
    kept: list[str] = []
    for token in tokens:
        if kept and (token.lower() in _VARIANT_WORDS or _SIZE.fullmatch(token)):
            break
        kept.append(token)
    family = "-".join(t for t in kept if t)
    return family if _WORD.fullmatch(family) else None


_ARCH_PATTERNS = (
    ("other", r"mamba|rwkv|(?<![a-z])ssm|hyena"),
    ("diffusion", r"diffusion|ddpm|ddim|(?<![a-z])sdxl"),
    ("gan", r"gan(?![a-z])|discriminator"),
    (
        "transformer",
        r"transformer|gpt|bert|llama|(?<![a-z])t5|(?<![a-z])vit|mistral|bart|bloom|falcon|qwen|gemma|deit|swin"
        r"|whisper|(?<![a-z])opt(?![a-z])|smollm|zephyr|(?<![a-z])phi|clip|mixtral|(?<![a-z])pythia",
    ),
    ("rnn", r"lstm|gru(?![a-z])|rnn"),
    ("mlp", r"mlp|perceptron|mixer"),
    ("cnn", r"resnet|cnn|conv|vgg|efficientnet|mobilenet|densenet|alexnet|inception|yolo|unet|(?<![a-z])dla"),
)


def architecture_of_name(name: str) -> str | None:
    """The architecture type a model or family name stands for (``ResNet50`` -> ``cnn``), or None."""
    lowered = name.lower()
    for arch, pattern in _ARCH_PATTERNS:
        if re.search(pattern, lowered):
            return arch
    return None
