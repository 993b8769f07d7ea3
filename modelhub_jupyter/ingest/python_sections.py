"""Section types of Python code chunks: what a piece of model code is for."""

from __future__ import annotations

import re

_DATA_PARTS = {
    "data", "dataset", "datasets", "loader", "loaders", "dataloader", "dataloaders", "batch", "batches",
    "batched", "vocab", "corpus", "tokens", "tokenize", "tokenise", "windows", "split", "collate",
    "preprocess", "preprocessing", "augment", "augmentation", "transform", "transforms", "download",
    "mnist", "cifar", "cifar10", "cifar100", "imagenet", "celeba", "imdb", "series",
}  # fmt: skip
_EVAL_PARTS = {
    "metric", "metrics", "accuracy", "perplexity", "bleu", "f1", "fid", "frechet", "inception", "score",
    "auc", "rouge", "precision", "recall",
}  # fmt: skip
_EVAL_NAME = re.compile(r"^_*(eval|evaluate|evaluation|validate|validation|val|test|estimate_loss)(_|$)")
_TRAIN_NAME = re.compile(r"^_*(train|training|fit|finetune|fine_tune|pretrain)(_|$)|train_step|run_epoch")
_CONFIG_NAME = re.compile(
    r"^(parse_args|get_args|get_parser|build_parser|make_parser|add_args|add_arguments)$"
)
_CONFIG_PARTS = {"config", "cfg", "hparams", "hyperparameters", "args", "argparse", "settings"}
_MODEL_NAME = re.compile(
    r"^_*(build|make|create|define|get)_\w*(model|network|net|generator|discriminator|encoder|decoder|unet)$"
    r"|^(resnet|vgg|vit|unet|mlp|cnn|lstm|gru)\w*$"
)
_LOAD_NAME = re.compile(
    r"^_*(load|read|fetch)_(?!config|checkpoint|ckpt|model|weights|state|pretrained|args)"
)

# These run on whole chunks of file text, so each is linear in it: a call whose name contains
# "accuracy" is found from the start of its word only (``\w*accuracy\w*\(`` retried every
# position of a long word: 29 s for 20k characters); line-start patterns use ``[^\S\n]`` (``^\s*``
# ran across every following blank line) and possessive runs where the next token cannot overlap.
_TRAIN_TEXT = re.compile(
    r"\.backward\(|\boptimi[sz]er\.step\(|\.apply_gradients\(|\bvalue_and_grad\(|\.fit\(|\bGradientTape\("
    r"|\.zero_grad\(|\btrain_on_batch\(|\btrain(_step|_epoch|_one_epoch)?\("
)
_MODEL_TEXT = re.compile(
    r"\b(keras\.)?Sequential\(|\blayers\.[A-Z]\w*+\(|\bnn\.(Linear|Conv[123]d|LSTM|GRU|Embedding|Dense|Conv)\("
)
_DATA_TEXT = re.compile(
    r"\bDataLoader\(|\b(Iterable)?Dataset\b|\btf\.data\.|\bload_dataset\(|\btransforms\.|\btfds\."
    r"|\bdatasets\.[A-Z]\w*+\(|\.load_data\(|\bImageFolder\(|\bmemmap\("
)
_EVAL_TEXT = re.compile(
    r"\.evaluate\(|(?<!\w)(?=\w*?accuracy)\w++\(|\bperplexity\(|\bcompute_metrics\b|\bconfusion_matrix\("
)
_CONFIG_TEXT = re.compile(
    r"\bArgumentParser\(|\.add_argument\(|^[^\S\n]*+@(?:dataclasses\.)?dataclass\b", re.M
)
_LITERAL_ASSIGN = re.compile(
    r"^[A-Za-z_]\w*+[ \t]*+(?:(?::[\w\[\], .|\t]++)?=[ \t]*+[-+\d\"'(\[{]|=[ \t]*+(?:True|False)\b)", re.M
)

_DATA_BASES = re.compile(r"(Dataset|DataModule|DataLoader|Sampler|Sequence)$")
_CONFIG_CLASS = re.compile(
    r"(Config|Configuration|Args|Arguments|Params|HParams|Hparams|Hyperparameters|Settings)$"
)


def _parts(name: str) -> set[str]:
    return {p.lower() for p in re.split(r"_+|(?<=[a-z0-9])(?=[A-Z])", name) if p}


def classify_name(name: str) -> str | None:
    """Section type implied by a function name, or None when the name says nothing."""
    parts = _parts(name)
    lower = name.lower()
    if "split" in parts or _LOAD_NAME.search(lower):
        return "data_loading"
    if _TRAIN_NAME.search(lower):
        return "training_loop"
    if _MODEL_NAME.search(lower):
        return "model_definition"
    if _EVAL_NAME.search(lower) or parts & _EVAL_PARTS:
        return "evaluation"
    if parts & _DATA_PARTS:
        return "data_loading"
    if _CONFIG_NAME.match(lower) or parts & _CONFIG_PARTS:
        return "config"
    return None


def classify_text(text: str) -> str:
    """Section type from what the code does (training > model > data > evaluation > config)."""
    if _TRAIN_TEXT.search(text):
        return "training_loop"
    if len(_MODEL_TEXT.findall(text)) >= 2:
        return "model_definition"
    if _DATA_TEXT.search(text):
        return "data_loading"
    if _EVAL_TEXT.search(text):
        return "evaluation"
    if _CONFIG_TEXT.search(text) or len(_LITERAL_ASSIGN.findall(text)) >= 3:
        return "config"
    return "utility"


def class_kind(name: str, bases: list[str], decorators: list[str], is_model: bool) -> str | None:
    """Section type every chunk of a class inherits, or None to decide per method."""
    if is_model:
        return "model_definition"
    if any(_DATA_BASES.search(b) for b in bases) or _DATA_BASES.search(name):
        return "data_loading"
    if any("dataclass" in d for d in decorators) or _CONFIG_CLASS.search(name):
        return "config"
    return None


def classify_function(name: str, text: str, kind: str | None) -> str:
    """Section type of a function or method chunk; ``kind`` is its class's kind."""
    by_name = classify_name(name)
    if kind == "model_definition":
        return by_name if by_name in ("training_loop", "evaluation") else kind
    if kind:
        return kind
    return by_name or classify_text(text)
