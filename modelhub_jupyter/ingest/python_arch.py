"""Architecture type of Python model code, with the line of the deciding evidence.

Order of the rules: diffusion (noise schedule), gan (generator + discriminator),
transformer (attention), rnn, cnn, mlp; a file with model classes but none of these
is ``other``.
"""

from __future__ import annotations

import ast
import re

from .python_facts import ModelClass, all_nodes, call_name

_DIFFUSION_TOKENS = (
    "alphas_cumprod", "alpha_bar", "alphas_bar", "alpha_hat", "q_sample", "p_sample", "noise_schedule",
    "beta_schedule", "ddpm", "ddim", "noise_scheduler", "diffusion",
)  # fmt: skip
_TIMESTEP_TOKENS = ("timestep", "time_emb", "t_emb", "time_mlp")
_ATTN_CALLS = {
    "multiheadattention", "scaled_dot_product_attention", "transformer", "transformerencoder",
    "transformerdecoder", "transformerencoderlayer", "transformerdecoderlayer", "multiheaddotproductattention",
    "selfattention", "dot_product_attention", "attention", "additiveattention", "flash_attn_func",
    "memory_efficient_attention", "multiheadselfattention",
}  # fmt: skip
_QKV_NAMES = {
    "q_proj", "k_proj", "v_proj", "query", "key", "value", "c_attn", "qkv", "to_qkv", "to_q", "to_k", "to_v",
    "wq", "wk", "wv", "w_q", "w_k", "w_v", "in_proj", "qkv_proj",
}  # fmt: skip
# Runs on the unparsed source of whole classes, so it is linear in it: possessive runs, and an
# einsum's arguments end at the next bracket (``einsum\([^)]*`` ran from every "einsum(" to the
# next ")" however far: quadratic on "einsum(einsum(einsum(...").
_QK_PRODUCT = re.compile(
    r"\bq\w*+\s*+@\s*+k\w*+\.(?:transpose|T\b|mT\b|swapaxes)|matmul\(\s*+q\w*+\s*+,\s*+k"
    r"|einsum\([^()]*?\bq\w*+\s*+,\s*+k"
)
_RNN_CALLS = {
    "lstm", "gru", "rnn", "lstmcell", "grucell", "rnncell", "simplernn", "simplernncell", "optimizedlstmcell",
    "convlstm2d", "bidirectional",
}  # fmt: skip
_CNN_CALL = re.compile(
    r"^(Conv(?:[0-9A-Z_]|olution|$)\w*|DepthwiseConv\w*|SeparableConv\w*|conv[123]d|conv_transpose[123]d"
    r"|resnet\d*|vgg\d\w*|efficientnet\w*|mobilenet\w*|convnext\w*|densenet\d+|alexnet)$"
)
_LM_CLASS = re.compile(
    r"For(?:CausalLM|Seq2SeqLM|MaskedLM|ConditionalGeneration|SequenceClassification|TokenClassification"
    r"|QuestionAnswering)$|^(?:TF|Flax)?AutoModelFor|^(?:BertModel|GPT2Model|LlamaModel|T5Model)$"
)
_MLP_CALLS = {"Linear", "Dense", "LazyLinear", "MLP"}


