"""The model family of Python code: what it defines, builds or loads, not what the file is called.

Evidence, best first (each with its line):

1. the main model class the file defines: a model class no other model class of the file uses,
   preferring one whose name shares a word with the file or its folder (``resnet.py`` ->
   ``ResNet``), then the shortest; several equal ones give their common CamelCase prefix
   (``DCGANGenerator`` + ``DCGANDiscriminator`` -> ``DCGAN``); with no model class, a plain class of
   a framework file named like the folder or ending in ``Model`` (TF1's ``class BertModel(object)``);
2. a Keras builder function (``def ResNet50(...)`` that calls ``Model(...)``);
3. model names in settings (``config.model_name = 'ViT-B_16'``, ``model_name_or_path`` defaults):
   the family most of them share (``ViT``);
4. a config class named for a model (``MambaConfig`` -> ``Mamba``);
5. the model class a script builds or loads (``model = modeling.BertModel(...)``,
   ``LlamaForCausalLM.from_pretrained(...)``).

Class names lose their role suffixes (``UNetModel`` -> ``UNet``, ``MambaLMHeadModel`` -> ``Mamba``,
``GPT2Backbone`` -> ``GPT2``).
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from collections import Counter

from .python_facts import FRAMEWORK_OF_ROOT, Imports, ModelClass, all_nodes, call_name, dotted_name
from .value_keys import family_from_name

_ROLE_SUFFIX = re.compile(
    r"(?:For[A-Z]\w*|LMHeadModel|LMHead|PreTrainedModel|PretrainedModel|Model|Module|Backbone|Stage|Network|Lightning)$"
)
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|$)\d*|[A-Z]?[a-z]+\d*|\d+")
#: file and folder names that say nothing about the model
GENERIC_STEMS = frozenset(
    {
        "model", "models", "main", "train", "training", "run", "default", "config", "configs", "modeling",
        "module", "modules", "network", "networks", "net", "nets", "utils", "util", "components", "src",
        "finetune", "fine_tune", "eval", "evaluate", "test", "tests", "scripts", "script", "app", "common",
        "core", "lib", "layers", "base", "example", "examples", "demo", "__init__", "__main__", "setup",
        "inference", "predict", "infer", "sample", "experiment", "experiments", "tf", "pytorch", "jax",
        "keras", "tensorflow", "torch", "flax", "simple", "basic", "builder", "build", "factory",
    }
)  # fmt: skip
_NOT_MODELS = re.compile(
    r"(Config|Configuration|Args|Arguments|Params|Parser|Dataset|DataModule|Loader|Trainer|Optimizer|Logger|"
    r"Callback|Tokenizer|TokenizerFast|Processor|FeatureExtractor|Scheduler|Metric|Metrics|Error|Exception|Writer|Reader|Mixin|Pipeline|Collator)$"
)
_AUTO = re.compile(r"^(Auto|TFAuto|FlaxAuto)")
_THIRD_PARTY = frozenset(FRAMEWORK_OF_ROOT) | {
    "numpy", "scipy", "pandas", "sklearn", "transformers", "datasets", "PIL", "cv2", "matplotlib", "tqdm",
    "absl", "ml_collections", "yaml", "omegaconf", "hydra", "peft", "trl", "accelerate", "diffusers",
    "tensorflow_datasets", "wandb", "einops", "fire", "click", "timm", "torchmetrics", "deepspeed",
}  # fmt: skip
_MODEL_VARIABLE = re.compile(r"model|net|gan|generator|discriminator|encoder|decoder|vae|classifier|backbone")
_CONFIG_SUFFIX = re.compile(r"(Config|Configuration)$")
_GENERIC_CONFIG = frozenset(
    {"", "train", "training", "data", "model", "optimizer", "trainer", "base", "run", "eval"}
)


def words(text: str) -> set[str]:
    """Lower-case words of a file or folder name (``models_vit`` -> {"models", "vit"})."""
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if len(w) >= 3 and w not in GENERIC_STEMS}


def class_family(name: str) -> str:
    """``UNetModel`` -> ``UNet``; a name that is only a suffix stays as it is."""
    stripped = _ROLE_SUFFIX.sub("", name)
    return stripped if len(stripped) >= 2 else name


def _camel_prefix(names: list[str]) -> str:
    parts = [_CAMEL.findall(n) for n in names]
    prefix: list[str] = []
    for group in zip(*parts, strict=False):
        if len(set(group)) != 1:
            break
        prefix.append(group[0])
    return "".join(prefix)


def _matches(name: str, hints: set[str]) -> bool:
    low = re.sub(r"[^a-z0-9]", "", name.lower())
    return any(h in low or (len(low) >= 3 and low in h) for h in hints)


def _used_inside(models: list[ModelClass]) -> set[str]:
    """Names of model classes that another model class refers to (a component, or a base)."""
    names = {m.name for m in models}
    used: set[str] = set()
    for model in models:
        bases = {id(n) for base in model.node.bases for n in all_nodes(base)}
        for node in all_nodes(model.node):
            if id(node) in bases:  # a subclass (SuperResModel(UNetModel)) does not make its base a part
                continue
            if isinstance(node, ast.Name) and node.id in names and node.id != model.name:
                used.add(node.id)
    return used


def _main_class(models: list[ModelClass], hints: set[str]) -> tuple[str, int] | None:
    if not models:
        return None
    used = _used_inside(models)
    scored = [(2 * (m.name not in used) + _matches(m.name, hints), m) for m in models]
    best = max(score for score, _ in scored)
    top = [m for score, m in scored if score == best]
    if len(top) == 1:
        return class_family(top[0].name), top[0].line
    prefix = _camel_prefix([m.name for m in top])
    if len(prefix) >= 2:
        return prefix, top[0].line
    if best % 2 == 1:  # several named like the file: the shortest (UNetModel over EncoderUNetModel)
        chosen = min(top, key=lambda m: (len(m.name), m.line))
        return class_family(chosen.name), chosen.line
    return None


def _plain_class(tree: ast.Module, hints: set[str]) -> tuple[str, int] | None:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and not _NOT_MODELS.search(node.name):
            if node.name.endswith("Model") or _matches(node.name, hints):
                return class_family(node.name), node.lineno
    return None


def _builder_function(tree: ast.Module) -> tuple[str, int] | None:
    for node in tree.body:
        if (
            isinstance(node, ast.FunctionDef)
            and node.name[:1].isupper()
            and not _NOT_MODELS.search(node.name)
        ):
            if any(
                isinstance(n, ast.Call) and call_name(n) in ("Model", "Sequential", "Functional")
                for n in all_nodes(node)
            ):
                return node.name, node.lineno
    return None


def _config_class(tree: ast.Module) -> tuple[str, int] | None:
    for node in all_nodes(tree):
        if isinstance(node, ast.ClassDef) and _CONFIG_SUFFIX.search(node.name):
            base = _CONFIG_SUFFIX.sub("", node.name)
            if base.lower() not in _GENERIC_CONFIG and len(base) >= 2:
                return base, node.lineno
    return None


def _local_module(qualified: str) -> bool:
    root = qualified.split(".")[0]
    return root not in _THIRD_PARTY and root not in sys.stdlib_module_names


def _built_class(tree: ast.Module, imports: Imports) -> tuple[str, int] | None:
    """The model class a script loads (``X.from_pretrained(...)`` of a named class, not an Auto
    class), else the one it builds (``model = X(...)`` of a class from a local module)."""
    loaded: list[tuple[int, str]] = []
    for node in all_nodes(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "from_pretrained":
                name = (dotted_name(node.func.value) or "").split(".")[-1]
                if name[:1].isupper() and not _AUTO.match(name) and not _NOT_MODELS.search(name):
                    loaded.append((node.lineno, class_family(name)))
    if loaded:
        line, family = min(loaded)
        return family, line
    defined = {n.name for n in all_nodes(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    built: list[tuple[int, str]] = []
    for node in all_nodes(tree):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        name = call_name(node.value)
        if not name[:1].isupper() or _NOT_MODELS.search(name) or name in defined:
            continue
        targets = [(dotted_name(t) or "").split(".")[-1].lower() for t in node.targets]
        if not any(_MODEL_VARIABLE.search(t) or t == name.lower() for t in targets):
            continue
        first = (dotted_name(node.value.func) or "").split(".")[0]
        if first not in imports.aliases and first == name:  # a star import's (or a builtin)
            local = not hasattr(builtins, name)
        else:
            local = _local_module(imports.qualify(node.value.func) or name)
        if local:
            built.append((node.lineno, class_family(name)))
    if built:
        line, family = min(built)
        return family, line
    return None


def _named(names: list[tuple[str, int]]) -> tuple[str, int] | None:
    """The family most of the model names in settings share (first seen on a tie)."""
    families = [(fam, line) for name, line in names if (fam := family_from_name(name))]
    if not families:
        return None
    counts = Counter(fam.lower() for fam, _ in families)
    best = max(counts.values())
    return next((fam, line) for fam, line in families if counts[fam.lower()] == best)


def model_family(
    tree: ast.Module,
    models: list[ModelClass],
    imports: Imports,
    relpath: str,
    named: list[tuple[str, int]],
    framework: str | None,
) -> tuple[str, int] | None:
    """(family, line of the evidence) of a parsed module, or None when it shows none."""
    parts = relpath.replace("\\", "/").split("/")
    hints = words(parts[-1].rsplit(".", 1)[0])
    for folder in reversed(parts[:-1]):
        if hints:
            break
        hints = words(folder)
    return (
        _main_class(models, hints)
        or (_plain_class(tree, hints) if framework and not models else None)
        or _builder_function(tree)
        or _named(named)
        or _config_class(tree)
        or _built_class(tree, imports)
    )
