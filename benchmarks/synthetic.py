"""Synthetic workspace for the indexing benchmark.

``make_workspace(dest, n_scripts, n_images, seed)`` writes model scripts assembled from a grammar of
realistic building blocks (model classes for six architectures in PyTorch, TensorFlow/Keras and JAX/Flax,
training loops, data loaders, configs in four styles, utilities) with randomised names, dimensions,
constants, docstrings, comments and statement order, spread over nested folders; plus small PNGs that
each carry a unique A1111 ``parameters`` text chunk. Every function differs in name, constants, body and
docstring, so an indexer that caches embeddings by content hash gets no free ride. Deterministic for a
given seed; pure stdlib + numpy + Pillow.

    python benchmarks/synthetic.py /tmp/synth [--scripts 1000] [--images 1000] [--seed 0]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

# ---------------------------------------------------------------------------------------------------------
# vocabularies

CODENAMES = (
    "heron otter falcon lynx marten ibis puffin kestrel osprey badger bison condor coyote egret ferret gecko "
    "jackal koala lemur manatee narwhal ocelot panda quokka raven salmon tapir urchin vole walrus yak zebra "
    "aurora basalt cobalt dune ember fjord glacier harbor indigo jasper krypton lagoon meteor nebula onyx "
    "prism quartz ridge sierra tundra umbra vertex willow zephyr atlas borealis cirrus delta echo fable "
    "granite helix iris juniper kelvin lumen mosaic nimbus orbit pulsar quill rune solace tempo vega wren"
).split()
ARCH_SHORT = {
    "transformer": ["gpt", "lm", "bert", "tfm", "vit"],
    "cnn": ["cnn", "resnet", "convnet", "vgg"],
    "rnn": ["lstm", "gru", "rnn", "seq2vec"],
    "mlp": ["mlp", "ffn", "dense"],
    "diffusion": ["ddpm", "diffusion", "unet", "ldm"],
    "gan": ["gan", "dcgan", "wgan", "stylegan"],
}
FRAMEWORKS = ["pytorch", "tensorflow", "jax"]
TEXT = [  # (hf name, config, text field, label field or None, num classes)
    ("wikitext", "wikitext-103-raw-v1", "text", None, 0),
    ("wikitext", "wikitext-2-raw-v1", "text", None, 0),
    ("openwebtext", None, "text", None, 0),
    ("bookcorpus", None, "text", None, 0),
    ("tiny_shakespeare", None, "text", None, 0),
    ("ag_news", None, "text", "label", 4),
    ("imdb", None, "text", "label", 2),
    ("yelp_polarity", None, "text", "label", 2),
    ("sst2", None, "sentence", "label", 2),
    ("dbpedia_14", None, "content", "label", 14),
]
IMAGES = [  # (name, torchvision class, tfds name, keras dataset or None, channels, size, classes)
    ("cifar10", "CIFAR10", "cifar10", "cifar10", 3, 32, 10),
    ("cifar100", "CIFAR100", "cifar100", "cifar100", 3, 32, 100),
    ("mnist", "MNIST", "mnist", "mnist", 1, 28, 10),
    ("fashion_mnist", "FashionMNIST", "fashion_mnist", "fashion_mnist", 1, 28, 10),
    ("svhn", "SVHN", "svhn_cropped", None, 3, 32, 10),
    ("stl10", "STL10", "stl10", None, 3, 96, 10),
    ("celeba", "CelebA", "celeb_a", None, 3, 64, 0),
    ("imagenet", "ImageNet", "imagenet2012", None, 3, 224, 1000),
]
TABULAR = [("adult", 2), ("covertype", 7), ("higgs", 2), ("california_housing", 0), ("credit-g", 2)]
SERIES = ["electricity", "traffic", "weather", "exchange_rate", "m4_hourly", "solar_energy"]
OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}
HARDWARE = ["A100", "H100", "V100", "RTX 3090", "RTX 4090", "T4", "TPU v3-8", "L4"]
PEOPLE = ["ada", "alan", "grace", "katherine", "linus", "margaret", "claude", "barbara", "edsger", "frances"]
AREA_BY_ARCH = {
    "transformer": ["nlp", "nlp", "vision", "llm"],
    "cnn": ["vision", "vision", "classification"],
    "rnn": ["nlp", "forecasting"],
    "mlp": ["tabular", "tabular", "vision"],
    "diffusion": ["generative", "generative", "diffusion"],
    "gan": ["generative", "gans"],
}
SUBS = ["ablations", "legacy", "sweeps", "v2", "prototypes", "reproductions", "2024", "2025-q1", "2025-q2"]
COMMENTS = [
    "warmup for the first {n} steps helps stability",
    "keep in sync with the config in the sweep ({n} runs)",
    "{who}: tried {alt} here, about {p}% worse",
    "mixed precision saves roughly {p}% memory on {hw}",
    "see experiment log #{n}",
    "this is the slow part ({n} ms per batch on {hw})",
    "numbers from the {hw} run, seed {n}",
    "{who} suggested {alt}; not tried yet",
    "clip before the optimizer step, not after",
    "do not change the order: the checkpoint keys depend on it",
    "shapes: (batch, seq, {n})",
    "loss spikes after ~{n} steps without this",
]
ALTS = [
    "GELU",
    "SiLU",
    "LayerNorm",
    "RMSNorm",
    "label smoothing",
    "cosine decay",
    "EMA",
    "gradient checkpointing",
    "a larger batch",
    "Adafactor",
    "dropout 0.3",
    "weight tying",
    "mixup",
    "a deeper stem",
]

# image prompt vocabularies
SUBJECTS = [
    "a lighthouse",
    "an old fox",
    "a red bicycle",
    "a mountain village",
    "a koi pond",
    "a robot gardener",
    "a snowy owl",
    "a cyberpunk street",
    "a tea house",
    "a sailing ship",
    "a desert caravan",
    "a glass greenhouse",
    "a sleeping dragon",
    "a vintage camera",
    "a city skyline",
    "a forest spirit",
    "a steam locomotive",
    "an astronaut",
    "a bowl of ramen",
    "a cathedral interior",
    "a paper crane",
    "a jazz trio",
    "a tiger cub",
    "a floating island",
    "a cottage",
    "a knight in armour",
    "a cherry tree 桜",
]
SETTINGS = [
    "at sunset",
    "in the rain",
    "under the northern lights",
    "at dawn",
    "in heavy fog",
    "on a quiet beach",
    "in a neon-lit alley",
    "in autumn",
    "at night",
    "in a snowstorm",
    "by a river",
    "on Mars",
    "in spring bloom",
]
STYLES = [
    "photorealistic",
    "oil painting",
    "watercolor",
    "studio ghibli style",
    "isometric 3d render",
    "pixel art",
    "ukiyo-e woodblock print",
    "concept art",
    "line art",
    "cinematic still",
    "low poly",
    "art nouveau",
    "charcoal sketch",
    "vaporwave",
]
DETAILS = [
    "highly detailed",
    "8k",
    "sharp focus",
    "volumetric lighting",
    "soft shadows",
    "bokeh",
    "golden hour",
    "dramatic lighting",
    "trending on artstation",
    "intricate",
    "wide angle",
    "35mm film",
    "muted colors",
    "vibrant colors",
    "depth of field",
    "rim light",
]
NEGATIVES = [
    "blurry",
    "low quality",
    "jpeg artifacts",
    "watermark",
    "text",
    "deformed",
    "extra limbs",
    "bad anatomy",
    "oversaturated",
    "cropped",
    "worst quality",
    "signature",
    "lowres",
    "duplicate",
]
SAMPLERS = [
    "Euler a",
    "Euler",
    "DPM++ 2M",
    "DPM++ SDE",
    "DPM++ 2M SDE",
    "DDIM",
    "UniPC",
    "Heun",
    "LMS",
    "DPM2 a",
]
SCHEDULES = ["Karras", "Automatic", "Exponential", "SGM Uniform"]
SD_MODELS = [
    "v1-5-pruned-emaonly",
    "sd_xl_base_1.0",
    "dreamshaper_8",
    "realisticVisionV60B1",
    "juggernautXL_v9",
    "sd_v2_768_ema",
    "animagineXL_v31",
    "deliberate_v3",
]


# ---------------------------------------------------------------------------------------------------------
# code assembly helpers


@dataclass
class Ctx:
    """The random choices for one script."""

    rng: random.Random
    slug: str
    camel: str
    framework: str
    arch: str
    kind: str  # text | image | tabular | series
    task: str  # lm | cls | reg | gen
    data: tuple
    hidden: int
    layers: int
    heads: int
    dropout: float
    batch_size: int
    lr: str
    epochs: int
    max_iters: int
    optimizer: str
    weight_decay: str
    seed: int
    style: str  # constants | dataclass | dict | argparse
    seen: set = field(default_factory=set)  # bodies written so far, shared by all scripts of one workspace
    v: dict = field(default_factory=dict)  # naming dialect: local and attribute names
    attrs: dict = field(default_factory=dict)  # renames of self.<attribute> in this script
    names: dict[str, str] = field(default_factory=dict)
    imports: set[str] = field(default_factory=set)
    predecessor: str | None = None
    version: str | None = None
    uses_log: bool = False

    def pick(self, *options):
        return self.rng.choice(options)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def num(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def comment(self) -> str:
        text = self.pick(*COMMENTS).format(
            n=self.num(2, 5000),
            who=self.pick(*PEOPLE),
            alt=self.pick(*ALTS),
            p=self.num(3, 40),
            hw=self.pick(*HARDWARE),
        )
        return "# " + text

    def cfg(self, key: str) -> str:
        """The expression that reads hyper-parameter ``key`` in this script's config style."""
        if self.style == "constants":
            return key.upper()
        if self.style == "dict":
            return f'cfg["{key}"]'
        return f"{'args' if self.style == 'argparse' else 'cfg'}.{key}"

    @property
    def cfg_param(self) -> str:
        return {
            "constants": "",
            "dict": "cfg: dict",
            "dataclass": f"cfg: {self.camel}Config",
            "argparse": "args: argparse.Namespace",
        }[self.style]

    @property
    def cfg_arg(self) -> str:
        return {
            "constants": "",
            "dict": "CONFIG",
            "dataclass": f"{self.camel}Config()",
            "argparse": "parse_args()",
        }[self.style]

    @property
    def classes(self) -> int:
        return self.data[-1] or 10


