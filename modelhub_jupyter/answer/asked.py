"""Which metadata a question asks for: "what learning rate", "how many parameters", "trained on
what dataset" -> the catalog keys that hold the answer."""

from __future__ import annotations

import re

#: (pattern on the question, key, how the answer names it). ``performance`` is every metric.
ASKED: tuple[tuple[str, str, str], ...] = (
    (r"learning[\s_-]*rates?|\blr\b", "training_config.learning_rate", "learning rate"),
    (r"batch[\s_-]*sizes?", "training_config.batch_size", "batch size"),
    (r"optimi[sz]ers?|optimi[sz]ed with", "training_config.optimizer", "optimizer"),
    (r"\bepochs?\b", "training_config.epochs", "epochs"),
    (r"(?:how many|number of)\s+param|\bparam(?:eter)?s?\b|how (?:big|large)|\bsize of\b",
     "model_dimensions.total_parameters", "parameters"),
    (r"\blayers?\b|how deep", "model_dimensions.num_layers", "layers"),
    (r"(?:attention\s+)?\bheads?\b", "model_dimensions.num_attention_heads", "attention heads"),
    (r"hidden[\s_-]*(?:size|dim)|d_model|embedding (?:size|dim)", "model_dimensions.hidden_size", "hidden size"),
    (r"\bdatasets?\b|trained on (?:what|which)|what data\b", "dataset.name", "dataset"),
    (r"\bframeworks?\b|which library|what library", "framework.name", "framework"),
    (r"\barchitectures?\b|what kind of (?:model|network)", "architecture_type", "architecture"),
    (r"\blicen[cs]e[sd]?\b", "license", "license"),
    (r"\bauthors?\b|who (?:wrote|changed|committed|made)", "authors", "authors"),
    (r"when\b.{0,40}\b(?:changed|modified|updated|edited)|last (?:change|modified|edit)",
     "last_modified_date", "last changed"),
    (r"\bsamplers?\b", "sampler", "sampler"),
    (r"\bcfg\b|guidance", "guidance_scale", "CFG scale"),
    (r"\bsteps\b", "num_inference_steps", "steps"),
    (r"\bseeds?\b", "seed", "seed"),
    (r"\bcheckpoints?\b", "model_checkpoint", "checkpoint"),
    (r"accuracy|perplexity|\bloss\b|\bf1\b|\bbleu\b|\bfid\b|\bmetrics?\b|\bscores?\b|how (?:well|good)",
     "performance", "results"),
)  # fmt: skip
_COMPILED = [(re.compile(p), key, label) for p, key, label in ASKED]


#: How an answer names a key: the table's labels, else its last part ("dataset.name" -> "dataset").
LABELS: dict[str, str] = {key: label for _, key, label in ASKED}


def label_of(key: str) -> str:
    if key in LABELS:
        return LABELS[key]
    parts = key.split(".")
    last = parts[-2] if parts[-1] == "name" and len(parts) > 1 else parts[-1]
    return last.replace("_", " ")


#: Words that make an attribute another one: "warmup epochs" are not the epochs, "eval batch size"
#: is not the training batch size, "decay steps" are not the sampling steps.
_QUALIFIED = re.compile(
    r"\b(?:warm[\s-]*up|decay|eval(?:uation)?|validation|val|test|save|saving|logging|log|"
    r"checkpoint(?:ing)?|micro|accumulation|patience|scheduler)[\s_-]*$"
)
#: What a "what X does" question asks for when X is the thing, not an attribute of it.
_THING = frozenset(
    "model models file files config configs configuration script scripts network networks one ones "
    "value values setting settings kind type code class classes function functions module modules".split()
)
_TARGET = re.compile(
    r"\b(?:what|which|how many|how much)\s+((?:[\w-]+\s+){0,2}?[\w-]+)\s+"
    r"(?:does|do|did|is|are|was|were|has|have|can|will|should)\b"
)


def asked_keys(question: str) -> list[tuple[str, str]]:
    """``[(key, label)]`` the question asks about, in the order of the table (no duplicates)."""
    q = (question or "").lower()[:2000]
    return [
        (key, label)
        for pattern, key, label in _COMPILED
        if any(not _QUALIFIED.search(q[max(0, m.start() - 30) : m.start()]) for m in pattern.finditer(q))
    ]


def asked_targets(question: str) -> list[str]:
    """The X of each "what X does", "how many X do" in the question ("momentum", "warmup epochs")."""
    return [m.group(1) for m in _TARGET.finditer((question or "").lower()[:2000])]


def asks_other(question: str) -> bool:
    """Whether the question asks for an attribute the catalog has no key for ("what momentum does
    the SGD optimizer use", "how many warmup epochs does ..."): its "what X does" names neither a
    key nor a thing."""
    targets = asked_targets(question)
    if not targets:
        return False
    return all(not asked_keys(t) and not (set(t.split()) & _THING) for t in targets)