def _identifiers(tree: ast.AST) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for node in all_nodes(tree):
        if isinstance(node, ast.Name):
            out.append((node.id, node.lineno))
        elif isinstance(node, ast.Attribute):
            out.append((node.attr, node.lineno))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.append((node.name, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            out += [(a.name, node.lineno) for a in node.names]
    return sorted(out, key=lambda pair: pair[1])


def _first(pairs: list[tuple[str, int]], tokens: tuple[str, ...]) -> int | None:
    return next((line for name, line in pairs if any(t in name.lower() for t in tokens)), None)


def _diffusion(tree: ast.AST, idents: list[tuple[str, int]]) -> int | None:
    line = _first(idents, _DIFFUSION_TOKENS)
    for node in all_nodes(tree):
        if isinstance(node, ast.Assign) and any("beta" in (getattr(t, "id", "") or "") for t in node.targets):
            if "linspace" in ast.unparse(node.value) and (line is None or node.lineno < line):
                line = node.lineno
    if line is not None:
        return line
    unet = _first(idents, ("unet",))
    return unet if unet is not None and _first(idents, _TIMESTEP_TOKENS) is not None else None


def _gan(tree: ast.AST) -> int | None:
    names: list[tuple[str, int]] = []
    for node in all_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.append((node.name, node.lineno))
        elif isinstance(node, ast.Assign):
            names += [(t.id, node.lineno) for t in node.targets if isinstance(t, ast.Name)]
    names.sort(key=lambda pair: pair[1])
    generator = _first(names, ("generator",))
    return generator if generator is not None and _first(names, ("discriminator",)) is not None else None


def _attention(scopes: list[ast.AST]) -> int | None:
    lines: list[int] = []
    for scope in scopes:
        softmax: list[int] = []
        for node in all_nodes(scope):
            if isinstance(node, ast.Call) and call_name(node).lower() in _ATTN_CALLS:
                lines.append(node.lineno)
            elif isinstance(node, ast.Call) and call_name(node) == "softmax":
                softmax.append(node.lineno)
            elif isinstance(node, ast.ClassDef) and re.search(r"attention|attn", node.name, re.I):
                if _has_qkv(node):
                    lines.append(node.lineno)
        if softmax and _QK_PRODUCT.search(ast.unparse(scope)):  # softmax(q @ k.T): attention by hand
            lines.append(min(softmax))
    return min(lines) if lines else None


def _has_qkv(cls: ast.ClassDef) -> bool:
    for node in all_nodes(cls):
        if isinstance(node, ast.Attribute) and node.attr in _QKV_NAMES:
            return True
        if isinstance(node, ast.Call) and call_name(node) == "softmax":
            return True
    return False


def _calls(scopes: list[ast.AST], match) -> int | None:
    lines = [
        node.lineno
        for scope in scopes
        for node in all_nodes(scope)
        if isinstance(node, ast.Call) and match(call_name(node))
    ]
    return min(lines) if lines else None


def detect_architecture(tree: ast.AST, models: list[ModelClass]) -> tuple[str, int] | None:
    """(architecture_type, line of the deciding evidence), or None for code that builds no model."""
    idents = _identifiers(tree)
    line = _diffusion(tree, idents)
    if line is not None:
        return "diffusion", line
    line = _gan(tree)
    if line is not None:
        return "gan", line
    found = _layers([m.node for m in models] or [tree])
    if models and (found is None or found[0] == "mlp"):
        # layers may be built by helpers outside the classes (e.g. torchvision's vgg make_layers)
        wider = _layers([tree], ("transformer", "rnn", "cnn"))
        found = wider or found
    if found is None and models:
        return "other", models[0].line
    if found is None:  # a script that loads a language model (AutoModelForCausalLM.from_pretrained)
        line = next((ln for name, ln in idents if _LM_CLASS.search(name)), None)
        if line is None:
            line = _lm_trainer_import(tree)
        if line is not None:
            return "transformer", line
    return found


def _lm_trainer_import(tree: ast.AST) -> int | None:
    """Line of an import of a language-model trainer: TRL (SFTTrainer, DPOTrainer, ...) or the
    ``transformers`` Trainer, which train transformers models only."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            names = {a.name for a in node.names}
            if root == "trl" or (root == "transformers" and names & {"Trainer", "Seq2SeqTrainer"}):
                return node.lineno
        elif isinstance(node, ast.Import) and any(a.name.split(".")[0] == "trl" for a in node.names):
            return node.lineno
    return None


def _layers(
    scopes: list[ast.AST], names: tuple[str, ...] = ("transformer", "rnn", "cnn", "mlp")
) -> tuple[str, int] | None:
    rules = {
        "transformer": lambda: _attention(scopes),
        "rnn": lambda: _calls(scopes, lambda n: n[:1].isupper() and n.lower() in _RNN_CALLS),
        "cnn": lambda: _calls(scopes, lambda n: bool(_CNN_CALL.match(n))),
        "mlp": lambda: _calls(scopes, lambda n: n in _MLP_CALLS),
    }
    for name in names:
        line = rules[name]()
        if line is not None:
            return name, line
    return None