def _sprinkle(c: Ctx, body: list[str], p: float = 0.06) -> list[str]:
    """Insert a random comment (at the right indentation) before some statements."""
    out: list[str] = []
    for line in body:
        stripped = line.lstrip()
        if stripped and c.chance(p / max(1, len(body) // 4)) and not stripped.startswith((")", "]", "}")):
            out.append(line[: len(line) - len(stripped)] + c.comment())
        out.append(line)
    return out


def _def(
    c: Ctx, name: str, params: str, doc: str | None, body: list[str], *, deco=(), ret="", indent=""
) -> str:
    if c.attrs:  # this script's own attribute names: self.conv1 -> self.conv_a, ...
        body = [_SELF_ATTR.sub(lambda m: "self." + c.attrs.get(m.group(1), m.group(1)), b) for b in body]
    body = _sprinkle(c, body)

    def code_key() -> str:
        return "\n".join(b.strip() for b in body if not b.lstrip().startswith("#"))

    while code_key() in c.seen:  # same code as an earlier function somewhere: add a debug log line
        c.uses_log = True
        c.imports.add("import logging")
        body.insert(
            0, f'log.debug("{c.slug}.{name}: {c.pick("rev", "v", "cfg", "run", "sweep")} {c.num(1, 9999)}")'
        )
    c.seen.add(code_key())
    lines = [f"{indent}@{d}" for d in deco]
    lines.append(f"{indent}def {name}({params}){ret}:")
    if doc:
        lines.append(f'{indent}    """{doc}"""')
    lines += [f"{indent}    {b}" if b else "" for b in body]
    return "\n".join(lines)


_SELF_ATTR = re.compile(r"self\.(\w+)")
ATTR_CHOICES = [
    {"conv1": "conv1", "conv2": "conv2"},
    {"conv1": "conv_a", "conv2": "conv_b"},
    {"conv1": "c1", "conv2": "c2"},
    {"conv1": "conv_in", "conv2": "conv_out"},
    {"bn1": "bn1", "bn2": "bn2"},
    {"bn1": "norm_a", "bn2": "norm_b"},
    {"bn1": "bn_a", "bn2": "bn_b"},
    {"norm1": "norm1", "norm2": "norm2"},
    {"norm1": "gn1", "norm2": "gn2"},
    {"norm1": "pre_norm", "norm2": "post_norm"},
    {"act": "act"},
    {"act": "activation"},
    {"act": "nonlin"},
    {"head": "head"},
    {"head": "classifier"},
    {"head": "output_layer"},
    {"fc": "fc"},
    {"fc": "linear"},
    {"fc": "logits_layer"},
    {"rnn": "rnn"},
    {"rnn": "encoder"},
    {"rnn": "recurrent"},
    {"time": "time"},
    {"time": "time_proj"},
    {"time": "temb_proj"},
    {"skip": "skip"},
    {"skip": "skip_conv"},
    {"skip": "residual"},
    {"embedding": "embedding"},
    {"embedding": "embed"},
    {"embedding": "word_emb"},
    {"shortcut": "shortcut"},
    {"shortcut": "downsample"},
    {"net": "net"},
    {"net": "main"},
    {"net": "seq"},
    {"ffn": "ffn"},
    {"ffn": "mlp_block"},
    {"att": "att"},
    {"att": "mha"},
]


def _class(name: str, bases: str, doc: str | None, members: list[str], deco=()) -> str:
    lines = [f"@{d}" for d in deco] + [f"class {name}({bases}):" if bases else f"class {name}:"]
    if doc:
        lines.append(f'    """{doc}"""')
        lines.append("")
    lines.append("\n\n".join(members))
    return "\n".join(lines)


def _shuffled(c: Ctx, lines: list[str]) -> list[str]:
    lines = list(lines)
    c.rng.shuffle(lines)
    return lines


def _remark(c: Ctx) -> str:
    return c.pick(
        f"Used by the {c.slug} experiments.",
        f"Written for {c.data[0]}.",
        f"Tested with batch size {c.batch_size}.",
        f"Kept small so it also runs on one {c.pick(*HARDWARE)}.",
        f"Added by {c.pick(*PEOPLE)} in sweep {c.num(1, 99)}.",
        f"Matches the setup in run {c.num(100, 9999)}.",
        f"{c.pick(*PEOPLE).capitalize()} wrote the first version in {c.pick('January', 'March', 'May', 'July', 'October')}.",
        f"Checked against the reference implementation (max abs diff {c.num(1, 9)}e-{c.num(4, 7)}).",
        f"Same behaviour as in {c.predecessor}." if c.predecessor else f"New in {c.slug}.",
        f"About {c.num(2, 900)} ms on a {c.pick(*HARDWARE)}.",
    )


def _doc(c: Ctx, *phrases: str) -> str:
    """A docstring from ``phrases``, extended until no earlier function in the workspace has the same one."""
    text = c.pick(*phrases)
    if c.chance(0.5):
        text += " " + _remark(c)
    while "doc:" + text in c.seen:
        text += " " + _remark(c)
    c.seen.add("doc:" + text)
    return text


# ---------------------------------------------------------------------------------------------------------
# module header: docstring, config


def _metrics(c: Ctx) -> list[tuple[str, str]]:
    r = c.rng
    if c.task == "lm":
        ppl = r.uniform(8, 80)
        return [("perplexity", f"{ppl:.1f}"), ("loss", f"{np.log(ppl):.3f}")]
    if c.task == "gen":
        out = [("fid", f"{r.uniform(2.5, 60):.2f}")]
        if c.chance(0.6):
            out.append(("inception_score", f"{r.uniform(4, 10):.2f}"))
        return out
    if c.task == "reg":
        return [("mae", f"{r.uniform(0.05, 0.6):.3f}"), ("rmse", f"{r.uniform(0.1, 0.9):.3f}")]
    acc = r.uniform(0.55, 0.995)
    out = [("accuracy", f"{acc:.4f}"), ("loss", f"{r.uniform(0.02, 1.4):.3f}")]
    if c.chance(0.4):
        out.append(("f1", f"{acc - r.uniform(0.0, 0.05):.3f}"))
    return out


def _module_doc(c: Ctx) -> str:
    fw = {
        "pytorch": "PyTorch",
        "tensorflow": c.pick("TensorFlow", "TensorFlow / Keras", "Keras"),
        "jax": c.pick("JAX / Flax", "Flax", "JAX"),
    }[c.framework]
    what = {
        "transformer": c.pick("transformer", "decoder-only transformer", "encoder-only transformer"),
        "cnn": c.pick("convolutional network", "ResNet-style CNN", "small CNN"),
        "rnn": c.pick("LSTM", "GRU", "recurrent network", "stacked LSTM"),
        "mlp": c.pick("MLP", "multi-layer perceptron", "feed-forward network"),
        "diffusion": c.pick("DDPM", "denoising diffusion model", "diffusion UNet"),
        "gan": c.pick("GAN", "DCGAN", "Wasserstein GAN", "conditional GAN"),
    }[c.arch]
    reg = "forecaster" if c.kind == "series" else "regressor"
    task = {"lm": "language model", "cls": "classifier", "reg": reg, "gen": "image generator"}[c.task]
    lines = [f"{c.slug}: {what} {task} on {c.data[0]} ({fw}).", ""]
    lines.append(
        c.pick(
            f"Hidden size {c.hidden}, {c.layers} layers"
            + (f", {c.heads} heads." if c.arch == "transformer" else "."),
            f"{c.layers} layers of width {c.hidden}, dropout {c.dropout}.",
            f"A {c.layers}-layer model, {c.hidden} wide, trained from scratch.",
        )
    )
    lines.append(
        c.pick(
            f"Trained with {OPTIMIZERS[c.optimizer]} (lr {c.lr}), batch size {c.batch_size}, {c.epochs} epochs.",
            f"{OPTIMIZERS[c.optimizer]}, learning rate {c.lr}, weight decay {c.weight_decay}, batch {c.batch_size}.",
            f"Training: {c.max_iters} iterations at batch size {c.batch_size} on one {c.pick(*HARDWARE)}.",
        )
    )
    if c.predecessor:
        lines += ["", f"Predecessor: {c.predecessor}"]
    if c.chance(0.3):
        remark = c.comment()[2:]
        lines += ["", remark[:1].upper() + remark[1:] + "."]
    if c.chance(0.8):
        split = c.pick("test", "validation", "held-out")
        lines += ["", c.pick(f"Results ({c.data[0]}, {split} split):", "Results:")]
        lines += [f"    {k}: {v}" for k, v in _metrics(c)]
        if c.chance(0.4):
            lines.append(f"    training_time_hours: {c.rng.uniform(0.2, 90):.1f}")
    return '"""' + "\n".join(lines) + '\n"""'


def _hparams(c: Ctx) -> list[tuple[str, str, str]]:
    """(name, type, literal) of the script's hyper-parameters, in a shuffled order."""
    hp = [
        ("batch_size", "int", str(c.batch_size)),
        ("learning_rate", "float", c.lr),
        ("weight_decay", "float", c.weight_decay),
        ("optimizer", "str", f'"{c.optimizer}"'),
        ("dropout", "float", str(c.dropout)),
        ("seed", "int", str(c.seed)),
        (c.names["hid"], "int", str(c.hidden)),
        (c.names["lay"], "int", str(c.layers)),
    ]
    hp.append(("max_iters", "int", str(c.max_iters)) if c.task == "lm" else ("epochs", "int", str(c.epochs)))
    if c.arch == "transformer":
        hp.append((c.names["head"], "int", str(c.heads)))
    hp.append(("dataset", "str", f'"{c.data[0]}"'))
    extra = [
        ("grad_clip", "float", c.pick("0.5", "1.0", "2.0", "5.0")),
        ("log_every", "int", str(c.num(10, 500))),
        ("warmup_steps", "int", str(c.num(0, 4000))),
        ("num_workers", "int", str(c.pick(2, 4, 8, 16))),
    ]
    hp += c.rng.sample(extra, c.num(2, 4))
    first, rest = hp[:2], hp[2:]
    c.rng.shuffle(rest)
    return first + rest


def _config_block(c: Ctx) -> str:
    hp = _hparams(c)
    c.names["hp"] = ",".join(k for k, _, _ in hp)
    if c.style == "constants":
        return "\n".join(f"{k.upper()} = {v}" for k, _, v in hp)
    if c.style == "dict":
        return "CONFIG = {\n" + "\n".join(f'    "{k}": {v},' for k, _, v in hp) + "\n}"
    if c.style == "dataclass":
        c.imports.add("from dataclasses import dataclass")
        fields = [f"    {k}: {t} = {v}" for k, t, v in hp]
        return _class(
            f"{c.camel}Config",
            "",
            _doc(
                c,
                f"Hyper-parameters for {c.slug}.",
                "Training configuration.",
                f"Settings of the {c.slug} run.",
            ),
            ["\n".join(fields)],
            deco=("dataclass",),
        )
    c.imports.add("import argparse")
    body = [f'parser = argparse.ArgumentParser(description="{c.pick("Train", "Fit", "Run")} {c.slug}")']
    body += [f'parser.add_argument("--{k}", type={t}, default={v})' for k, t, v in hp]
    body.append("return parser.parse_args()")
    return _def(c, "parse_args", "", None, body, ret=" -> argparse.Namespace")


# ---------------------------------------------------------------------------------------------------------
# model definitions: PyTorch


def _torch_transformer(c: Ctx) -> list[str]:
    v, h, L, H = c.v, c.names["hid"], c.names["lay"], c.names["head"]
    x, (B, T, C) = v["x"], v["btc"]
    causal = c.task == "lm"
    attn = c.camel + c.pick("Attention", "SelfAttention", "MultiHeadAttention")
    block = c.camel + c.pick("Block", "Layer", "TransformerBlock", "EncoderBlock")
    model = c.names["model"]
    fused, sdpa, bias = c.chance(0.5), c.chance(0.6), c.pick("True", "False")
    ratio, eps, act = (
        c.pick(2, 3, 4, 4, 8),
        c.pick("1e-5", "1e-6", "1e-12"),
        c.pick("GELU", "GELU", "SiLU", "ReLU"),
    )
    init = [
        "super().__init__()",
        f'assert {h} % {H} == 0, "{h} must be divisible by {H}"',
        f"self.{H} = {H}",
        f"self.head_dim = {h} // {H}",
    ]
    if fused:
        init.append(f"self.qkv = nn.Linear({h}, 3 * {h}, bias={bias})")
    else:
        init += _shuffled(c, [f"self.{n}_proj = nn.Linear({h}, {h}, bias={bias})" for n in "qkv"])
    init += _shuffled(c, [f"self.out_proj = nn.Linear({h}, {h})", "self.dropout = nn.Dropout(dropout)"])
    fwd = [f"{B}, {T}, {C} = {x}.shape"]
    if fused:
        fwd.append(f"q, k, v = self.qkv({x}).split({C}, dim=-1)")
    else:
        fwd.append(f"q, k, v = self.q_proj({x}), self.k_proj({x}), self.v_proj({x})")
    fwd.append(f"q, k, v = (t.view({B}, {T}, self.{H}, self.head_dim).transpose(1, 2) for t in (q, k, v))")
    if sdpa:
        fwd.append("drop = self.dropout.p if self.training else 0.0")
        fwd.append(f"out = F.scaled_dot_product_attention(q, k, v, dropout_p=drop, is_causal={causal})")
    else:
        c.imports.add("import math")
        fwd.append("att = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)")
        if causal:
            fwd.append(f"mask = torch.ones({T}, {T}, dtype=torch.bool, device={x}.device).triu(1)")
            fwd.append('att = att.masked_fill(mask, float("-inf"))')
        fwd.append("out = self.dropout(att.softmax(dim=-1)) @ v")
    fwd += [f"out = out.transpose(1, 2).reshape({B}, {T}, {C})", "return self.out_proj(out)"]
    sig = f"self, {h}: int = {c.hidden}, {H}: int = {c.heads}, dropout: float = {c.dropout}"
    attn_src = _class(
        attn,
        "nn.Module",
        _doc(
            c,
            "Multi-head self-attention.",
            f"Scaled dot-product attention over {c.heads} heads.",
            "Causal self-attention." if causal else "Bidirectional self-attention.",
        ),
        [
            _def(c, "__init__", sig, None, init, indent="    "),
            _def(c, "forward", f"self, {x}: torch.Tensor", None, fwd, ret=" -> torch.Tensor", indent="    "),
        ],
    )
    n1, n2 = c.pick(("ln_1", "ln_2"), ("norm1", "norm2"), ("attn_norm", "mlp_norm"))
    binit = [
        "super().__init__()",
        f"self.{n1} = nn.LayerNorm({h}, eps={eps})",
        f"self.attn = {attn}({h}, {H}, dropout)",
        f"self.{n2} = nn.LayerNorm({h}, eps={eps})",
        f"self.mlp = nn.Sequential(nn.Linear({h}, {ratio} * {h}), nn.{act}(), nn.Linear({ratio} * {h}, {h}), "
        "nn.Dropout(dropout))",
    ]
    if c.chance(0.5):  # pre-LN
        bfwd = [
            f"{x} = {x} + self.attn(self.{n1}({x}))",
            f"{x} = {x} + self.mlp(self.{n2}({x}))",
            f"return {x}",
        ]
    else:
        bfwd = [f"{x} = self.{n1}({x} + self.attn({x}))", f"return self.{n2}({x} + self.mlp({x}))"]
    block_src = _class(
        block,
        "nn.Module",
        _doc(
            c,
            "One transformer layer: attention then MLP.",
            f"Transformer block with a {ratio}x MLP.",
            "Residual attention + feed-forward block.",
        ),
        [
            _def(c, "__init__", sig, None, binit, indent="    "),
            _def(c, "forward", f"self, {x}", None, bfwd, indent="    "),
        ],
    )
    blocks, out_dim = v["blocks"], ("vocab_size" if c.task == "lm" else "num_classes")
    minit = ["super().__init__()"]
    if c.kind == "image":
        patch = c.pick(2, 4, 4, 8, 16) if c.data[5] >= 64 else c.pick(2, 4)
        minit += [
            f"self.patch_embed = nn.Conv2d({c.data[4]}, {h}, kernel_size={patch}, stride={patch})",
            f"self.cls_token = nn.Parameter(torch.zeros(1, 1, {h}))",
            f"self.pos_embed = nn.Parameter(torch.randn(1, {(c.data[5] // patch) ** 2 + 1}, {h}) * {c.pick('0.02', '0.01', '.02')})",
        ]
        emb = [
            f"{x} = self.patch_embed(images).flatten(2).transpose(1, 2)",
            f"{x} = torch.cat([self.cls_token.expand({x}.size(0), -1, -1), {x}], dim=1) + self.pos_embed",
        ]
        arg = "images"
    else:
        minit += [
            f"self.tok_emb = nn.Embedding(vocab_size, {h})",
            f"self.pos_emb = nn.Embedding(max_len, {h})",
        ]
        emb = [
            "pos = torch.arange(idx.size(1), device=idx.device)",
            f"{x} = self.tok_emb(idx) + self.pos_emb(pos)",
        ]
        arg = "idx"
    minit += [
        "self.drop = nn.Dropout(dropout)",
        f"self.{blocks} = nn.ModuleList([{block}({h}, {H}, dropout) for _ in range({L})])",
        f"self.norm = nn.LayerNorm({h})",
        f"self.head = nn.Linear({h}, {out_dim}, bias=False)",
    ]
    if c.task == "lm" and c.chance(0.6):
        minit.append("self.tok_emb.weight = self.head.weight  # weight tying")
    mfwd = emb + [
        f"{x} = self.drop({x})",
        f"for layer in self.{blocks}:",
        f"    {x} = layer({x})",
        f"{x} = self.norm({x})",
    ]
    if c.task == "lm":
        mfwd.append(f"return self.head({x})")
    elif c.kind == "image":
        mfwd.append(f"return self.head({x}[:, 0])")
    else:
        mfwd.append(f"return self.head({x}.{c.pick('mean', 'amax')}(dim=1))")
    if c.kind == "image":
        msig = f"self, {h}: int = {c.hidden}, {L}: int = {c.layers}, {H}: int = {c.heads}, num_classes: int = {c.classes}, dropout: float = {c.dropout}"
    else:
        msig = (
            f"self, vocab_size: int = {c.names['vocab']}, max_len: int = {c.names['max_len']}, {h}: int = {c.hidden}, "
            f"{L}: int = {c.layers}, {H}: int = {c.heads}, "
            + ("" if c.task == "lm" else f"num_classes: int = {c.classes}, ")
            + f"dropout: float = {c.dropout}"
        )
    members = [
        _def(c, "__init__", msig, None, minit, indent="    "),
        _def(c, "forward", f"self, {arg}: torch.Tensor", None, mfwd, ret=" -> torch.Tensor", indent="    "),
    ]
    if c.chance(0.5):
        members.append(
            _def(
                c,
                c.pick("num_parameters", "param_count", "n_params"),
                "self",
                _doc(c, "Number of trainable parameters.", "Parameter count."),
                ["return sum(p.numel() for p in self.parameters() if p.requires_grad)"],
                ret=" -> int",
                indent="    ",
            )
        )
    if c.task == "lm" and c.chance(0.6):
        t = c.pick("0.7", "0.8", "0.9", "1.0")
        members.append(
            _def(
                c,
                "generate",
                f"self, idx: torch.Tensor, max_new_tokens: int = {c.num(16, 512)}, temperature: float = {t}",
                _doc(c, "Sample tokens autoregressively.", "Greedy-free sampling with temperature."),
                [
                    "for _ in range(max_new_tokens):",
                    f"    logits = self(idx[:, -{c.names['max_len']}:])[:, -1, :] / temperature",
                    "    idx = torch.cat([idx, torch.multinomial(logits.softmax(-1), 1)], dim=1)",
                    "return idx",
                ],
                deco=("torch.no_grad()",),
                indent="    ",
            )
        )
    model_src = _class(
        model,
        "nn.Module",
        _doc(
            c,
            f"The {c.slug} model.",
            f"{c.layers}-layer transformer, {c.hidden} wide.",
            f"Transformer {'language model' if c.task == 'lm' else 'classifier'} for {c.data[0]}.",
        ),
        members,
    )
    return [attn_src, block_src, model_src]


def _torch_cnn(c: Ctx) -> list[str]:
    x = c.v["x"]
    block = c.camel + c.pick("ConvBlock", "ResBlock", "BasicBlock", "Stage")
    k, act = c.pick(3, 3, 5), c.pick("ReLU", "ReLU", "SiLU", "GELU", "LeakyReLU")
    residual = c.chance(0.5)
    init = [
        "super().__init__()",
        f"self.conv1 = nn.Conv2d(in_ch, out_ch, {k}, stride=stride, padding={k // 2}, bias=False)",
        "self.bn1 = nn.BatchNorm2d(out_ch)",
        f"self.conv2 = nn.Conv2d(out_ch, out_ch, {k}, padding={k // 2}, bias=False)",
        "self.bn2 = nn.BatchNorm2d(out_ch)",
        f"self.act = nn.{act}()",
    ]
    fwd = [f"out = self.act(self.bn1(self.conv1({x})))", "out = self.bn2(self.conv2(out))"]
    if residual:
        init += [
            "self.shortcut = nn.Identity()",
            "if stride != 1 or in_ch != out_ch:",
            "    self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch))",
        ]
        fwd.append(f"return self.act(out + self.shortcut({x}))")
    else:
        fwd.append("return self.act(out)")
    block_src = _class(
        block,
        "nn.Module",
        _doc(
            c,
            "Two convolutions with batch norm.",
            f"{k}x{k} conv block" + (" with a residual connection." if residual else "."),
        ),
        [
            _def(c, "__init__", "self, in_ch: int, out_ch: int, stride: int = 1", None, init, indent="    "),
            _def(c, "forward", f"self, {x}", None, fwd, indent="    "),
        ],
    )
    base = c.pick(16, 32, 48, 64, 96)
    widths = [base * 2**i for i in range(max(2, min(4, c.layers // 2)))]
    L = c.names["lay"]
    minit = [
        "super().__init__()",
        f"widths = {widths}",
        f"self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.{act}())",
        "stages, ch = [], widths[0]",
        "for i, w in enumerate(widths):",
        "    for j in range(blocks_per_stage):",
        f"        stages.append({block}(ch, w, stride=2 if (j == 0 and i > 0) else 1))",
        "        ch = w",
        f"self.{c.v['blocks']} = nn.Sequential(*stages)",
        f"self.dropout = nn.Dropout({c.dropout})",
        "self.fc = nn.Linear(ch, num_classes)",
    ]
    mfwd = [
        f"{x} = self.{c.v['blocks']}(self.stem({x}))",
        f"{x} = torch.flatten(F.adaptive_avg_pool2d({x}, 1), 1)",
        f"return self.fc(self.dropout({x}))",
    ]
    sig = f"self, in_channels: int = {c.data[4]}, num_classes: int = {c.classes}, blocks_per_stage: int = {max(1, c.layers // len(widths))}, {L}: int = {c.layers}"
    model_src = _class(
        c.names["model"],
        "nn.Module",
        _doc(c, f"CNN with {len(widths)} stages of widths {widths}.", f"The {c.slug} image classifier."),
        [
            _def(c, "__init__", sig, None, minit, indent="    "),
            _def(c, "forward", f"self, {x}", None, mfwd, indent="    "),
        ],
    )
    return [block_src, model_src]


def _torch_rnn(c: Ctx) -> list[str]:
    x, h, L = c.v["x"], c.names["hid"], c.names["lay"]
    cell = c.pick("LSTM", "GRU")
    bi = c.task == "cls" and c.chance(0.6)
    dirs = 2 if bi else 1
    init = ["super().__init__()"]
    if c.kind == "text":
        emb = c.pick(100, 128, 200, 256, 300)
        init.append(f"self.embedding = nn.Embedding(vocab_size, {emb}, padding_idx=0)")
        rin, arg, inp = emb, "vocab_size: int = " + str(c.names["vocab"]), f"self.embedding({x})"
    else:
        rin, arg, inp = "n_features", f"n_features: int = {c.num(1, 32)}", x
    init.append(
        f"self.rnn = nn.{cell}({rin}, {h}, num_layers={L}, batch_first=True, bidirectional={bi}, "
        f"dropout={c.dropout} if {L} > 1 else 0.0)"
    )
    out = c.pick(2, 4) if c.task == "cls" else c.num(1, 48)
    init += [
        f"self.dropout = nn.Dropout({c.dropout})",
        f"self.head = nn.Linear({dirs} * {h}, {'num_classes' if c.task == 'cls' else 'horizon'})",
    ]
    pool = c.pick("last", "mean", "max")
    fwd = [f"out, _ = self.rnn({inp})"]
    fwd.append(
        {
            "last": "feats = out[:, -1]",
            "mean": "feats = out.mean(dim=1)",
            "max": "feats = out.max(dim=1).values",
        }[pool]
    )
    fwd.append("return self.head(self.dropout(feats))")
    tail = (
        f"num_classes: int = {c.classes if c.kind == 'text' else out}"
        if c.task == "cls"
        else f"horizon: int = {out}"
    )
    sig = f"self, {arg}, {h}: int = {c.hidden}, {L}: int = {c.layers}, {tail}"
    return [
        _class(
            c.names["model"],
            "nn.Module",
            _doc(c, f"{cell} over the sequence, {pool}-pooled.", f"Recurrent {c.slug} model."),
            [
                _def(c, "__init__", sig, None, init, indent="    "),
                _def(c, "forward", f"self, {x}", None, fwd, indent="    "),
            ],
        )
    ]


def _torch_mlp(c: Ctx) -> list[str]:
    x, h = c.v["x"], c.names["hid"]
    act, norm = c.pick("ReLU", "SiLU", "GELU", "Tanh"), c.pick("BatchNorm1d", "LayerNorm", None)
    n_in = c.data[4] * c.data[5] ** 2 if c.kind == "image" else c.num(6, 120)
    init = [
        "super().__init__()",
        "layers = []",
        "dim = in_features",
        f"for i in range({c.names['lay']}):",
        f"    out = max({h} // (2 ** i), {c.pick(16, 32, 64)})",
        "    layers.append(nn.Linear(dim, out))",
    ]
    if norm:
        init.append(f"    layers.append(nn.{norm}(out))")
    init += [
        f"    layers += [nn.{act}(), nn.Dropout({c.dropout})]",
        "    dim = out",
        "layers.append(nn.Linear(dim, num_outputs))",
        "self.net = nn.Sequential(*layers)",
    ]
    fwd = [
        c.pick(
            f"return self.net({x}.flatten(1))",
            f"return self.net({x}.view({x}.size(0), -1))",
            f"return self.net(torch.flatten({x}, 1))",
            f"return self.net({x}.reshape(len({x}), -1))",
        )
    ]
    sig = f"self, in_features: int = {n_in}, {h}: int = {c.hidden}, {c.names['lay']}: int = {c.layers}, num_outputs: int = {c.classes if c.task == 'cls' else 1}"
    return [
        _class(
            c.names["model"],
            "nn.Module",
            _doc(c, "A plain MLP with shrinking widths.", f"Feed-forward {c.slug} network."),
            [
                _def(c, "__init__", sig, None, init, indent="    "),
                _def(c, "forward", f"self, {x}", None, fwd, indent="    "),
            ],
        )
    ]


def _torch_diffusion(c: Ctx) -> list[str]:
    c.imports.add("import math")
    T = c.names["timesteps"]
    sched = c.pick("linear", "cosine")
    if sched == "linear":
        s_body = [
            f"return torch.linspace({c.pick('1e-4', '5e-5', '1e-4')}, {c.pick('0.02', '0.02', '0.015')}, timesteps)"
        ]
    else:
        s_body = [
            f"s = {c.pick('0.008', '0.008', '0.01')}",
            "t = torch.linspace(0, timesteps, timesteps + 1) / timesteps",
            "f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2",
            "alphas_cumprod = f / f[0]",
            "betas = 1 - alphas_cumprod[1:] / alphas_cumprod[:-1]",
            f"return betas.clamp(max={c.pick('0.999', '0.99')})",
        ]
    sched_name = c.pick(f"{sched}_beta_schedule", f"make_{sched}_betas", f"{sched}_schedule")
    c.names["schedule"] = sched_name
    sched_src = _def(
        c,
        sched_name,
        f"timesteps: int = {T}",
        _doc(c, f"{sched.capitalize()} noise schedule.", f"Betas for {T} diffusion steps ({sched})."),
        s_body,
        ret=" -> torch.Tensor",
    )
    emb_name = c.pick("timestep_embedding", "sinusoidal_embedding", "time_embed")
    emb_src = _def(
        c,
        emb_name,
        "t: torch.Tensor, dim: int",
        _doc(c, "Sinusoidal timestep embedding.", "Transformer-style embedding of t."),
        [
            "half = dim // 2",
            f"freqs = torch.exp(-math.log({c.pick(10000, 10000, 1000, 5000, 100000)}) * torch.arange(half, device=t.device) / half)",
            f"args = t[:, None].float(){c.pick('', ' * 1000.0', ' * 100.0')} * freqs[None]",
            c.pick(
                "return torch.cat([args.sin(), args.cos()], dim=-1)",
                "return torch.cat([args.cos(), args.sin()], dim=-1)",
            ),
        ],
    )
    x, g = c.v["x"], c.pick(8, 16, 32)
    res = c.camel + c.pick("ResBlock", "TimeBlock", "ResidualBlock")
    rinit = [
        "super().__init__()",
        f"self.norm1 = nn.GroupNorm({g}, in_ch)",
        "self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)",
        "self.time = nn.Linear(t_dim, out_ch)",
        f"self.norm2 = nn.GroupNorm({g}, out_ch)",
        "self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)",
        "self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()",
    ]
    rfwd = [
        f"h = self.conv1(F.silu(self.norm1({x})))",
        "h = h + self.time(F.silu(t_emb))[:, :, None, None]",
        "h = self.conv2(F.silu(self.norm2(h)))",
        f"return h + self.skip({x})",
    ]
    res_src = _class(
        res,
        "nn.Module",
        _doc(
            c, "Residual block conditioned on the timestep.", "GroupNorm-SiLU-conv block with time injection."
        ),
        [
            _def(c, "__init__", "self, in_ch: int, out_ch: int, t_dim: int", None, rinit, indent="    "),
            _def(c, "forward", f"self, {x}, t_emb", None, rfwd, indent="    "),
        ],
    )
    ch, h = c.names["hid"], c.data[4]
    uinit = [
        "super().__init__()",
        f"self.{ch} = {ch}",
        f"self.time_mlp = nn.Sequential(nn.Linear({ch}, 4 * {ch}), nn.SiLU(), nn.Linear(4 * {ch}, 4 * {ch}))",
        f"self.inp = nn.Conv2d({h}, {ch}, 3, padding=1)",
        f"self.down1 = {res}({ch}, {ch}, 4 * {ch})",
        f"self.down2 = {res}({ch}, 2 * {ch}, 4 * {ch})",
        f"self.mid = {res}(2 * {ch}, 2 * {ch}, 4 * {ch})",
        f"self.up2 = {res}(4 * {ch}, {ch}, 4 * {ch})",
        f"self.up1 = {res}(2 * {ch}, {ch}, 4 * {ch})",
        f"self.out = nn.Sequential(nn.GroupNorm({g}, {ch}), nn.SiLU(), nn.Conv2d({ch}, {h}, 3, padding=1))",
    ]
    ufwd = [
        f"t_emb = self.time_mlp({emb_name}(t, self.{ch}))",
        f"h0 = self.inp({x})",
        "h1 = self.down1(h0, t_emb)",
        "h2 = self.down2(F.avg_pool2d(h1, 2), t_emb)",
        "h = self.mid(h2, t_emb)",
        "h = self.up2(torch.cat([h, h2], dim=1), t_emb)",
        'h = F.interpolate(h, scale_factor=2, mode="nearest")',
        "h = self.up1(torch.cat([h, h1], dim=1), t_emb)",
        "return self.out(h)",
    ]
    unet_src = _class(
        c.names["model"],
        "nn.Module",
        _doc(c, "Small two-level UNet that predicts the noise.", f"eps-prediction UNet for {c.slug}."),
        [
            _def(c, "__init__", f"self, {ch}: int = {c.hidden}", None, uinit, indent="    "),
            _def(c, "forward", f"self, {x}, t", None, ufwd, indent="    "),
        ],
    )
    loss_name = c.pick("diffusion_loss", "p_losses", "noise_prediction_loss")
    c.names["dloss"] = loss_name
    loss_src = _def(
        c,
        loss_name,
        "model, x0, alphas_cumprod",
        _doc(
            c,
            "The simple DDPM loss: MSE between true and predicted noise.",
            "Noise-prediction MSE at a random timestep.",
        ),
        [
            f"t = torch.randint(0, {T}, (x0.size(0),), device=x0.device)",
            "noise = torch.randn_like(x0)",
            "a = alphas_cumprod.to(x0.device)[t].view(-1, 1, 1, 1)",
            "x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise",
            "return F.mse_loss(model(x_t, t), noise)",
        ],
    )
    return [sched_src, emb_src, res_src, unet_src, loss_src]


def _torch_gan(c: Ctx) -> list[str]:
    nz, ng, ch = c.names["latent"], c.pick(32, 48, 64, 96), c.data[4]
    gname, dname = c.camel + c.pick("Generator", "Gen", "G"), c.camel + c.pick("Discriminator", "Critic", "D")
    c.names["gen"], c.names["disc"] = gname, dname
    ginit = [
        "super().__init__()",
        "self.net = nn.Sequential(",
        f"    nn.ConvTranspose2d({nz}, {ng} * 4, 4, 1, 0, bias=False), nn.BatchNorm2d({ng} * 4), nn.ReLU(True),",
        f"    nn.ConvTranspose2d({ng} * 4, {ng} * 2, 4, 2, 1, bias=False), nn.BatchNorm2d({ng} * 2), nn.ReLU(True),",
        f"    nn.ConvTranspose2d({ng} * 2, {ng}, 4, 2, 1, bias=False), nn.BatchNorm2d({ng}), nn.ReLU(True),",
        f"    nn.ConvTranspose2d({ng}, {ch}, 4, 2, 1, bias=False), nn.Tanh(),",
        ")",
    ]
    slope = c.pick("0.2", "0.2", "0.1")
    dinit = [
        "super().__init__()",
        "self.net = nn.Sequential(",
        f"    nn.Conv2d({ch}, {ng}, 4, 2, 1, bias=False), nn.LeakyReLU({slope}, inplace=True),",
        f"    nn.Conv2d({ng}, {ng} * 2, 4, 2, 1, bias=False), nn.BatchNorm2d({ng} * 2), nn.LeakyReLU({slope}, inplace=True),",
        f"    nn.Conv2d({ng} * 2, {ng} * 4, 4, 2, 1, bias=False), nn.BatchNorm2d({ng} * 4), nn.LeakyReLU({slope}, inplace=True),",
        f"    nn.Conv2d({ng} * 4, 1, 4, 1, 0, bias=False),",
        ")",
    ]
    z = c.pick("z", "noise", "latent")
    w = c.pick("weights_init", "init_weights", "dcgan_init")
    c.names["winit"] = w
    return [
        _class(
            gname,
            "nn.Module",
            _doc(c, f"Maps a {nz}-d latent to a {ch}-channel 32x32 image.", "DCGAN generator."),
            [
                _def(c, "__init__", "self", None, ginit, indent="    "),
                _def(
                    c,
                    "forward",
                    f"self, {z}",
                    None,
                    [
                        c.pick(
                            f"return self.net({z}.view({z}.size(0), -1, 1, 1))",
                            f"return self.net({z}[:, :, None, None])",
                            f"return self.net({z}.reshape(-1, {nz}, 1, 1))",
                            f"return self.net({z}.unsqueeze(-1).unsqueeze(-1))",
                        )
                    ],
                    indent="    ",
                ),
            ],
        ),
        _class(
            dname,
            "nn.Module",
            _doc(c, "Scores images as real or fake.", "Convolutional critic."),
            [
                _def(c, "__init__", "self", None, dinit, indent="    "),
                _def(
                    c,
                    "forward",
                    f"self, {c.v['x']}",
                    None,
                    [
                        f"return self.net({c.v['x']}).{c.pick('view(-1)', 'flatten()', 'reshape(-1)', 'squeeze()')}"
                    ],
                    indent="    ",
                ),
            ],
        ),
        _def(
            c,
            w,
            "m: nn.Module",
            _doc(
                c,
                "DCGAN initialisation: N(0, 0.02) convs, N(1, 0.02) norms.",
                "Initialise weights as in the DCGAN paper.",
            ),
            [
                "if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):",
                f"    nn.init.normal_(m.weight, 0.0, {c.pick('0.02', '0.02', '0.015', '0.01', '0.025', '0.03')})",
                "elif isinstance(m, nn.BatchNorm2d):",
                f"    nn.init.normal_(m.weight, 1.0, {c.pick('0.02', '0.02', '0.01', '0.05')})",
                f"    nn.init.{c.pick('zeros_(m.bias)', 'constant_(m.bias, 0.0)', 'constant_(m.bias, 0)')}",
            ],
            ret=" -> None",
        ),
    ]


# ---------------------------------------------------------------------------------------------------------
# model definitions: TensorFlow / Keras


def _keras_transformer(c: Ctx) -> list[str]:
    h, L, H = c.names["hid"], c.names["lay"], c.names["head"]
    x = c.v["x"]
    blk = c.camel + c.pick("TransformerBlock", "EncoderLayer", "Block")
    ratio, eps = c.pick(2, 4, 4), c.pick("1e-6", "1e-5")
    init = [
        "super().__init__(**kwargs)",
        f"self.att = layers.MultiHeadAttention(num_heads={H}, key_dim={h} // {H}, dropout=dropout)",
        f'self.ffn = keras.Sequential([layers.Dense({ratio} * {h}, activation="{c.pick("gelu", "relu")}"), layers.Dense({h})])',
        f"self.norm1 = layers.LayerNormalization(epsilon={eps})",
        f"self.norm2 = layers.LayerNormalization(epsilon={eps})",
        "self.drop = layers.Dropout(dropout)",
    ]
    mask = ", use_causal_mask=True" if c.task == "lm" else ""
    call = [
        f"attn = self.att({x}, {x}{mask}, training=training)",
        f"{x} = self.norm1({x} + self.drop(attn, training=training))",
        f"return self.norm2({x} + self.drop(self.ffn({x}), training=training))",
    ]
    blk_src = _class(
        blk,
        "layers.Layer",
        _doc(c, "Post-LN transformer encoder layer.", "Attention + FFN Keras layer."),
        [
            _def(
                c,
                "__init__",
                f"self, {h}: int, {H}: int, dropout: float = {c.dropout}, **kwargs",
                None,
                init,
                indent="    ",
            ),
            _def(c, "call", f"self, {x}, training=False", None, call, indent="    "),
        ],
    )
    out = "vocab_size" if c.task == "lm" else "num_classes"
    if c.kind == "image":
        body = [
            f"inputs = keras.Input(shape=({c.data[5]}, {c.data[5]}, {c.data[4]}))",
            f"{x} = layers.Conv2D({h}, {c.pick(2, 4)}, strides={c.pick(2, 4)})(inputs)",
            f"{x} = layers.Reshape((-1, {h}))({x})",
        ]
    else:
        body = [
            f'inputs = keras.Input(shape=({c.names["max_len"]},), dtype="int32")',
            f"{x} = layers.Embedding(vocab_size, {h})(inputs)",
            f"{x} = {x} + layers.Embedding({c.names['max_len']}, {h})(tf.range({c.names['max_len']}))",
        ]
    body += [f"for _ in range({L}):", f"    {x} = {blk}({h}, {H})({x})"]
    if c.task != "lm":
        body.append(f"{x} = layers.GlobalAveragePooling1D()({x})")
    body += [f"outputs = layers.Dense({out})({x})", f'return keras.Model(inputs, outputs, name="{c.slug}")']
    sig = (
        (f"vocab_size: int = {c.names['vocab']}, " if c.kind == "text" else "")
        + (f"num_classes: int = {c.classes}, " if c.task != "lm" else "")
        + f"{h}: int = {c.hidden}, {L}: int = {c.layers}, {H}: int = {c.heads}"
    )
    return [
        blk_src,
        _def(
            c,
            c.names["build"],
            sig,
            _doc(c, f"Functional Keras model for {c.slug}.", "Build the transformer."),
            body,
            ret=" -> keras.Model",
        ),
    ]


def _keras_simple(c: Ctx) -> list[str]:
    """CNN, RNN and MLP as Keras Sequential models."""
    h, L = c.names["hid"], c.names["lay"]
    act = c.pick("relu", "relu", "gelu", "swish", "elu")
    body = [f'model = keras.Sequential(name="{c.slug}")']
    if c.kind == "image":
        body.append(f"model.add(keras.Input(shape=({c.data[5]}, {c.data[5]}, {c.data[4]})))")
    elif c.kind == "text":
        body.append(f"model.add(keras.Input(shape=({c.names['max_len']},)))")
        body.append(f"model.add(layers.Embedding({c.names['vocab']}, {c.pick(64, 128, 256)}))")
    elif c.kind == "series":
        body.append(f"model.add(keras.Input(shape=({c.num(24, 336)}, {c.num(1, 16)})))")
    else:
        body.append(f"model.add(keras.Input(shape=({c.num(6, 120)},)))")
    if c.arch == "cnn":
        body += [
            f"filters = {c.pick(16, 32, 64)}",
            f"for i in range({L}):",
            f'    model.add(layers.Conv2D(filters, {c.pick(3, 3, 5)}, padding="same", activation="{act}"))',
        ]
        if c.chance(0.6):
            body.append("    model.add(layers.BatchNormalization())")
        body += [
            "    if i % 2 == 1:",
            "        model.add(layers.MaxPooling2D())",
            "        filters *= 2",
            "model.add(layers.GlobalAveragePooling2D())",
        ]
    elif c.arch == "rnn":
        cell = c.pick("LSTM", "GRU")
        body += [
            f"for i in range({L} - 1):",
            f"    model.add(layers.{cell}({h}, return_sequences=True, dropout={c.dropout}))",
            f"model.add(layers.{cell}({h}))",
        ]
    else:
        body += [
            "model.add(layers.Flatten())",
            f"for i in range({L}):",
            f'    model.add(layers.Dense(max({h} // 2 ** i, {c.pick(16, 32)}), activation="{act}"))',
            f"    model.add(layers.Dropout({c.dropout}))",
        ]
    if c.task == "cls":
        body.append(f'model.add(layers.Dense({c.classes}, activation="softmax"))')
    else:
        body.append(f"model.add(layers.Dense({c.num(1, 24)}))")
    body.append("return model")
    sig = f"{h}: int = {c.hidden}, {L}: int = {c.layers}"
    return [
        _def(
            c,
            c.names["build"],
            sig,
            _doc(c, f"Keras {c.arch.upper()} for {c.data[0]}.", f"Build the {c.slug} network."),
            body,
            ret=" -> keras.Model",
        )
    ]


def _keras_gen(c: Ctx) -> list[str]:
    """Generator/discriminator pair (gan) or a small noise-prediction UNet (diffusion)."""
    ch, s = c.data[4], 32
    if c.arch == "gan":
        nz = c.names["latent"]
        c.names["gen"], c.names["disc"] = (
            c.pick("make_generator", "build_generator"),
            c.pick("make_discriminator", "build_discriminator"),
        )
        g = [
            "return keras.Sequential([",
            f"    layers.Dense(4 * 4 * {c.hidden}, use_bias=False, input_shape=({nz},)),",
            "    layers.BatchNormalization(), layers.LeakyReLU(),",
            f"    layers.Reshape((4, 4, {c.hidden})),",
            f'    layers.Conv2DTranspose({c.hidden // 2}, 4, strides=2, padding="same", use_bias=False),',
            "    layers.BatchNormalization(), layers.LeakyReLU(),",
            f'    layers.Conv2DTranspose({c.hidden // 4}, 4, strides=2, padding="same", use_bias=False),',
            "    layers.BatchNormalization(), layers.LeakyReLU(),",
            f'    layers.Conv2DTranspose({ch}, 4, strides=2, padding="same", activation="tanh"),',
            "])",
        ]
        d = [
            "return keras.Sequential([",
            f'    layers.Conv2D({c.hidden // 4}, 4, strides=2, padding="same", input_shape=({s}, {s}, {ch})),',
            f"    layers.LeakyReLU({c.pick('0.2', '0.2', '0.1')}), layers.Dropout({c.pick('0.3', '0.25', '0.4')}),",
            f'    layers.Conv2D({c.hidden // 2}, 4, strides=2, padding="same"),',
            "    layers.LeakyReLU(0.2),",
            "    layers.Flatten(), layers.Dense(1),",
            "])",
        ]
        return [
            _def(
                c,
                c.names["gen"],
                "",
                _doc(c, f"Generator: {nz}-d noise to a {s}x{s} image.", "DCGAN-style generator."),
                g,
                ret=" -> keras.Model",
            ),
            _def(
                c,
                c.names["disc"],
                "",
                _doc(c, "Discriminator returning one logit per image.", "Conv discriminator."),
                d,
                ret=" -> keras.Model",
            ),
        ]
    T = c.names["timesteps"]
    c.names["schedule"] = c.pick("make_betas", "beta_schedule", "noise_schedule")
    sched = _def(
        c,
        c.names["schedule"],
        f"timesteps: int = {T}",
        _doc(c, "Linear beta schedule.", "DDPM betas."),
        [
            f"return np.linspace({c.pick('1e-4', '5e-5')}, {c.pick('0.02', '0.015')}, timesteps, dtype=np.float32)"
        ],
    )
    c.imports.add("import numpy as np")
    f = c.hidden
    body = [
        f"images = keras.Input(shape=({s}, {s}, {ch}))",
        "t = keras.Input(shape=(1,))",
        f'temb = layers.Dense({f}, activation="swish")(t / {T}.0)',
        f'h1 = layers.Conv2D({f}, 3, padding="same", activation="swish")(images)',
        "h1 = h1 + layers.Reshape((1, 1, -1))(temb)",
        f'h2 = layers.Conv2D({2 * f}, 3, strides=2, padding="same", activation="swish")(h1)',
        f'h = layers.Conv2DTranspose({f}, 3, strides=2, padding="same", activation="swish")(h2)',
        "h = layers.Concatenate()([h, h1])",
        f'out = layers.Conv2D({ch}, 3, padding="same")(h)',
        f'return keras.Model([images, t], out, name="{c.slug}_unet")',
    ]
    return [
        sched,
        _def(
            c,
            c.names["build"],
            "",
            _doc(c, "Tiny UNet that predicts the added noise.", "Noise predictor."),
            body,
            ret=" -> keras.Model",
        ),
    ]


# ---------------------------------------------------------------------------------------------------------
# model definitions: JAX / Flax


def _flax_model(c: Ctx) -> list[str]:
    h, L, x = c.names["hid"], c.names["lay"], c.v["x"]
    out: list[str] = []
    fields = [f"{h}: int = {c.hidden}", f"{L}: int = {c.layers}"]
    if c.arch == "transformer":
        H = c.names["head"]
        blk = c.camel + c.pick("Block", "EncoderBlock", "Layer")
        bbody = [
            f"y = nn.LayerNorm()({x})",
            f"y = nn.SelfAttention(num_heads=self.{H}, dropout_rate={c.dropout}, deterministic=not train)(y)",
            f"{x} = {x} + y",
            f"y = nn.Dense({c.pick(2, 4)} * self.{h})(nn.LayerNorm()({x}))",
            f"y = nn.Dense(self.{h})(nn.{c.pick('gelu', 'relu', 'swish')}(y))",
            f"return {x} + nn.Dropout({c.dropout}, deterministic=not train)(y)",
        ]
        out.append(
            _class(
                blk,
                "nn.Module",
                _doc(c, "Pre-LN transformer block.", "Self-attention + MLP."),
                [
                    f"    {h}: int = {c.hidden}\n    {H}: int = {c.heads}",
                    _def(
                        c,
                        "__call__",
                        f"self, {x}, train: bool = False",
                        None,
                        bbody,
                        deco=("nn.compact",),
                        indent="    ",
                    ),
                ],
            )
        )
        fields.append(f"{H}: int = {c.heads}")
        if c.kind == "image":
            body = [
                f"{x} = nn.Conv(self.{h}, ({c.pick(2, 4)}, {c.pick(2, 4)}), strides={c.pick(2, 4)})({x})",
                f"{x} = {x}.reshape({x}.shape[0], -1, self.{h})",
            ]
        else:
            body = [
                f"{x} = nn.Embed({c.names['vocab']}, self.{h})({x})",
                f'pos = self.param("pos", nn.initializers.normal({c.pick("0.02", "0.01")}), (1, {c.names["max_len"]}, self.{h}))',
                f"{x} = {x} + pos[:, : {x}.shape[1]]",
            ]
        body += [
            f"for _ in range(self.{L}):",
            f"    {x} = {blk}(self.{h}, self.{H})({x}, train)",
            f"{x} = nn.LayerNorm()({x})",
        ]
        body.append(
            f"return nn.Dense({c.names['vocab']})({x})"
            if c.task == "lm"
            else f"return nn.Dense({c.classes})({x}.mean(axis=1))"
        )
    elif c.arch == "cnn":
        body = [
            f"features = {c.pick(16, 32, 64)}",
            f"for i in range(self.{L}):",
            f"    {x} = nn.Conv(features, ({c.pick(3, 5)}, {c.pick(3, 5)}))({x})",
            f"    {x} = nn.BatchNorm(use_running_average=not train)({x})",
            f"    {x} = nn.relu({x})",
            "    if i % 2 == 1:",
            f"        {x} = nn.max_pool({x}, (2, 2), strides=(2, 2))",
            "        features *= 2",
            f"{x} = {x}.mean(axis=(1, 2))",
            f"return nn.Dense({c.classes})({x})",
        ]
    elif c.arch == "rnn":
        cell = c.pick("OptimizedLSTMCell", "GRUCell", "LSTMCell")
        body = (
            [f"{x} = nn.Embed({c.names['vocab']}, {c.pick(64, 128, 256)})({x})"] if c.kind == "text" else []
        )
        body += [
            f"for _ in range(self.{L}):",
            f"    {x} = nn.RNN(nn.{cell}(self.{h}))({x})",
            f"return nn.Dense({c.classes if c.task == 'cls' else c.num(1, 48)})({x}[:, -1])",
        ]
    elif c.arch == "mlp":
        body = [
            f"{x} = {x}.reshape(({x}.shape[0], -1))",
            f"for i in range(self.{L}):",
            f"    {x} = nn.{c.pick('relu', 'gelu', 'swish')}(nn.Dense(max(self.{h} // 2 ** i, {c.pick(16, 32, 64)}))({x}))",
            f"    {x} = nn.Dropout({c.dropout}, deterministic=not train)({x})",
            f"return nn.Dense({c.classes if c.task == 'cls' else 1})({x})",
        ]
    elif c.arch == "diffusion":
        body = [
            f"temb = jnp.concatenate([jnp.sin(t[:, None] * jnp.arange(1, {c.pick(9, 17, 33)})), jnp.cos(t[:, None] * jnp.arange(1, 9))], -1)",
            f"temb = nn.Dense(self.{h})(nn.swish(nn.Dense(self.{h})(temb)))",
            f"h1 = nn.swish(nn.Conv(self.{h}, (3, 3))({x}))",
            "h1 = h1 + temb[:, None, None, :]",
            f"h2 = nn.swish(nn.Conv(2 * self.{h}, (3, 3), strides=2)(h1))",
            f"h = nn.ConvTranspose(self.{h}, (3, 3), strides=(2, 2))(h2)",
            f"return nn.Conv({c.data[4]}, (3, 3))(jnp.concatenate([h, h1], -1))",
        ]
    else:  # gan: generator here, discriminator below
        body = [
            f"{x} = nn.Dense(4 * 4 * self.{h})({x})",
            f"{x} = nn.relu({x}).reshape(({x}.shape[0], 4, 4, self.{h}))",
            "for i in range(3):",
            f"    {x} = nn.ConvTranspose(self.{h} // 2 ** (i + 1), (4, 4), strides=(2, 2))({x})",
            f"    {x} = nn.relu(nn.BatchNorm(use_running_average=not train)({x}))",
            f"return jnp.tanh(nn.Conv({c.data[4]}, (3, 3))({x}))",
        ]
        d = c.camel + "Discriminator"
        c.names["disc"] = d
        dbody = [
            f"for f in ({c.hidden // 4}, {c.hidden // 2}, {c.hidden}):",
            f"    {x} = nn.leaky_relu(nn.Conv(f, (4, 4), strides=2)({x}), {c.pick('0.2', '0.1')})",
            f"return nn.Dense(1)({x}.reshape(({x}.shape[0], -1)))",
        ]
        out.append(
            _class(
                d,
                "nn.Module",
                _doc(c, "Conv discriminator with one logit.", "Real/fake critic."),
                [
                    _def(
                        c,
                        "__call__",
                        f"self, {x}, train: bool = False",
                        None,
                        dbody,
                        deco=("nn.compact",),
                        indent="    ",
                    )
                ],
            )
        )
    args = (
        f"self, {x}, t, train: bool = False" if c.arch == "diffusion" else f"self, {x}, train: bool = False"
    )
    out.append(
        _class(
            c.names["model"],
            "nn.Module",
            _doc(c, f"The {c.slug} network in Flax.", f"Flax {c.arch} module."),
            [
                "\n".join("    " + f for f in fields),
                _def(c, "__call__", args, None, body, deco=("nn.compact",), indent="    "),
            ],
        )
    )
    return out


# ---------------------------------------------------------------------------------------------------------
# data loading


def _data(c: Ctx) -> str:
    name, fw, kind, bs = c.names["load"], c.framework, c.kind, c.batch_size
    d = c.data
    doc = _doc(
        c,
        f"Train and test splits of {d[0]}.",
        f"Load {d[0]} and wrap it in batches.",
        f"Data pipeline for {c.slug}.",
    )
    val = c.pick("0.1", "0.15", "0.2", "0.05")
    if kind == "image":
        size = 32 if c.task == "gen" else d[5]
        if fw == "pytorch":
            c.imports |= {
                "import torchvision",
                "import torchvision.transforms as T",
                "from torch.utils.data import DataLoader",
            }
            aug = (
                [f"T.Resize({size})", "T.RandomHorizontalFlip()"]
                if c.task == "gen"
                else (
                    [f"T.RandomCrop({size}, padding={c.pick(2, 4)})", "T.RandomHorizontalFlip()"]
                    if c.chance(0.7)
                    else []
                )
            )
            mean = ", ".join(c.pick("0.5", "0.485", "0.4914") for _ in range(d[4]))
            std = ", ".join(c.pick("0.5", "0.229", "0.247") for _ in range(d[4]))
            tf = ", ".join([*aug, "T.ToTensor()", f"T.Normalize(({mean},), ({std},))"])
            split = (
                ("train=True", "train=False")
                if d[1] in ("CIFAR10", "CIFAR100", "MNIST", "FashionMNIST")
                else ('split="train"', 'split="test"')
            )
            body = [
                f"transform = T.Compose([{tf}])",
                f"train_set = torchvision.datasets.{d[1]}(root, {split[0]}, download=True, transform=transform)",
                f"test_set = torchvision.datasets.{d[1]}(root, {split[1]}, download=True, transform=transform)",
                f"train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, num_workers={c.pick(2, 4, 8)}, drop_last=True)",
                f"test_loader = DataLoader(test_set, batch_size=batch_size * {c.pick(1, 2, 4)})",
                "return train_loader, test_loader",
            ]
            return _def(
                c,
                name,
                f'batch_size: int = {bs}, root: str = "{c.pick("./data", "data", "/datasets", "~/data")}"',
                doc,
                body,
            )
        if fw == "tensorflow" and d[3]:
            body = [
                f"(x_train, y_train), (x_test, y_test) = keras.datasets.{d[3]}.load_data()",
                f'x_train = x_train.astype("float32") / {c.pick("255.0", "127.5")}',
                'x_test = x_test.astype("float32") / 255.0',
            ]
            if d[4] == 1:
                body += ["x_train, x_test = x_train[..., None], x_test[..., None]"]
            body += [
                f"train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle({c.pick(1000, 10000, 60000)}).batch(batch_size)",
                "test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(batch_size)",
                "return train_ds.prefetch(tf.data.AUTOTUNE), test_ds",
            ]
            return _def(c, name, f"batch_size: int = {bs}", doc, body)
        c.imports.add("import tensorflow_datasets as tfds")
        if fw == "tensorflow":
            body = [
                f'(train_ds, test_ds), info = tfds.load("{d[2]}", split=["train", "test"], as_supervised=True, with_info=True)',
                "def prep(image, label):",
                f"    image = tf.image.resize(tf.cast(image, tf.float32) / 255.0, ({size}, {size}))",
                "    return image, label",
                f"train_ds = train_ds.map(prep, num_parallel_calls=tf.data.AUTOTUNE).shuffle({c.pick(1024, 4096, 10000)}).batch(batch_size)",
                "test_ds = test_ds.map(prep).batch(batch_size)",
                "return train_ds.prefetch(tf.data.AUTOTUNE), test_ds",
            ]
            return _def(c, name, f"batch_size: int = {bs}", doc, body)
        body = [
            f'train = tfds.as_numpy(tfds.load("{d[2]}", split="train", batch_size=-1, as_supervised=True))',
            f'test = tfds.as_numpy(tfds.load("{d[2]}", split="test", batch_size=-1, as_supervised=True))',
            "x_train, y_train = np.float32(train[0]) / 255.0, train[1]",
            "x_test, y_test = np.float32(test[0]) / 255.0, test[1]",
            f"return (x_train[:{c.pick('None', str(c.num(5, 50) * 1000))}], y_train), (x_test, y_test)",
        ]
        return _def(c, name, "", doc, body)
    if kind == "text":
        c.imports |= {"from datasets import load_dataset", "from transformers import AutoTokenizer"}
        tok = c.pick("gpt2", "bert-base-uncased", "roberta-base", "EleutherAI/gpt-neox-20b", "t5-small")
        cfgarg = f', "{d[1]}"' if d[1] else ""
        test = (
            c.pick("test", "validation")
            if d[0] not in ("ag_news", "imdb", "yelp_polarity", "dbpedia_14")
            else "test"
        )
        body = [f'ds = load_dataset("{d[0]}"{cfgarg})', f'tokenizer = AutoTokenizer.from_pretrained("{tok}")']
        if tok == "gpt2" or tok.startswith("Eleuther"):
            body.append("tokenizer.pad_token = tokenizer.eos_token")
        body += [
            "def encode(batch):",
            f'    return tokenizer(batch["{d[2]}"], truncation=True, max_length={c.names["max_len"]}, padding="max_length")',
            f"ds = ds.map(encode, batched=True, num_proc={c.pick(1, 4, 8)})",
        ]
        cols = '["input_ids", "label"]' if d[3] else '["input_ids"]'
        if fw == "pytorch":
            c.imports.add("from torch.utils.data import DataLoader")
            body += [
                f'ds.set_format("torch", columns={cols})',
                'train_loader = DataLoader(ds["train"], batch_size=batch_size, shuffle=True)',
                f'test_loader = DataLoader(ds["{test}"], batch_size=batch_size)',
                "return train_loader, test_loader",
            ]
        elif fw == "tensorflow":
            lab = '"label"' if d[3] else "None"
            body += [
                f'train_ds = ds["train"].to_tf_dataset(columns="input_ids", label_cols={lab}, batch_size=batch_size, shuffle=True)',
                f'test_ds = ds["{test}"].to_tf_dataset(columns="input_ids", label_cols={lab}, batch_size=batch_size)',
                "return train_ds, test_ds",
            ]
        else:
            body += [f'ds.set_format("numpy", columns={cols})', f'return ds["train"], ds["{test}"]']
        return _def(c, name, f"batch_size: int = {bs}", doc, body)
    c.imports.add("import pandas as pd")
    path = f"{c.pick('data', './data', '/datasets')}/{d[0]}.csv"
    if kind == "tabular":
        target = c.pick("target", "label", "y", "class")
        body = [
            "df = pd.read_csv(path).dropna()",
            f'y = df.pop("{target}").to_numpy()',
            "df = pd.get_dummies(df, drop_first=True)",
            'x = df.to_numpy(dtype="float32")',
            "x = (x - x.mean(0)) / (x.std(0) + 1e-6)",
            f"n_test = int(len(x) * {val})",
        ]
    else:
        col = c.pick("value", "load", "OT", "target", "y")
        w, hz = c.num(24, 336), c.num(1, 48)
        body = [
            f'values = pd.read_csv(path, parse_dates=["{c.pick("date", "timestamp", "ds")}"])["{col}"].to_numpy(dtype="float32")',
            "values = (values - values.mean()) / values.std()",
            f"idx = range(len(values) - {w} - {hz})",
            f"x = np.stack([values[i : i + {w}] for i in idx])[..., None]",
            f"y = np.stack([values[i + {w} : i + {w + hz}] for i in idx])",
            f"n_test = int(len(x) * {val})",
        ]
        c.imports.add("import numpy as np")
    if fw == "pytorch":
        c.imports.add("from torch.utils.data import DataLoader, TensorDataset")
        body += [
            "x, y = torch.tensor(x), torch.tensor(y)",
            "train = TensorDataset(x[:-n_test], y[:-n_test])",
            "test = TensorDataset(x[-n_test:], y[-n_test:])",
            "return DataLoader(train, batch_size=batch_size, shuffle=True), DataLoader(test, batch_size=batch_size)",
        ]
    elif fw == "tensorflow":
        body += [
            "train = tf.data.Dataset.from_tensor_slices((x[:-n_test], y[:-n_test])).shuffle(4096).batch(batch_size)",
            "test = tf.data.Dataset.from_tensor_slices((x[-n_test:], y[-n_test:])).batch(batch_size)",
            "return train, test",
        ]
    else:
        body += ["return (x[:-n_test], y[:-n_test]), (x[-n_test:], y[-n_test:])"]
    return _def(c, name, f'path: str = "{path}", batch_size: int = {bs}', doc, body)


# ---------------------------------------------------------------------------------------------------------
# training and evaluation


def _load_call(c: Ctx) -> str:
    if c.framework == "jax" and c.kind == "image":
        return f"{c.names['load']}()"
    return f"{c.names['load']}(batch_size={c.cfg('batch_size')})"


def _hp(c: Ctx, key: str, default: str) -> str:
    return c.cfg(key) if key in c.names["hp"].split(",") else default


def _torch_optimizer(c: Ctx, params: str, var: str) -> str:
    lr, wd = c.cfg("learning_rate"), c.cfg("weight_decay")
    if c.optimizer == "sgd":
        return f"{var} = torch.optim.SGD({params}, lr={lr}, momentum={c.pick('0.9', '0.9', '0.95')}, weight_decay={wd})"
    if c.arch == "gan":
        return f"{var} = torch.optim.{OPTIMIZERS[c.optimizer]}({params}, lr={lr}, betas=(0.5, 0.999))"
    return f"{var} = torch.optim.{OPTIMIZERS[c.optimizer]}({params}, lr={lr}, weight_decay={wd})"


def _torch_train(c: Ctx) -> str:
    v, log = c.v, _hp(c, "log_every", str(c.pick(50, 100, 200)))
    model, opt, loss = v["model"], v["opt"], v["loss"]
    body = [
        f"torch.manual_seed({c.cfg('seed')})",
        'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")',
        f"train_loader, test_loader = {_load_call(c)}",
    ]
    if c.arch == "gan":
        body += [
            f"gen, disc = {c.names['gen']}().to(device), {c.names['disc']}().to(device)",
            f"gen.apply({c.names['winit']})",
            f"disc.apply({c.names['winit']})",
            _torch_optimizer(c, "gen.parameters()", "opt_g"),
            _torch_optimizer(c, "disc.parameters()", "opt_d"),
            "bce = nn.BCEWithLogitsLoss()",
            f"for epoch in range({c.cfg('epochs')}):",
            "    for real, _ in train_loader:",
            "        real = real.to(device)",
            f"        z = torch.randn(real.size(0), {c.names['latent']}, device=device)",
            "        fake = gen(z)",
            "        ones, zeros = torch.ones(real.size(0), device=device), torch.zeros(real.size(0), device=device)",
            "        loss_d = bce(disc(real), ones) + bce(disc(fake.detach()), zeros)",
            "        opt_d.zero_grad()",
            "        loss_d.backward()",
            "        opt_d.step()",
            "        loss_g = bce(disc(fake), ones)",
            "        opt_g.zero_grad()",
            "        loss_g.backward()",
            "        opt_g.step()",
            '    print(f"epoch {epoch}: loss_d {loss_d.item():.4f} loss_g {loss_g.item():.4f}")',
            f'    torch.save(gen.state_dict(), f"checkpoints/{c.slug}_G_{{epoch:03d}}.pt")',
            "return gen",
        ]
        return _def(
            c,
            c.names["train"],
            c.cfg_param,
            _doc(c, "Alternate discriminator and generator updates.", f"Train the {c.slug} GAN."),
            body,
        )
    body += [f"{model} = {c.names['model']}().to(device)", _torch_optimizer(c, f"{model}.parameters()", opt)]
    sched = c.chance(0.5)
    if sched:
        n = c.cfg("max_iters") if c.task == "lm" else c.cfg("epochs")
        kind = c.pick("CosineAnnealingLR", "CosineAnnealingLR", "StepLR", "ExponentialLR")
        arg = {
            "CosineAnnealingLR": f"T_max={n}",
            "StepLR": f"step_size={c.num(5, 50)}",
            "ExponentialLR": f"gamma={c.pick('0.95', '0.97', '0.99', '0.995')}",
        }[kind]
        body.append(f"scheduler = torch.optim.lr_scheduler.{kind}({opt}, {arg})")
    if c.arch == "diffusion":
        body += [f"alphas_cumprod = torch.cumprod(1 - {c.names['schedule']}(), dim=0)"]
    clip = _hp(c, "grad_clip", c.pick("1.0", "0.5", "None"))
    step_lines = [f"{opt}.zero_grad()", f"{loss}.backward()"]
    if clip != "None":
        step_lines.append(f"torch.nn.utils.clip_grad_norm_({model}.parameters(), {clip})")
    step_lines.append(f"{opt}.step()")
    if c.arch == "diffusion":
        inner = [
            "x0 = batch[0].to(device) * 2 - 1" if c.chance(0.5) else "x0 = batch[0].to(device)",
            f"{loss} = {c.names['dloss']}({model}, x0, alphas_cumprod)",
        ]
    elif c.kind == "text":
        inner = ['ids = batch["input_ids"].to(device)']
        if c.task == "lm":
            inner += [
                f"logits = {model}(ids[:, :-1])",
                f"{loss} = F.cross_entropy(logits.reshape(-1, logits.size(-1)), ids[:, 1:].reshape(-1))",
            ]
        else:
            inner += [f'{loss} = F.cross_entropy({model}(ids), batch["label"].to(device))']
    else:
        inner = ["inputs, targets = (t.to(device) for t in batch)"]
        if c.task == "reg":
            inner.append(
                f"{loss} = F.{c.pick('mse_loss', 'l1_loss', 'smooth_l1_loss')}({model}(inputs), targets)"
            )
        else:
            ls = c.pick("", "", f", label_smoothing={c.pick('0.05', '0.1')}")
            inner.append(f"{loss} = F.cross_entropy({model}(inputs), targets{ls})")
    step = v["step"]
    logl = [f"if {step} % {log} == 0:", f'    print(f"step {{{step}}}: loss {{{loss}.item():.4f}}")']
    if c.task == "lm":
        c.imports.add("import itertools")
        body += [
            "batches = itertools.cycle(train_loader)",
            f"for {step} in range({c.cfg('max_iters')}):",
            f"    {model}.train()",
            "    batch = next(batches)",
        ]
        body += ["    " + s for s in inner + step_lines + (["scheduler.step()"] if sched else []) + logl]
        body += [
            f"    if {step} % {c.pick(500, 1000, 2000)} == 0:",
            f'        print(f"eval ppl {{{c.names["eval"]}({model}, test_loader, device):.2f}}")',
        ]
    else:
        body += [
            f"{step} = 0",
            f"for epoch in range({c.cfg('epochs')}):",
            f"    {model}.train()",
            "    for batch in train_loader:",
        ]
        body += ["        " + s for s in inner + step_lines + [f"{step} += 1"] + logl]
        if sched:
            body.append("    scheduler.step()")
        if c.arch != "diffusion":
            body.append(f"    metric = {c.names['eval']}({model}, test_loader, device)")
            body.append('    print(f"epoch {epoch}: {metric:.4f}")')
    if c.chance(0.7):
        body.append(
            f'torch.save({model}.state_dict(), "checkpoints/{c.slug}{c.pick(".pt", "_final.pt", ".pth")}")'
        )
    body.append(f"return {model}")
    return _def(
        c,
        c.names["train"],
        c.cfg_param,
        _doc(
            c,
            f"Train {c.slug} end to end.",
            "Main training loop.",
            f"Fit the model with {OPTIMIZERS[c.optimizer]}.",
        ),
        body,
    )


def _keras_train(c: Ctx) -> str:
    model = c.v["model"]
    opt = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}[c.optimizer]
    body = [f"tf.random.set_seed({c.cfg('seed')})", f"train_ds, test_ds = {_load_call(c)}"]
    if c.task == "gen":
        step = (
            c.pick("train_step", "gan_step", "update")
            if c.arch == "gan"
            else c.pick("train_step", "denoise_step")
        )
        if c.arch == "gan":
            inner = [
                "@tf.function",
                f"def {step}(real):",
                f"    z = tf.random.normal([tf.shape(real)[0], {c.names['latent']}])",
                "    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:",
                "        fake = gen(z, training=True)",
                "        real_logits, fake_logits = disc(real, training=True), disc(fake, training=True)",
                "        d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)",
                "        g_loss = bce(tf.ones_like(fake_logits), fake_logits)",
                "    g_opt.apply_gradients(zip(g_tape.gradient(g_loss, gen.trainable_variables), gen.trainable_variables))",
                "    d_opt.apply_gradients(zip(d_tape.gradient(d_loss, disc.trainable_variables), disc.trainable_variables))",
                "    return g_loss, d_loss",
            ]
            body += [
                f"gen, disc = {c.names['gen']}(), {c.names['disc']}()",
                f"g_opt = keras.optimizers.{opt}(learning_rate={c.cfg('learning_rate')})",
                f"d_opt = keras.optimizers.{opt}(learning_rate={c.cfg('learning_rate')})",
                "bce = keras.losses.BinaryCrossentropy(from_logits=True)",
            ] + inner
            body += [
                f"for epoch in range({c.cfg('epochs')}):",
                "    for real, _ in train_ds:",
                f"        g_loss, d_loss = {step}(real)",
                '    print(f"epoch {epoch}: g {float(g_loss):.3f} d {float(d_loss):.3f}")',
                f'gen.save("checkpoints/{c.slug}_generator.keras")',
                "return gen",
            ]
        else:
            body += [
                f"{model} = {c.names['build']}()",
                f"optimizer = keras.optimizers.{opt}(learning_rate={c.cfg('learning_rate')})",
                f"alphas_cumprod = tf.constant(np.cumprod(1.0 - {c.names['schedule']}()))",
                "@tf.function",
                f"def {step}(x0):",
                f"    t = tf.random.uniform([tf.shape(x0)[0]], 0, {c.names['timesteps']}, dtype=tf.int32)",
                "    noise = tf.random.normal(tf.shape(x0))",
                "    a = tf.reshape(tf.gather(alphas_cumprod, t), [-1, 1, 1, 1])",
                "    with tf.GradientTape() as tape:",
                f"        pred = {model}([tf.sqrt(a) * x0 + tf.sqrt(1 - a) * noise, tf.cast(t[:, None], tf.float32)], training=True)",
                "        loss = tf.reduce_mean(tf.square(pred - noise))",
                f"    optimizer.apply_gradients(zip(tape.gradient(loss, {model}.trainable_variables), {model}.trainable_variables))",
                "    return loss",
                f"for epoch in range({c.cfg('epochs')}):",
                "    for x0, _ in train_ds:",
                f"        loss = {step}(x0 * 2.0 - 1.0)",
                '    print(f"epoch {epoch}: loss {float(loss):.4f}")',
                f"return {model}",
            ]
        return _def(
            c,
            c.names["train"],
            c.cfg_param,
            _doc(c, "Custom GradientTape training loop.", f"Train the {c.slug} generator."),
            body,
        )
    logits = c.arch == "transformer"
    if c.task == "reg":
        lossx, mets = c.pick('"mse"', '"mae"', "keras.losses.Huber()"), '["mae"]'
    else:
        lossx = f"keras.losses.SparseCategoricalCrossentropy(from_logits={logits})"
        mets = '["accuracy"]' if c.task == "cls" else '[keras.metrics.SparseCategoricalAccuracy(name="acc")]'
    body += [
        f"{model} = {c.names['build']}()",
        f"{model}.compile(optimizer=keras.optimizers.{opt}(learning_rate={c.cfg('learning_rate')}), loss={lossx}, metrics={mets})",
    ]
    cbs = _shuffled(
        c,
        [
            f"keras.callbacks.EarlyStopping(patience={c.num(2, 12)}, restore_best_weights=True)",
            f'keras.callbacks.ModelCheckpoint("checkpoints/{c.slug}.keras", save_best_only=True)',
            f'keras.callbacks.TensorBoard(log_dir="logs/{c.slug}")',
        ],
    )[: c.num(1, 3)]
    body.append("callbacks = [" + ", ".join(cbs) + "]")
    epochs = c.cfg("max_iters") + f" // {c.pick(500, 1000)}" if c.task == "lm" else c.cfg("epochs")
    body.append(
        f"history = {model}.fit(train_ds, validation_data=test_ds, epochs={epochs}, callbacks=callbacks)"
    )
    body.append(f"{c.names['eval']}({model}, test_ds)")
    body.append("return history")
    return _def(
        c,
        c.names["train"],
        c.cfg_param,
        _doc(c, "Compile and fit with Keras.", f"Fit {c.slug} with model.fit."),
        body,
    )


def _flax_train(c: Ctx) -> list[str]:
    opt = {"adam": "adam", "adamw": "adamw", "sgd": "sgd", "rmsprop": "rmsprop"}[c.optimizer]
    okw = f", weight_decay={c.weight_decay}" if opt == "adamw" else (", momentum=0.9" if opt == "sgd" else "")
    st = c.pick("create_train_state", "make_state", "init_state")
    if c.kind == "image":
        side = 32 if c.task == "gen" else c.data[5]
        x_shape = f"(1, {side}, {side}, {c.data[4]})"
    else:
        x_shape = {
            "text": f"(1, {c.names['max_len']})",
            "tabular": f"(1, {c.num(6, 120)})",
            "series": f"(1, {c.num(24, 336)}, 1)",
        }[c.kind]
    if c.arch == "gan":
        x_shape = f"(1, {c.names['latent']})"
    dtype = ", jnp.int32" if c.kind == "text" else ""
    init_args = f"jnp.ones({x_shape}{dtype})" + (", jnp.ones((1,))" if c.arch == "diffusion" else "")
    state_src = _def(
        c,
        st,
        f"rng, learning_rate: float = {c.lr}",
        _doc(c, "Initialise parameters and the optax optimizer.", "Build the TrainState."),
        [
            f"model = {c.names['model']}()",
            f'params = model.init(rng, {init_args})["params"]',
            f"tx = optax.chain(optax.clip_by_global_norm({c.pick('1.0', '0.5', '2.0')}), optax.{opt}(learning_rate{okw}))",
            "return train_state.TrainState.create(apply_fn=model.apply, params=params, tx=tx)",
        ],
    )
    step = c.pick("train_step", "update_step", "sgd_step")
    if c.task == "gen" and c.arch == "diffusion":
        loss_lines = [
            "noise = jax.random.normal(rng, x.shape)",
            f"t = jax.random.randint(rng, (x.shape[0],), 0, {c.names['timesteps']})",
            "a = alphas_cumprod[t][:, None, None, None]",
            "pred = state.apply_fn({'params': params}, jnp.sqrt(a) * x + jnp.sqrt(1 - a) * noise, t)",
            "return jnp.mean((pred - noise) ** 2)",
        ]
        sig = "state, x, alphas_cumprod, rng"
    elif c.task == "gen":
        loss_lines = [
            f"z = jax.random.normal(rng, (x.shape[0], {c.names['latent']}))",
            "fake = state.apply_fn({'params': params}, z)",
            "return jnp.mean((fake - x) ** 2)  # feature-matching surrogate; the critic lives in its own state",
        ]
        sig = "state, x, rng"
    elif c.task == "reg":
        loss_lines = ["pred = state.apply_fn({'params': params}, x)", "return jnp.mean(jnp.abs(pred - y))"]
        sig = "state, x, y"
    else:
        lg = c.pick("logits", "out", "scores", "preds")
        loss_lines = [f"{lg} = state.apply_fn({{'params': params}}, x)"]
        if c.chance(0.4):
            loss_lines.append(
                f"labels = optax.smooth_labels(jax.nn.one_hot(y, {lg}.shape[-1]), {c.pick('0.05', '0.1', '0.15', '0.2')})"
            )
            loss_lines.append(f"loss = optax.softmax_cross_entropy({lg}, labels).mean()")
        else:
            loss_lines.append(f"loss = optax.softmax_cross_entropy_with_integer_labels({lg}, y).mean()")
        if c.chance(0.4):
            loss_lines.append(
                f"loss += {c.pick('1e-4', '5e-5', '1e-5', '2e-4')} * sum(jnp.sum(p ** 2) for p in jax.tree_util.tree_leaves(params))"
            )
        loss_lines.append("return loss")
        sig = "state, x, y"
    step_src = _def(
        c,
        step,
        sig,
        None,
        ["def loss_fn(params):"]
        + ["    " + s for s in loss_lines]
        + [
            "loss, grads = jax.value_and_grad(loss_fn)(state.params)",
            "return state.apply_gradients(grads=grads), loss",
        ],
        deco=("jax.jit",),
    )
    bs = c.cfg("batch_size")
    body = [
        f"rng = jax.random.PRNGKey({c.cfg('seed')})",
        f"(x_train, y_train), (x_test, y_test) = {_load_call(c)}"
        if c.kind != "text"
        else f"train_split, test_split = {_load_call(c)}",
    ]
    if c.kind == "text":
        body += [
            'x_train = train_split["input_ids"]',
            'y_train = train_split["label"] if "label" in train_split.column_names else x_train',
        ]
    body += ["rng, init_rng = jax.random.split(rng)", f"state = {st}(init_rng, {c.cfg('learning_rate')})"]
    if c.arch == "diffusion":
        body.append(f"alphas_cumprod = jnp.cumprod(1 - jnp.linspace(1e-4, 0.02, {c.names['timesteps']}))")
    n = c.cfg("max_iters") + " // 100" if c.task == "lm" else c.cfg("epochs")
    body += [
        f"for epoch in range({n}):",
        "    rng, perm_rng = jax.random.split(rng)",
        "    perm = jax.random.permutation(perm_rng, len(x_train))",
        f"    for i in range(len(x_train) // {bs}):",
        f"        idx = perm[i * {bs} : (i + 1) * {bs}]",
    ]
    if c.arch == "diffusion":
        body += [
            "        rng, step_rng = jax.random.split(rng)",
            f"        state, loss = {step}(state, x_train[idx], alphas_cumprod, step_rng)",
        ]
    elif c.task == "gen":
        body += [
            "        rng, step_rng = jax.random.split(rng)",
            f"        state, loss = {step}(state, x_train[idx], step_rng)",
        ]
    else:
        body += [f"        state, loss = {step}(state, x_train[idx], y_train[idx])"]
    body.append('    print(f"epoch {epoch}: loss {float(loss):.4f}")')
    if c.task != "gen" and c.kind != "text":
        body.append(f'    print("eval:", {c.names["eval"]}(state, x_test, y_test))')
    body.append("return state")
    train_src = _def(
        c,
        c.names["train"],
        c.cfg_param,
        _doc(c, "Jit-compiled training loop.", f"Train {c.slug} with optax.{opt}."),
        body,
    )
    return [state_src, step_src, train_src]


def _eval(c: Ctx) -> str:
    name, model = c.names["eval"], c.v["model"]
    if c.framework == "pytorch":
        if c.task == "gen":
            n = c.num(8, 64)
            if c.arch == "gan":
                body = [
                    f"z = torch.randn({n}, {c.names['latent']}, device=device)",
                    f"images = {model}(z).add(1).div(2).clamp(0, 1)",
                ]
            else:
                body = [
                    f"betas = {c.names['schedule']}().to(device)",
                    "alphas = 1 - betas",
                    "alphas_cumprod = torch.cumprod(alphas, 0)",
                    f"x = torch.randn({n}, {c.data[4]}, 32, 32, device=device)",
                    "for t in reversed(range(len(betas))):",
                    f"    eps = {model}(x, torch.full((x.size(0),), t, device=device))",
                    "    x = (x - betas[t] / (1 - alphas_cumprod[t]).sqrt() * eps) / alphas[t].sqrt()",
                    "    if t > 0:",
                    "        x = x + betas[t].sqrt() * torch.randn_like(x)",
                    "images = (x.clamp(-1, 1) + 1) / 2",
                ]
            c.imports.add("from torchvision.utils import save_image")
            tag = c.pick("tag", "step", "epoch")
            body += [
                f'save_image(images, f"outputs/{c.slug}/samples_{{{tag}}}.png", nrow={c.pick(4, 8)})',
                "return images",
            ]
            return _def(
                c,
                c.names["eval"],
                f"{model}, device, {tag}=0",
                _doc(c, "Draw samples and save a grid.", "Generate images for inspection."),
                body,
                deco=("torch.no_grad()",),
            )
        tot, cnt, out = (
            c.pick("total", "correct", "acc_sum", "running"),
            c.pick("n", "seen", "count", "num"),
            c.pick("out", "logits", "preds", "y_hat"),
        )
        limit = c.chance(0.4)
        body = [
            f"{model}.eval()",
            f"{tot}, {cnt} = 0.0, 0",
            "for i, batch in enumerate(loader):" if limit else "for batch in loader:",
        ]
        if limit:
            body += [f"    if i >= {c.pick(10, 20, 50, 100, 200, 500)}:", "        break"]
        if c.kind == "text":
            body.append('    inputs = batch["input_ids"].to(device)')
            body.append(
                "    targets = inputs[:, 1:]" if c.task == "lm" else '    targets = batch["label"].to(device)'
            )
            if c.task == "lm":
                body.append("    inputs = inputs[:, :-1]")
        else:
            body.append("    inputs, targets = (t.to(device) for t in batch)")
        body.append(f"    {out} = {model}(inputs)")
        if c.task == "lm":
            body += [
                f'    {tot} += F.cross_entropy({out}.reshape(-1, {out}.size(-1)), targets.reshape(-1), reduction="sum").item()',
                f"    {cnt} += targets.numel()",
                f"return math.exp({tot} / {cnt})",
            ]
            c.imports.add("import math")
            doc = _doc(c, "Perplexity on the held-out split.", "exp(mean token NLL) on the test loader.")
        elif c.task == "reg":
            body += [
                f"    {tot} += ({out} - targets).{c.pick('abs()', 'pow(2)')}.sum().item()",
                f"    {cnt} += targets.numel()",
                f"return {tot} / {cnt}",
            ]
            doc = _doc(c, "Mean error on the test split.", "Error over all horizons.")
        else:
            body += [
                f"    {tot} += ({out}.argmax({c.pick('-1', 'dim=-1', '1')}) == targets).sum().item()",
                f"    {cnt} += targets.size(0)",
                f"return {tot} / max({cnt}, 1)" if c.chance(0.5) else f"return {tot} / {cnt}",
            ]
            doc = _doc(c, "Top-1 accuracy on the test split.", "Classification accuracy.")
        return _def(
            c, name, f"{model}, loader, device", doc, body, deco=("torch.no_grad()",), ret=" -> float"
        )
    if c.framework == "tensorflow":
        if c.task == "gen":
            z = c.pick("noise", "z", "latents")
            if c.arch == "gan":
                body = [
                    f"{z} = tf.random.normal([{c.num(8, 64)}, {c.names['latent']}])",
                    f"images = {model}({z}, training=False)",
                ]
            else:
                body = [
                    f"{z} = tf.random.normal([{c.num(8, 64)}, 32, 32, {c.data[4]}])",
                    f"t = tf.fill([tf.shape({z})[0], 1], {c.names['timesteps'] - 1}.0)",
                    f"images = tf.clip_by_value({z} - {model}([{z}, t], training=False), -1.0, 1.0)",
                ]
            body += [
                f'tf.io.write_file("outputs/{c.slug}/sample.png", tf.io.encode_png(tf.cast((images[0] + 1) * 127.5, tf.uint8)))',
                "return images",
            ]
            return _def(c, name, model, _doc(c, "Sample and write one PNG.", "Quick visual check."), body)
        body = [f"results = {model}.evaluate(test_ds, return_dict=True, verbose=0)"]
        if c.task == "lm":
            c.imports.add("import math")
            body.append('results["perplexity"] = math.exp(results["loss"])')
        body += [
            "for key, value in results.items():",
            f'    print(f"{c.slug} {{key}}: {{value:.{c.pick(3, 4)}f}}")',
            "return results",
        ]
        return _def(
            c, name, f"{model}, test_ds", _doc(c, "Evaluate on the test split.", "Print Keras metrics."), body
        )
    if c.task == "gen":
        return _def(
            c,
            name,
            f"state, rng, n: int = {c.num(8, 64)}",
            _doc(c, "Sample from the model.", "Draw samples."),
            [
                f"z = jax.random.normal(rng, (n, {c.names.get('latent', 64)}))"
                if c.arch == "gan"
                else "z = jax.random.normal(rng, (n, 32, 32, 3))",
                "return state.apply_fn({'params': state.params}, z)"
                if c.arch == "gan"
                else "return state.apply_fn({'params': state.params}, z, jnp.zeros((n,)))",
            ],
        )
    if c.task == "reg":
        body = [
            "pred = state.apply_fn({'params': state.params}, x)",
            "return float(jnp.mean(jnp.abs(pred - y)))",
        ]
    else:
        chunk = c.pick(256, 512, 1024, 2048)
        body = [
            f"logits = jnp.concatenate([state.apply_fn({{'params': state.params}}, x[i : i + {chunk}]) "
            f"for i in range(0, len(x), {chunk})])",
            "return float(jnp.mean(jnp.argmax(logits, -1) == y))",
        ]
    what = "Mean absolute error" if c.task == "reg" else "Accuracy"
    return _def(
        c,
        name,
        "state, x, y",
        _doc(c, f"{what} on held-out data.", "Evaluate the current parameters."),
        body,
    )


# ---------------------------------------------------------------------------------------------------------
# utilities: each picks a name, a variant and its constants at random


def _u_seed(c: Ctx) -> str:
    c.imports |= {"import random", "import numpy as np"}
    lines = ["random.seed(seed)", "np.random.seed(seed)"]
    if c.framework == "pytorch":
        lines += ["torch.manual_seed(seed)", "torch.cuda.manual_seed_all(seed)"]
        if c.chance(0.5):
            lines += ["torch.backends.cudnn.deterministic = True", "torch.backends.cudnn.benchmark = False"]
    elif c.framework == "tensorflow":
        lines.append("tf.random.set_seed(seed)")
    if c.chance(0.4):
        c.imports.add("import os")
        lines.append('os.environ["PYTHONHASHSEED"] = str(seed)')
    lines = _shuffled(c, lines)
    if c.framework == "jax":
        lines.append("return jax.random.PRNGKey(seed)")
    return _def(
        c,
        c.pick("set_seed", "seed_everything", "fix_seeds", "make_deterministic"),
        f"seed: int = {c.num(0, 99999)}",
        _doc(
            c,
            "Seed every random number generator we use.",
            "Make runs reproducible.",
            "Seed python, numpy and the framework.",
        ),
        lines,
    )


def _u_params(c: Ctx) -> str:
    unit, digits = c.pick(("1e6", "M"), ("1e3", "k"), ("1e9", "B")), c.num(1, 3)
    if c.framework == "pytorch":
        arg, expr = (
            c.v["model"],
            f"sum(p.numel() for p in {c.v['model']}.parameters(){c.pick('', ' if p.requires_grad')})",
        )
    elif c.framework == "tensorflow":
        arg, expr = c.v["model"], f"{c.v['model']}.count_params()"
    else:
        arg, expr = "params", "sum(x.size for x in jax.tree_util.tree_leaves(params))"
    body = [f"n = {expr}", f'return f"{{n / {unit[0]}:.{digits}f}}{unit[1]}"']
    return _def(
        c,
        c.pick("count_parameters", "param_summary", "describe_size", "human_param_count"),
        arg,
        _doc(c, "Parameter count as a short human-readable string.", f"Model size in {unit[1]} parameters."),
        body,
        ret=" -> str",
    )


def _u_ckpt(c: Ctx) -> str:
    c.imports.add("from pathlib import Path")
    path = f"checkpoints/{c.slug}{c.pick('', '_best', '_last', '_ema')}"
    if c.framework == "pytorch":
        keys = _shuffled(
            c,
            [
                f'"model": {c.v["model"]}.state_dict()',
                '"step": step',
                f'"optimizer": {c.v["opt"]}.state_dict()',
            ],
        )
        fname = c.pick(f'f"{path}_{{step:0{c.num(5, 8)}d}}.pt"', f'"{path}.pt"')
        body = [
            f"path = Path(folder) / {fname}",
            "path.parent.mkdir(parents=True, exist_ok=True)",
            "torch.save({" + ", ".join(keys) + "}, path)",
            "return path",
        ]
        params = (
            f'{c.v["model"]}, {c.v["opt"]}, step: int, folder: str = "{c.pick(".", "/scratch", "outputs")}"'
        )
    elif c.framework == "tensorflow":
        body = [
            f'path = Path(folder) / "{path}.weights.h5"',
            "path.parent.mkdir(parents=True, exist_ok=True)",
            f"{c.v['model']}.save_weights(str(path))",
            "return path",
        ]
        params = f'{c.v["model"]}, folder: str = "{c.pick(".", "/scratch", "outputs")}"'
    else:
        c.imports.add("from flax import serialization")
        body = [
            f'path = Path(folder) / "{path}.msgpack"',
            "path.parent.mkdir(parents=True, exist_ok=True)",
            "path.write_bytes(serialization.to_bytes(state.params))",
            "return path",
        ]
        params = f'state, folder: str = "{c.pick(".", "/scratch", "outputs")}"'
    return _def(
        c,
        c.pick("save_checkpoint", "checkpoint", "dump_weights", "save_state"),
        params,
        _doc(c, "Write a checkpoint, creating the folder if needed.", "Save weights to disk."),
        body,
    )


def _u_lr(c: Ctx) -> str:
    c.imports.add("import math")
    warm, total, floor = c.num(50, 5000), c.num(10, 400) * 1000, c.pick("0.0", "0.1", "0.05", "0.01")
    body = [
        "if step < warmup:",
        "    return (step + 1) / warmup",
        "progress = min(1.0, (step - warmup) / max(1, total - warmup))",
    ]
    body.append(
        c.pick(
            f"return {floor} + (1 - {floor}) * 0.5 * (1 + math.cos(math.pi * progress))",
            f"return max({floor}, 1.0 - progress)",
            f"return max({floor}, 0.5 * (1 + math.cos(math.pi * progress)))",
        )
    )
    sig = f"step: int, warmup: int = {warm}, total: int = {total}"
    if c.chance(0.5):
        body.insert(0, f"warmup, total = {warm}, {total}")
        sig = "step: int"
    return _def(
        c,
        c.pick("lr_lambda", "lr_factor", "warmup_cosine", "schedule_fn", "get_lr_multiplier"),
        sig,
        _doc(
            c, "Learning-rate multiplier: linear warmup then decay.", f"Warmup for {warm} steps, then decay."
        ),
        body,
        ret=" -> float",
    )


def _u_early(c: Ctx) -> str:
    name = c.pick("EarlyStopping", "EarlyStopper", "PatienceTracker", "StopOnPlateau")
    mode = c.pick("min", "max")
    best, wait = (
        c.pick("best", "best_value", "best_score", "record"),
        c.pick("bad_epochs", "wait", "counter", "num_bad", "stale"),
    )
    delta = c.pick("0.0", "1e-4", "1e-3", "0.01", "5e-4", "2e-3")
    better = f"value < self.{best} - {delta}" if mode == "min" else f"value > self.{best} + {delta}"
    init = [
        "self.patience = patience",
        f'self.{best} = float("{"inf" if mode == "min" else "-inf"}")',
        f"self.{wait} = 0",
    ]
    if c.chance(0.5):
        init.append("self.history = []")
    step = ([] if "self.history = []" not in init else ["self.history.append(value)"]) + [
        f"if {better}:",
        f"    self.{best} = value",
        f"    self.{wait} = 0",
        "else:",
        f"    self.{wait} += 1",
    ]
    step.append(c.pick(f"return self.{wait} >= self.patience", f"return self.{wait} > self.patience - 1"))
    return _class(
        name,
        "",
        _doc(c, f"Stop when the monitored value stops improving ({mode}).", "Patience-based early stopping."),
        [
            _def(
                c,
                "__init__",
                f"self, patience: int = {c.num(2, 25)}",
                None,
                _shuffled(c, init),
                indent="    ",
            ),
            _def(
                c,
                c.pick("step", "update", "__call__", "should_stop"),
                "self, value: float",
                None,
                step,
                ret=" -> bool",
                indent="    ",
            ),
        ],
    )


def _u_meter(c: Ctx) -> str:
    name = c.pick("AverageMeter", "RunningMean", "MetricTracker", "SmoothedValue")
    fmt = c.pick(":.4f", ":.3f", ":.6f", ":.2e", ":.5f", ":.2f")
    tot, cnt = c.pick("sum", "total", "running", "acc"), c.pick("count", "n", "steps", "num")
    init = ["self.name = name", f"self.{tot} = 0.0", f"self.{cnt} = 0"]
    upd = [f"self.{tot} += value * n", f"self.{cnt} += n"]
    if c.chance(0.5):
        init.append('self.last = float("nan")')
        upd.insert(c.num(0, 2), "self.last = value")
    members = [
        _def(
            c,
            "__init__",
            f'self, name: str = "{c.pick("loss", "acc", "lr", "grad_norm", "throughput", "ppl", "tokens_per_s")}"',
            None,
            _shuffled(c, init),
            indent="    ",
        ),
        _def(c, c.pick("update", "add", "push"), "self, value: float, n: int = 1", None, upd, indent="    "),
    ]
    avg = f"self.{tot} / max(1, self.{cnt})"
    if c.chance(0.5):
        members.append(
            _def(
                c,
                c.pick("avg", "mean", "value"),
                "self",
                None,
                [f"return {avg}"],
                deco=("property",),
                ret=" -> float",
                indent="    ",
            )
        )
    members.append(
        _def(
            c,
            c.pick("__str__", "__repr__"),
            "self",
            None,
            [f'return f"{{self.name}} {{{avg}{fmt}}}"'],
            indent="    ",
        )
    )
    return _class(
        name, "", _doc(c, "Running average of a scalar.", "Tracks the mean of a streamed value."), members
    )


def _u_duration(c: Ctx) -> str:
    sep = c.pick("", " ", ":")
    body = c.pick(
        [
            "minutes, secs = divmod(int(seconds), 60)",
            "hours, minutes = divmod(minutes, 60)",
            f'return f"{{hours:d}}h{sep}{{minutes:02d}}m{sep}{{secs:02d}}s"',
        ],
        [
            f"if seconds < {c.pick(1, 0.5, 2)}:",
            f'    return f"{{seconds * 1000:.{c.num(0, 1)}f}}ms"',
            f'return f"{{seconds:.{c.num(1, 3)}f}}s"',
        ],
        [
            "if seconds < 60:",
            f'    return f"{{seconds:.{c.num(0, 2)}f}}s"',
            "if seconds < 3600:",
            '    return f"{seconds / 60:.1f}min"',
            'return f"{seconds / 3600:.2f}h"',
        ],
    )
    return _def(
        c,
        c.pick("format_duration", "human_time", "fmt_seconds", "pretty_time"),
        "seconds: float",
        _doc(c, "Seconds as a short human-readable string.", "Format elapsed time for logs."),
        body,
        ret=" -> str",
    )


def _u_metrics_json(c: Ctx) -> str:
    c.imports |= {"import json", "from pathlib import Path"}
    o = c.pick("out", "target", "dest", "path")
    body = [
        f'{o} = Path(path or "results/{c.slug}{c.pick("", "_eval", "_metrics")}.json")',
        f"{o}.parent.mkdir(parents=True, exist_ok=True)",
    ]
    if c.chance(0.5):
        body.append(f'metrics = {{"model": "{c.slug}", **metrics}}')
    body += [
        f"{o}.write_text(json.dumps(metrics, indent={c.pick(1, 2, 4)}, sort_keys={c.pick('True', 'False')}))",
        f"return {o}",
    ]
    return _def(
        c,
        c.pick("save_metrics", "dump_results", "write_metrics", "log_results"),
        "metrics: dict, path: str | None = None",
        _doc(c, "Write metrics as JSON.", "Persist final metrics for the results table."),
        body,
    )


def _u_rundir(c: Ctx) -> str:
    c.imports |= {"import time", "from pathlib import Path"}
    fmt = c.pick("%Y%m%d-%H%M%S", "%Y-%m-%d_%H-%M", "%m%d_%H%M")
    d = c.pick("run_dir", "out_dir", "path", "folder")
    body = [
        f'stamp = time.strftime("{fmt}")',
        f'{d} = Path(root) / f"{c.slug}-{{tag}}-{{stamp}}"'
        if c.chance(0.5)
        else f'{d} = Path(root) / "{c.slug}" / stamp',
        f"{d}.mkdir(parents=True, exist_ok={c.pick('True', 'False')})",
        f"return {d}",
    ]
    return _def(
        c,
        c.pick("make_run_dir", "new_run_dir", "create_output_dir"),
        f'tag: str = "{c.pick("run", "exp", "debug", "sweep")}", root: str = "{c.pick("runs", "outputs", "logs")}"',
        _doc(c, "A fresh timestamped output directory.", "Create the directory for this run."),
        body,
        ret=" -> Path",
    )


def _u_smooth(c: Ctx) -> str:
    w = c.pick("0.6", "0.8", "0.9", "0.95", "0.98", "0.99", "0.7", "0.85", "0.97")
    out, last, item = (
        c.pick("smoothed", "out", "result", "curve"),
        c.pick("last", "prev", "running", "acc"),
        c.pick("v", "value", "y", "point"),
    )
    body = [
        f"{out}, {last} = [], values[0] if values else 0.0",
        f"for {item} in values:",
        f"    {last} = {w} * {last} + {c.pick(f'(1 - {w})', str(round(1 - float(w), 2)))} * {item}",
        f"    {out}.append({last})",
        f"return {out}",
    ]
    return _def(
        c,
        c.pick("smooth", "ema_smooth", "exponential_smoothing", "smooth_curve"),
        "values: list[float]",
        _doc(c, "TensorBoard-style exponential smoothing of a curve.", f"Smooth a loss curve (weight {w})."),
        body,
        ret=" -> list[float]",
    )


def _u_plot(c: Ctx) -> str:
    c.imports.add("import matplotlib.pyplot as plt")
    fs = f"({c.num(4, 10)}, {c.num(3, 6)})"
    body = [
        f"fig, ax = plt.subplots(figsize={fs})",
        "for name, values in curves.items():",
        "    ax.plot(values, label=name)",
        f'ax.set_xlabel("{c.pick("step", "epoch", "iteration")}")',
        f'ax.set_title("{c.slug}")',
        "ax.legend()",
        f'fig.savefig(path, dpi={c.pick(100, 120, 150, 200)}, bbox_inches="tight")',
        "plt.close(fig)",
    ]
    return _def(
        c,
        c.pick("plot_curves", "save_loss_plot", "plot_history"),
        f'curves: dict, path: str = "plots/{c.slug}.png"',
        _doc(c, "Plot training curves to a PNG.", "Save a figure of the loss curves."),
        body,
        ret=" -> None",
    )


def _u_overrides(c: Ctx) -> str:
    sep, out, item = (
        c.pick("=", ":"),
        c.pick("out", "overrides", "parsed", "result"),
        c.pick("item", "arg", "pair", "token"),
    )
    norm = c.pick("", '.lstrip("-")', '.replace("-", "_")')
    body = [
        f"{out} = {{}}",
        f"for {item} in items:",
        f'    key, _, raw = {item}.{c.pick("partition", "partition")}("{sep}")',
        f"    key = key.strip(){norm}",
        "    for cast in (int, float):",
        "        try:",
        f"            {out}[key] = cast(raw)",
        "            break",
        "        except ValueError:",
        "            continue",
        "    else:",
        f'        {out}[key] = {{"true": True, "false": False}}.get(raw.lower(), raw)',
        f"return {out}",
    ]
    return _def(
        c,
        c.pick("parse_overrides", "parse_kv", "cli_overrides"),
        "items: list[str]",
        _doc(c, f"Parse key{sep}value overrides from the command line.", "Turn CLI overrides into a dict."),
        body,
        ret=" -> dict",
    )


def _u_ema(c: Ctx) -> str:
    d = c.pick("0.999", "0.9995", "0.9999", "0.99", "0.995", "0.998", "0.9998")
    warm = c.chance(0.6)
    decay_line = f"decay = min({d}, (1 + step) / ({c.num(5, 20)} + step))" if warm else f"decay = {d}"
    if c.framework == "pytorch":
        e, p = c.pick(("e", "p"), ("ema_p", "p"), ("shadow", "param"), ("avg", "cur"))
        body = [
            decay_line,
            "with torch.no_grad():",
            f"    for {e}, {p} in zip(ema.parameters(), model.parameters()):",
            c.pick(
                f"        {e}.mul_(decay).add_({p}, alpha=1 - decay)",
                f"        {e}.lerp_({p}, 1 - decay)",
                f"        {e}.copy_(decay * {e} + (1 - decay) * {p})",
            ),
        ]
        if c.chance(0.5):
            body += [f"for {e}, {p} in zip(ema.buffers(), model.buffers()):", f"    {e}.copy_({p})"]
        return _def(
            c,
            c.pick("ema_update", "update_ema", "update_average"),
            "ema, model, step: int = 0",
            _doc(c, "Exponential moving average of the weights.", f"EMA update with decay {d}."),
            body,
            ret=" -> None",
        )
    if c.framework == "jax":
        body = [
            decay_line,
            "return jax.tree_util.tree_map(lambda e, p: decay * e + (1 - decay) * p, ema_params, params)",
        ]
        return _def(
            c,
            c.pick("ema_update", "update_ema"),
            "ema_params, params, step: int = 0",
            _doc(c, "EMA of a parameter pytree.", f"Polyak averaging, decay {d}."),
            body,
        )
    body = [
        decay_line,
        "for e, w in zip(ema_model.weights, model.weights):",
        "    e.assign(decay * e + (1 - decay) * w)",
    ]
    return _def(
        c,
        c.pick("ema_update", "update_ema"),
        "ema_model, model, step: int = 0",
        _doc(c, "EMA of Keras weights.", f"Weight averaging with decay {d}."),
        body,
    )


def _u_batches(c: Ctx) -> str:
    c.imports.add("import numpy as np")
    body = [
        f"rng = np.random.default_rng(seed + {c.num(1, 9999)})"
        if c.chance(0.5)
        else f"rng = np.random.default_rng({c.num(0, 99999)})",
        "idx = rng.permutation(len(x)) if shuffle else np.arange(len(x))",
        "for start in range(0, len(idx) - batch_size + 1, batch_size):",
        "    sel = idx[start : start + batch_size]",
        "    yield x[sel], y[sel]",
    ]
    return _def(
        c,
        c.pick("iterate_batches", "batch_iterator", "minibatches"),
        f"x, y, batch_size: int = {c.batch_size}, shuffle: bool = True, seed: int = 0",
        _doc(c, "Yield shuffled minibatches of numpy arrays.", "Simple numpy batching."),
        body,
    )


def _u_grad_norm(c: Ctx) -> str:
    p = c.pick("2.0", "2", "1.0")
    body = [
        f"norms = [p.grad.detach().norm({p}) for p in {c.v['model']}.parameters() if p.grad is not None]",
        f"return torch.norm(torch.stack(norms), {p}).item() if norms else 0.0",
    ]
    return _def(
        c,
        c.pick("grad_norm", "total_grad_norm", "gradient_norm"),
        c.v["model"],
        _doc(c, "Global gradient norm, for logging.", f"L{p[0]} norm of all gradients."),
        body,
        ret=" -> float",
    )


def _u_decay_groups(c: Ctx) -> str:
    body = [
        "decay, no_decay = [], []",
        f"for name, p in {c.v['model']}.named_parameters():",
        "    if not p.requires_grad:",
        "        continue",
        f'    (no_decay if p.ndim < 2 or "{c.pick("norm", "ln", "bn")}" in name else decay).append(p)',
        'return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]',
    ]
    return _def(
        c,
        c.pick("param_groups", "split_weight_decay", "optimizer_groups"),
        f"{c.v['model']}, weight_decay: float = {c.weight_decay}",
        _doc(c, "No weight decay on biases and norms.", "Parameter groups for the optimizer."),
        body,
        ret=" -> list",
    )


UTILS = {
    "any": [
        _u_seed,
        _u_params,
        _u_ckpt,
        _u_lr,
        _u_early,
        _u_meter,
        _u_duration,
        _u_metrics_json,
        _u_rundir,
        _u_smooth,
        _u_plot,
        _u_overrides,
        _u_ema,
    ],
    "pytorch": [_u_grad_norm, _u_decay_groups],
    "jax": [_u_batches],
    "tensorflow": [],
}


# ---------------------------------------------------------------------------------------------------------
# assembling one script


BASE_IMPORTS = {
    "pytorch": {"import torch", "import torch.nn as nn", "import torch.nn.functional as F"},
    "tensorflow": {
        "import tensorflow as tf",
        "from tensorflow import keras",
        "from tensorflow.keras import layers",
    },
    "jax": {
        "import jax",
        "import jax.numpy as jnp",
        "import flax.linen as nn",
        "import optax",
        "from flax.training import train_state",
        "import numpy as np",
    },
}
STDLIB = {
    "argparse",
    "math",
    "os",
    "time",
    "json",
    "itertools",
    "random",
    "logging",
    "dataclasses",
    "pathlib",
}


def _imports(c: Ctx) -> str:
    lines = BASE_IMPORTS[c.framework] | c.imports
    std = sorted((x for x in lines if x.split()[1].split(".")[0] in STDLIB), key=lambda x: x.split()[1])
    third = sorted((x for x in lines if x not in std), key=lambda x: x.split()[1])
    head = ["from __future__ import annotations", ""] if c.chance(0.4) else []
    return "\n".join(head + std + ([""] if std else []) + third)


def _model(c: Ctx) -> list[str]:
    if c.framework == "pytorch":
        return {
            "transformer": _torch_transformer,
            "cnn": _torch_cnn,
            "rnn": _torch_rnn,
            "mlp": _torch_mlp,
            "diffusion": _torch_diffusion,
            "gan": _torch_gan,
        }[c.arch](c)
    if c.framework == "tensorflow":
        if c.arch == "transformer":
            return _keras_transformer(c)
        return _keras_gen(c) if c.task == "gen" else _keras_simple(c)
    return _flax_model(c)


def _main(c: Ctx) -> str:
    call = f"{c.names['train']}({c.cfg_arg})"
    lines = ['if __name__ == "__main__":']
    if c.chance(0.3):
        c.imports.add("import logging")
        lines.append(f"    logging.basicConfig(level=logging.{c.pick('INFO', 'DEBUG')})")
    if c.style == "dict" and c.chance(0.5):
        c.imports.add("import os")
        key = "max_iters" if c.task == "lm" else "epochs"
        lines += [
            "    cfg = dict(CONFIG)",
            f'    cfg["{key}"] = int(os.environ.get("{key.upper()}", cfg["{key}"]))',
        ]
        call = f"{c.names['train']}(cfg)"
    lines.append(f"    {call}")
    return "\n".join(lines)


def _script(c: Ctx) -> str:
    config = _config_block(c)
    parts = _model(c)
    model_parts = list(parts)
    data = _data(c)
    ev = _eval(c)
    train = (
        _flax_train(c)
        if c.framework == "jax"
        else [_keras_train(c) if c.framework == "tensorflow" else _torch_train(c)]
    )
    core = [data, *model_parts, ev, *train] if c.chance(0.3) else [*model_parts, data, ev, *train]
    pool = UTILS["any"] + UTILS[c.framework]
    base = len(core) + (1 if c.style in ("dataclass", "argparse") else 0)
    n_utils = c.num(max(0, 5 - base), max(max(0, 5 - base), min(7, 15 - base)))
    chosen = c.rng.sample(pool, min(len(pool), n_utils))
    utils = [u(c) for u in chosen]
    main = _main(c)
    header = [_module_doc(c)]
    version = [f'__version__ = "{c.version}"'] if c.version else []
    sections = [config, *core]
    for u in utils:  # utilities land anywhere after the config
        sections.insert(c.num(1, len(sections)), u)
    text = ""
    while True:
        module = version + (["log = logging.getLogger(__name__)"] if c.uses_log else [])
        text = (
            header[0]
            + "\n\n"
            + "\n\n\n".join([_imports(c), *(["\n".join(module)] if module else []), *sections, main])
            + "\n"
        )
        n_lines = text.count("\n")
        removable = [s for s in sections if s in utils]
        if n_lines > 250 and removable:
            sections.remove(c.pick(*removable))
            continue
        if n_lines < 60:
            extra = [u for u in pool if u not in chosen]
            if extra:
                u = c.pick(*extra)
                chosen.append(u)
                src = u(c)
                utils.append(src)
                sections.insert(c.num(1, len(sections)), src)
                continue
        return text


# ---------------------------------------------------------------------------------------------------------
# choosing what each script is


def _new_ctx(rng: random.Random, slug: str, camel: str, arch: str, framework: str) -> Ctx:
    if arch == "transformer":
        kind = rng.choices(["text", "image"], [5, 1])[0]
        task = ("lm" if rng.random() < 0.5 else "cls") if kind == "text" else "cls"
    elif arch == "cnn":
        kind, task = "image", "cls"
    elif arch == "rnn":
        kind = rng.choice(["text", "series"])
        task = "cls" if kind == "text" else "reg"
    elif arch == "mlp":
        kind = rng.choice(["tabular", "tabular", "image"])
        task = "cls"
    else:
        kind, task = "image", "gen"
    if kind == "text":
        pool = [d for d in TEXT if (d[3] is None) == (task == "lm")]
        data = rng.choice(pool)
    elif kind == "image":
        data = rng.choice([d for d in IMAGES if (d[5] <= 64 if task == "gen" else d[6] > 0)])
    elif kind == "tabular":
        data = rng.choice(TABULAR)
        data = (data[0], None, None, None, 1, 0, data[1])
        task = "cls" if data[6] else "reg"
    else:
        data = (rng.choice(SERIES), None, None, None, 1, 0, 0)
    hidden = rng.choice(range(64, 1537, 32))
    heads = rng.choice([hd for hd in (2, 4, 6, 8, 12, 16) if hidden % hd == 0 and hidden // hd >= 16] or [4])
    c = Ctx(
        rng=rng,
        slug=slug,
        camel=camel,
        framework=framework,
        arch=arch,
        kind=kind,
        task=task,
        data=data,
        hidden=hidden,
        layers=rng.randint(2, 24) if arch == "transformer" else rng.randint(2, 8),
        heads=heads,
        dropout=rng.choice([0.0, 0.05, 0.1, 0.1, 0.15, 0.2, 0.25, 0.3]),
        batch_size=rng.choice([8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 512]),
        lr=f"{rng.choice([1, 2, 2.5, 3, 4, 5, 6, 8])}e-{rng.choice([3, 4, 4, 5])}"
        if rng.random() < 0.8
        else rng.choice(["0.01", "0.05", "0.1"]),
        epochs=rng.randint(3, 300),
        max_iters=rng.randint(2, 400) * 500,
        optimizer=rng.choice(list(OPTIMIZERS)),
        weight_decay=rng.choice(["0.0", "1e-4", "5e-4", "0.01", "0.05", "0.1"]),
        seed=rng.randint(0, 99999),
        style=rng.choice(["constants", "dataclass", "dict", "argparse"]),
    )
    c.v = {
        "x": rng.choice(["x", "x", "inputs", "feats", "hs", "xs"]),
        "btc": rng.choice(
            [
                ("B", "T", "C"),
                ("B", "T", "C"),
                ("bsz", "seqlen", "dim"),
                ("batch", "steps", "width"),
                ("n", "l", "d"),
            ]
        ),
        "blocks": rng.choice(["blocks", "layers", "h", "stack", "encoder_layers", "body"]),
        "model": rng.choice(["model", "model", "net", "network"]),
        "opt": rng.choice(["optimizer", "opt", "optim"]),
        "loss": rng.choice(["loss", "loss", "batch_loss", "objective"]),
        "step": rng.choice(["step", "global_step", "it", "iteration"]),
    }
    for group in ATTR_CHOICES:
        if rng.random() < 0.35:
            c.attrs.update(group)
    if c.kind == "image" and c.arch == "transformer":
        c.v["x"] = rng.choice(["x", "tokens", "patches"])
    word = slug.split("_")[0]
    c.names = {
        "hid": rng.choice(["hidden_size", "d_model", "n_embd", "embed_dim", "dim", "width"]),
        "lay": rng.choice(["num_layers", "n_layer", "depth", "n_layers"]),
        "head": rng.choice(["num_heads", "n_head", "num_attention_heads", "heads"]),
        "vocab": str(rng.choice([5000, 8192, 16384, 30522, 32000, 50257, 50304, 65536])),
        "max_len": str(rng.choice([64, 128, 256, 512, 1024, 2048])),
        "timesteps": rng.choice([250, 500, 1000, 1000, 2000, 4000]),
        "latent": rng.choice([64, 100, 128, 256, 512]),
        "model": camel
        + {
            "transformer": rng.choice(["Transformer", "LM", "Model", "Encoder"]),
            "cnn": rng.choice(["Net", "CNN", "ResNet", "Classifier"]),
            "rnn": rng.choice(["RNN", "LSTM", "Recurrent", "SeqModel"]),
            "mlp": rng.choice(["MLP", "Net", "FFN"]),
            "diffusion": rng.choice(["UNet", "Denoiser", "NoiseNet"]),
            "gan": rng.choice(["Generator", "Gen"]),
        }[arch],
        "build": rng.choice(
            ["build_model", f"build_{word}", f"make_{word}_model", "create_model", "get_model"]
        ),
        "load": rng.choice(
            [
                "load_data",
                "get_loaders",
                "build_dataloaders",
                "make_datasets",
                f"load_{c.data[0].replace('-', '_')}",
                "get_data",
                "prepare_data",
            ]
        ),
        "train": rng.choice(["train", "train_model", f"train_{word}", "fit", "run_training", "train_loop"]),
        "eval": rng.choice(
            ["evaluate", "eval_model", "validate", f"evaluate_{word}", "test_model", "run_eval"]
        )
        if task != "gen"
        else rng.choice(["sample", "generate_samples", "sample_images", "evaluate_samples"]),
    }
    if arch == "gan" and framework == "jax":
        c.names["model"] = camel + "Generator"
    return c


def _scripts(dest: Path, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """Write ``n`` scripts; return (slug, arch) of each."""
    used: set[str] = set()
    seen: set[str] = set()
    made: list[tuple[str, str, str, Path, int]] = []  # slug, arch, framework, folder, version
    out: list[tuple[str, str]] = []
    for _ in range(n):
        arch = rng.choice(list(ARCH_SHORT))
        framework = rng.choices(FRAMEWORKS, [5, 3, 2])[0]
        peers = [m for m in made if m[1] == arch and m[2] == framework]
        pred = None
        if peers and rng.random() < 0.25:
            base_slug, _, _, folder, ver = rng.choice(peers)
            stem = base_slug.rsplit("_v", 1)[0] if "_v" in base_slug else base_slug
            slug, k = f"{stem}_v{ver + 1}", ver + 1
            while slug in used:
                k += 1
                slug = f"{stem}_v{k}"
            pred, version = base_slug, k
        else:
            word, short = rng.choice(CODENAMES), rng.choice(ARCH_SHORT[arch])
            slug = f"{word}_{short}"
            while slug in used:
                slug = f"{word}{rng.randint(2, 999)}_{short}"
            version = 1
            depth = rng.choice([1, 2, 2, 3])
            parts = [rng.choice(AREA_BY_ARCH[arch] + ["research", "experiments", "baselines"])]
            if depth >= 2:
                parts.append(rng.choice([arch + "s", f"users/{rng.choice(PEOPLE)}", framework, *SUBS]))
            if depth >= 3:
                parts.append(rng.choice(SUBS))
            folder = Path(*parts)
        used.add(slug)
        camel = "".join(p[:1].upper() + p[1:] for p in slug.split("_"))
        c = _new_ctx(rng, slug, camel, arch, framework)
        c.seen = seen
        if pred:
            c.predecessor, c.version = pred, f"{version}.0"
        elif rng.random() < 0.2:
            c.version = f"1.{rng.randint(0, 9)}"
        made.append((slug, arch, framework, folder, version))
        fname = rng.choice(
            [f"{slug}.py", f"{slug}.py", f"train_{slug}.py", f"{slug}_{framework[:2]}.py", f"model_{slug}.py"]
        )
        path = dest / folder / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_script(c), encoding="utf-8")
        out.append((slug, arch))
    return out


# ---------------------------------------------------------------------------------------------------------
# images


def _image_array(nprng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A background gradient with a few random-colour rectangles and ellipses."""
    c0, c1 = nprng.integers(0, 256, 3), nprng.integers(0, 256, 3)
    t = np.linspace(0.0, 1.0, h)[:, None, None]
    img = (c0 * (1 - t) + c1 * t).repeat(w, axis=1)
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(int(nprng.integers(1, 5))):
        color = nprng.integers(0, 256, 3)
        x0, y0 = int(nprng.integers(0, w - 4)), int(nprng.integers(0, h - 4))
        x1, y1 = int(nprng.integers(x0 + 4, w + 1)), int(nprng.integers(y0 + 4, h + 1))
        if nprng.random() < 0.5:
            img[y0:y1, x0:x1] = color
        else:
            cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
            img[((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0] = color
    return img.astype(np.uint8)


def _infotext(rng: random.Random, seed: int, w: int, h: int, model: str) -> str:
    prompt = ", ".join(
        [
            f"{rng.choice(SUBJECTS)} {rng.choice(SETTINGS)}",
            rng.choice(STYLES),
            *rng.sample(DETAILS, rng.randint(1, 5)),
        ]
    )
    if rng.random() < 0.3:
        prompt = f"({rng.choice(DETAILS)}:{rng.choice(['1.1', '1.2', '1.3'])}), " + prompt
    negative = ", ".join(rng.sample(NEGATIVES, rng.randint(2, 6)))
    model_hash = hashlib.sha256(model.encode()).hexdigest()[:10]
    settings = [
        f"Steps: {rng.choice([12, 20, 20, 25, 28, 30, 40, 50, 60, 80])}",
        f"Sampler: {rng.choice(SAMPLERS)}",
    ]
    if rng.random() < 0.6:
        settings.append(f"Schedule type: {rng.choice(SCHEDULES)}")
    settings += [
        f"CFG scale: {rng.choice([3, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 9, 10, 12])}",
        f"Seed: {seed}",
        f"Size: {w}x{h}",
        f"Model hash: {model_hash}",
        f"Model: {model}",
    ]
    if rng.random() < 0.2:
        settings.append(f"Denoising strength: {rng.choice(['0.3', '0.45', '0.55', '0.7'])}")
    settings.append(f"Version: {rng.choice(['v1.6.0', 'v1.7.0', 'v1.9.4', 'v1.10.1'])}")
    parts = (
        [prompt] + ([f"Negative prompt: {negative}"] if rng.random() < 0.85 else []) + [", ".join(settings)]
    )
    return "\n".join(parts)


def _images(dest: Path, n: int, rng: random.Random, seed: int, generators: list[str]) -> None:
    nprng = np.random.default_rng(seed)
    seeds = rng.sample(range(1, 2**32), n)
    models = rng.sample(generators, min(len(generators), 24)) + SD_MODELS  # a few models produce most images
    days = sorted({f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(max(1, n // 40))})
    for i in range(n):
        w, h = rng.randrange(32, 97, 8), rng.randrange(32, 97, 8)
        model = rng.choice(models)
        day = rng.choice(days)
        info = PngInfo()
        info.add_text("parameters", _infotext(rng, seeds[i], w, h, model))
        folder = (
            Path("outputs", "txt2img-images", day)
            if model in SD_MODELS
            else Path("outputs", "samples", model, day)
        )
        path = dest / folder / f"{i:05d}-{seeds[i]}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(_image_array(nprng, w, h)).save(path, pnginfo=info, compress_level=1)


# ---------------------------------------------------------------------------------------------------------


def make_workspace(dest: Path, n_scripts: int = 1000, n_images: int = 1000, seed: int = 0) -> Path:
    """Write a synthetic workspace of ``n_scripts`` model scripts and ``n_images`` PNGs under ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    made = _scripts(dest, n_scripts, rng)
    generators = [slug for slug, arch in made if arch in ("diffusion", "gan")]
    _images(dest, n_images, random.Random(seed + 1), seed, generators)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic modelhub workspace.")
    parser.add_argument("dest", type=Path)
    parser.add_argument("--scripts", type=int, default=1000)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    make_workspace(args.dest, args.scripts, args.images, args.seed)
    files = [p for p in args.dest.rglob("*") if p.is_file()]
    n_py = sum(p.suffix == ".py" for p in files)
    n_png = sum(p.suffix == ".png" for p in files)
    size = sum(p.stat().st_size for p in files)
    print(
        f"{args.dest}: {n_py} scripts, {n_png} images, {size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
