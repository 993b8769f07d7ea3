"""Structure-aware hypothesis strategies for the parser fuzzer (``test_fuzz.py``, ``benchmarks/fuzz_parsers.py``).

Inputs are built the way the real formats are built, then bent: JSON values with the keys the
parsers look for and values of the wrong type at every level, A1111 infotext from key/value
fragments and separators, ComfyUI graphs whose links point anywhere (cycles included), YAML with
anchors, aliases, merge keys and tags, Python source from fragments (deep nesting, long lines,
decorators, f-strings), notebooks with cells of the wrong type, safetensors/GGUF headers whose
counts and lengths lie, zips with patched header fields, and PNG/JPEG/WebP files written by
Pillow with random text chunks and EXIF, or mutated byte by byte and chunk by chunk.

Every strategy returns plain values (``str``, ``bytes``, ``dict`` of file name to bytes), so a
failure found by hypothesis can be pinned with ``@example(...)``.
"""

from __future__ import annotations

import io
import json
import math
import random
import struct
import zipfile
import zlib
from typing import Any

from hypothesis import strategies as st
from PIL import Image
from PIL.PngImagePlugin import PngInfo

# ----------------------------------------------------------------------------- vocabulary

ODD_STRINGS = [
    "", " ", "\0", "\n", "\r\n", "\t", "é", "日本語", "\u2028", "\ufeff", "\ud800", "a\udfffb",
    "NaN", "Infinity", "-0", "1e999", "1e-999", "0x1F",
    "<lora:", "<lora:a:1>", "<lyco:b:0.5:x>", "[neg]", "(word:1.2)", "\\(", "BREAK", "512x768",
    "(1024, 1024)", "dpmpp_2m_karras", "k_euler_ancestral", "DPM++ 2M Karras", "karras",
    "DPMSolverMultistepScheduler", "KSampler", "models/a.safetensors", "..\\..\\x.ckpt", "None",
    "null", "true", "{", "[", '"', "'", "{}", "[]", '{"a":', "prompt:{", "workflow:[", "%s%n",
    "\x1b[31m", "<script>", "${HOME}", "../../etc/passwd",
]  # fmt: skip

ML_KEYS = [
    "model", "model_type", "architectures", "hidden_size", "num_layers", "num_hidden_layers",
    "num_attention_heads", "vocab_size", "learning_rate", "lr", "batch_size", "epochs", "max_iters",
    "optimizer", "dataset", "name", "version", "training", "config", "layers", "dropout", "seed",
    "framework", "accuracy", "loss", "perplexity", "base_model", "predecessor", "tags", "license",
]  # fmt: skip

# Keys of the generation-settings JSON formats (sd_metadata._ALIASES and friends).
GENERATION_KEYS = [
    "prompt", "positive_prompt", "positive", "prompt_text", "negative_prompt", "negativeprompt",
    "negative", "uc", "steps", "num_inference_steps", "sampling_steps", "num_steps", "cfg_scale",
    "cfgscale", "cfg", "guidance_scale", "scale", "guidance", "seed", "noise_seed", "sampler",
    "sampler_name", "sampling_method", "scheduler", "schedule_type", "noise_schedule", "model",
    "model_checkpoint", "checkpoint", "ckpt_name", "model_name", "base_model", "sd_model",
    "model_weights", "model_id", "model_hash", "sd_model_hash", "hash", "denoising_strength",
    "denoise", "strength", "width", "height", "size", "resolution", "creation_date", "created",
    "created_at", "date", "loras", "lora", "sui_image_params", "parameters", "image", "v4_prompt",
    "v4_negative_prompt", "caption", "base_caption", "noise", "Model", "Steps", "CFG Scale",
]  # fmt: skip

SAMPLER_NAMES = [
    "euler",
    "euler_ancestral",
    "dpmpp_2m",
    "dpmpp_2m_sde_gpu",
    "k_dpmpp_2m_k",
    "ddim",
    "lcm",
    "Euler a",
    "DPM++ 2M Karras",
    "unknown sampler",
    "dpmpp_2m_karras",
    "uni_pc_bh2",
]
SCHEDULER_NAMES = ["karras", "normal", "simple", "sgm_uniform", "exponential", "Align Your Steps", "x"]


def odd_strings() -> st.SearchStrategy[str]:
    """Short odd strings, and long runs of digits or letters (int() refuses 5,000 digits)."""
    runs = st.tuples(st.sampled_from(["9", "x", "-9", " ", "é"]), st.sampled_from([70, 400, 2000, 5000]))
    return st.sampled_from(ODD_STRINGS) | runs.map(lambda r: r[0] * r[1])


def _keys(vocabulary: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(vocabulary) | st.text(max_size=12)


def scalars(texts: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Any]:
    """JSON scalars, biased to the edges: huge and negative ints, NaN/inf, odd strings."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.sampled_from([0, 1, -1, 2**31, 2**63, 2**64, 2**64 + 1, 10**15 + 1, 10**30, -(10**30)]),
        st.floats(allow_nan=True, allow_infinity=True),
        odd_strings(),
        texts if texts is not None else st.text(max_size=40),
    )


def json_values(keys: list[str] = ML_KEYS, max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars, lists and objects whose keys come mostly from ``keys``."""
    return st.recursive(
        scalars(),
        lambda children: st.lists(children, max_size=6) | st.dictionaries(_keys(keys), children, max_size=6),
        max_leaves=max_leaves,
    )


def chance(draw: st.DrawFn, per_mille: int) -> bool:
    """True about ``per_mille``/1000 of the time (never for 0, and then nothing is drawn)."""
    return per_mille > 0 and draw(st.integers(0, 999)) < per_mille


def weighted(choices: list[tuple[int, st.SearchStrategy[Any]]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each with its weight (``a | b`` gives every branch the same share)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


def fault_rate(draw: st.DrawFn) -> int:
    """How often one file lies (per mille of its fields): never for a third of the files (they
    reach the deep code), else about 1 field in 50, in 8 or in 3."""
    return draw(st.sampled_from([0, 0, 20, 120, 330]))


@st.composite
def shaped(
    draw: st.DrawFn,
    spec: dict[str, st.SearchStrategy[Any]],
    keys: list[str] = ML_KEYS,
    presence: int = 600,
    wrong: int | None = None,
) -> Any:
    """A dict with some of ``spec``'s keys (each present ``presence`` per mille of the time); a
    value is of the expected shape unless this dict's fault rate makes it any JSON value (the
    wrong type); then there may also be extra keys, or no dict at all."""
    rate = fault_rate(draw) if wrong is None else wrong
    if chance(draw, rate // 5):
        return draw(json_values(keys))
    out: dict[str, Any] = {}
    for key in sorted(spec):
        if chance(draw, presence):
            out[key] = draw(json_values(keys, 6)) if chance(draw, rate) else draw(spec[key])
    if chance(draw, rate):
        for key, value in draw(st.lists(st.tuples(_keys(keys), json_values(keys, 4)), max_size=2)):
            out.setdefault(key, value)
    return out


def json_text(value: Any, draw: st.DrawFn) -> str:
    """``value`` as JSON text (ASCII or not, compact or indented), sometimes damaged."""
    text = json.dumps(value, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1, 2])))
    how = draw(st.integers(0, 15))
    if how == 0 and text:  # cut short
        return text[: draw(st.integers(0, len(text) - 1))]
    if how == 1:  # trailing junk
        return text + draw(st.sampled_from([",", "}", "]", " x", "\0", "\n{}"]))
    if how == 2:  # deeply nested wrapper (RecursionError territory)
        depth = draw(st.sampled_from([50, 900, 5000, 100_000]))
        return "[" * depth + text + "]" * depth
    if how == 3:  # a number Python's int() refuses
        return text.replace("0", "9" * 5000, 1) if "0" in text else "9" * 5000
    return text


# ----------------------------------------------------------------------------- A1111 infotext

A1111_KEYS = [
    "Steps",
    "Sampler",
    "Schedule type",
    "CFG scale",
    "Seed",
    "Size",
    "Model hash",
    "Model",
    "Denoising strength",
    "Lora hashes",
    "Hashes",
    "Version",
    "Clip skip",
    "VAE",
    "Hires upscale",
    "ADetailer prompt",
    "TI hashes",
    "Emphasis",
]


@st.composite
def prompt_text(draw: st.DrawFn) -> str:
    pieces = st.one_of(
        st.text(max_size=20),
        odd_strings(),
        st.builds(
            lambda n, w: f"<lora:{n}:{w}>", st.text(max_size=10), st.floats(-2, 2) | st.text(max_size=4)
        ),
        st.builds(lambda n: f"<lyco:{n}>", st.text(max_size=10)),
        st.builds(lambda t, w: f"({t}:{w})", st.text(max_size=10), st.floats(0, 2)),
        st.sampled_from(["masterpiece", "best quality", "1girl", "BREAK", "[[x]]", "{a|b}", "\\(y\\)"]),
    )
    sep = st.sampled_from([", ", ",", " ", "\n", " BREAK ", "; "])
    parts = draw(st.lists(st.tuples(pieces, sep), max_size=12))
    return "".join(p + s for p, s in parts)


@st.composite
def a1111_value(draw: st.DrawFn, key: str) -> str:
    if key == "Hashes":
        return json.dumps(draw(json_values(["model", "lora:a", "lora:b", "vae", "embed:x"], 8)))
    if key == "Lora hashes":
        return '"' + ", ".join(draw(st.lists(st.text(max_size=8), max_size=4))) + '"'
    return draw(
        st.one_of(
            st.integers(-(2**70), 2**70).map(str),
            st.floats().map(str),
            st.sampled_from(SAMPLER_NAMES + SCHEDULER_NAMES + ODD_STRINGS),
            st.builds(lambda w, h: f"{w}x{h}", st.integers(0, 10**12), st.integers(-5, 10**12)),
            st.text(max_size=20).map(lambda t: '"' + t.replace('"', '\\"') + '"'),
            st.text(max_size=20),
            st.just('"unterminated'),
        )
    )


@st.composite
def a1111_text(draw: st.DrawFn) -> str:
    """Prompt lines, ``Negative prompt:`` lines and a settings line, from fragments and separators."""
    lines = draw(st.lists(prompt_text(), max_size=3))
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["Negative prompt: ", "Negative prompt:", "negative prompt: "])))
        lines[-1] += draw(prompt_text())
        lines += draw(st.lists(prompt_text(), max_size=2))
    pairs = []
    for key in draw(st.lists(st.sampled_from(A1111_KEYS) | st.text(max_size=12), max_size=12)):
        colon = draw(st.sampled_from([": ", ":", " : ", ":  ", ""]))
        pairs.append(key + colon + draw(a1111_value(key)))
    if pairs:
        lines.append(draw(st.sampled_from([", ", ",", " ,", ",,", ", \t"])).join(pairs))
    if draw(st.integers(0, 9)) == 0:  # a long line without a colon (the regex A1111 uses backtracks on it)
        lines.append(draw(st.sampled_from(["a ", "a-", "a/", "ab "])) * draw(st.integers(1, 20_000)))
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


# ----------------------------------------------------------------------------- ComfyUI

COMFY_CLASSES = [
    "KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced", "CLIPTextEncode",
    "CLIPTextEncodeSDXL", "CheckpointLoaderSimple", "UNETLoader", "LoraLoader", "LoraLoaderModelOnly",
    "EmptyLatentImage", "EmptySD3LatentImage", "VAEDecode", "SaveImage", "ControlNetApplyAdvanced",
    "CFGGuider", "BasicGuider", "RandomNoise", "KSamplerSelect", "BasicScheduler", "PrimitiveNode",
    "Power Lora Loader (rgthree)", "ConditioningCombine", "MySampler", "TextEncodeQwen", "",
]  # fmt: skip
COMFY_INPUTS = [
    "positive", "negative", "conditioning", "cond1", "cond2", "guider", "model", "clip", "vae",
    "latent_image", "samples", "latent", "text", "text_g", "text_l", "clip_l", "t5xxl", "prompt",
    "string", "value", "text_a", "seed", "noise_seed", "steps", "cfg", "sampler_name", "scheduler",
    "denoise", "add_noise", "ckpt_name", "unet_name", "lora_name", "width", "height", "noise",
    "sampler", "sigmas", "lora_1", "int", "float", "number", "populated_text", "checkpoint",
]  # fmt: skip


def node_ids() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(0, 40).map(str),
        st.sampled_from(["", "0", "01", "١٢", "²", "9" * 30, "x" * 300, "3:1", "-1"]),
        st.text(max_size=6),
    )


@st.composite
def comfy_input(draw: st.DrawFn, ids: list[str], name: str) -> Any:
    kind = draw(st.integers(0, 9))
    if kind <= 3 and ids:  # a link, most often to a node that exists
        target: Any = draw(st.sampled_from(ids))
        if draw(st.integers(0, 4)) == 0:
            target = draw(st.integers(-1, 50) | node_ids() | scalars())
        elif target.isascii() and target.isdigit() and len(target) < 5 and draw(st.booleans()):
            target = int(target)
        return [target, draw(st.integers(-1, 3) | scalars())]
    if kind == 4:
        return {"on": draw(scalars()), "lora": draw(st.text(max_size=20) | scalars()), "strength": 1.0}
    if kind == 5:
        return draw(json_values(COMFY_INPUTS, 6))
    if name in ("sampler_name",):
        return draw(st.sampled_from(SAMPLER_NAMES) | scalars())
    if name in ("scheduler",):
        return draw(st.sampled_from(SCHEDULER_NAMES) | scalars())
    if name in ("text", "text_g", "text_l", "prompt", "string", "positive", "negative", "t5xxl"):
        return draw(prompt_text() | scalars())
    return draw(scalars())


@st.composite
def comfy_graph(draw: st.DrawFn, max_nodes: int = 12) -> dict[str, Any]:
    """A ComfyUI API graph (the PNG ``prompt`` chunk): links between nodes that exist, cycles,
    dangling links, wrong types for nodes, inputs and link parts."""
    ids = draw(st.lists(node_ids(), max_size=max_nodes, unique=True))
    graph: dict[str, Any] = {}
    for nid in ids:
        if draw(st.integers(0, 9)) == 0:
            graph[nid] = draw(json_values(["class_type", "inputs"], 6))
            continue
        inputs: Any = {}
        for name in draw(st.lists(st.sampled_from(COMFY_INPUTS) | st.text(max_size=6), max_size=7)):
            inputs[name] = draw(comfy_input(ids, name))
        if draw(st.integers(0, 14)) == 0:
            inputs = draw(json_values(COMFY_INPUTS, 4))
        node: dict[str, Any] = {
            "class_type": draw(st.sampled_from(COMFY_CLASSES) | scalars()),
            "inputs": inputs,
        }
        if draw(st.booleans()):
            node["_meta"] = {"title": draw(st.text(max_size=10))}
        graph[nid] = node
    return graph


@st.composite
def comfy_graph_bulk(draw: st.DrawFn) -> dict[str, Any]:
    """A large graph (hundreds to thousands of nodes, many links and cycles) to spend the step budget."""
    rnd = random.Random(draw(st.integers(0, 2**32)))  # st.randoms() would draw every call from the buffer
    n = draw(st.sampled_from([50, 300, 1500, 10_050]))
    samplers = draw(st.integers(1, 60))
    graph: dict[str, Any] = {}
    for i in range(n):
        cls = "KSampler" if i < samplers else rnd.choice(COMFY_CLASSES)
        inputs: dict[str, Any] = {}
        for name in rnd.sample(COMFY_INPUTS, 6):
            inputs[name] = [str(rnd.randrange(n)), rnd.randrange(2)] if rnd.random() < 0.8 else "x"
        graph[str(i)] = {"class_type": cls, "inputs": inputs}
    return graph


WIDGET_TYPES = [
    "KSampler",
    "KSamplerAdvanced",
    "CLIPTextEncode",
    "CLIPTextEncodeSDXL",
    "CheckpointLoaderSimple",
    "UNETLoader",
    "EmptyLatentImage",
    "LoraLoader",
    "LoraLoaderModelOnly",
    "PrimitiveNode",
    "Note",
    "Reroute",
]


@st.composite
def comfy_workflow(draw: st.DrawFn) -> Any:
    """A ComfyUI UI workflow (the PNG ``workflow`` chunk): nodes with widgets, links as lists or
    dicts, every field sometimes of the wrong type."""
    node_count = draw(st.integers(0, 10))
    ids = list(range(1, node_count + 1))
    link_ids = draw(st.lists(st.integers(0, 30), max_size=12))
    nodes: list[Any] = []
    for nid in ids:
        if draw(st.integers(0, 9)) == 0:
            nodes.append(draw(json_values(["id", "type", "inputs", "widgets_values"], 6)))
            continue
        ntype = draw(st.sampled_from(WIDGET_TYPES) | scalars())
        widgets = draw(st.lists(scalars(prompt_text()), max_size=10) | json_values(max_leaves=4))
        slots = [
            {
                "name": draw(st.sampled_from(COMFY_INPUTS) | scalars()),
                "link": draw(st.sampled_from(link_ids or [0]) | scalars()),
            }
            if draw(st.integers(0, 6))
            else draw(json_values(max_leaves=3))
            for _ in range(draw(st.integers(0, 4)))
        ]
        node_id: Any = nid if draw(st.integers(0, 9)) else draw(scalars())
        nodes.append({"id": node_id, "type": ntype, "widgets_values": widgets, "inputs": slots})
    links: list[Any] = []
    for lid in link_ids:
        origin: Any = draw(st.sampled_from(ids or [0]) | scalars())
        slot = draw(st.integers(-1, 3) | scalars())
        form = draw(st.integers(0, 5))
        if form <= 2:
            links.append([lid, origin, slot, draw(st.sampled_from(ids or [0])), 0, "MODEL"])
        elif form == 3:
            links.append({"id": lid, "origin_id": origin, "origin_slot": slot})
        else:
            links.append(draw(json_values(max_leaves=4)))
    workflow: dict[str, Any] = {"nodes": nodes, "links": links, "version": 0.4}
    if draw(st.integers(0, 9)) == 0:
        workflow[draw(st.sampled_from(["nodes", "links"]))] = draw(json_values(max_leaves=4))
    return workflow


# ----------------------------------------------------------------------------- InvokeAI / NovelAI / generic


def _model_value() -> st.SearchStrategy[Any]:
    return st.text(max_size=30) | shaped(
        {
            "name": st.text(max_size=20),
            "model_name": st.text(max_size=20),
            "key": st.text(max_size=10),
            "hash": st.text(max_size=16),
            "base": st.sampled_from(["sd-1", "sdxl", "flux"]),
        }
    )


def _lora_list() -> st.SearchStrategy[Any]:
    item = st.one_of(
        st.text(max_size=12),
        shaped({"model": _model_value(), "lora": _model_value(), "weight": st.floats()}),
        scalars(),
    )
    return st.lists(item, max_size=6) | item


def _generation_spec() -> dict[str, st.SearchStrategy[Any]]:
    text = prompt_text() | scalars()
    number = scalars(st.integers(0, 200).map(str))
    return {
        "prompt": text | st.lists(shaped({"prompt": text, "weight": st.floats()}), max_size=3),
        "positive_prompt": text, "negative_prompt": text, "uc": text, "negative": text,
        "steps": number, "num_inference_steps": number, "cfg_scale": number, "guidance_scale": number,
        "seed": number, "noise_seed": number, "width": number, "height": number, "strength": number,
        "denoising_strength": number, "sampler": st.sampled_from(SAMPLER_NAMES) | scalars(),
        "sampler_name": st.sampled_from(SAMPLER_NAMES) | scalars(),
        "scheduler": st.sampled_from(SAMPLER_NAMES + SCHEDULER_NAMES) | scalars(),
        "model": _model_value(), "model_weights": st.text(max_size=20), "model_hash": st.text(max_size=16),
        "size": st.sampled_from(["512x768", "(1024, 1024)", "x", "9" * 70]) | st.lists(number, max_size=3),
        "resolution": scalars(), "created": scalars(), "loras": _lora_list(), "lora": _lora_list(),
        "parameters": a1111_text(), "Steps": number, "CFG Scale": number, "Model": st.text(max_size=10),
    }  # fmt: skip


@st.composite
def generation_json(draw: st.DrawFn) -> Any:
    """Flat generation settings (sidecar, InvokeAI 3+, SwarmUI, Fooocus), possibly wrapped in
    ``sui_image_params`` several levels deep."""
    data = draw(shaped(_generation_spec(), GENERATION_KEYS, presence=250))
    for _ in range(draw(st.integers(0, 12)) if draw(st.integers(0, 4)) == 0 else 0):
        data = {"sui_image_params": data, "sui_extra_data": draw(json_values(max_leaves=3))}
    return data


@st.composite
def invokeai_legacy(draw: st.DrawFn) -> Any:
    """InvokeAI 1.x/2.x ``sd-metadata``: model_weights, model_hash and an ``image`` dict."""
    image = draw(generation_json())
    return draw(
        shaped(
            {
                "model_weights": st.text(max_size=20) | scalars(),
                "model_hash": st.text(max_size=64) | scalars(),
                "image": st.just(image),
                "app_version": st.text(max_size=6),
            }
        )
    )


@st.composite
def novelai_comment(draw: st.DrawFn) -> Any:
    """NovelAI ``Comment`` JSON (v3 and v4 prompt structures)."""
    spec = _generation_spec()
    caption = shaped({"base_caption": prompt_text() | scalars(), "char_captions": json_values(max_leaves=3)})
    spec["v4_prompt"] = shaped({"caption": caption, "use_coords": st.booleans()})
    spec["v4_negative_prompt"] = shaped({"caption": caption})
    spec["noise"] = scalars()
    return draw(shaped(spec, GENERATION_KEYS, presence=250))


@st.composite
def user_comment(draw: st.DrawFn) -> bytes:
    """An EXIF UserComment: an 8-byte charset prefix and a body in some encoding (or junk)."""
    prefix = draw(
        st.sampled_from([b"UNICODE\0", b"ASCII\0\0\0", b"JIS\0\0\0\0\0", b"\0" * 8, b""])
        | st.binary(min_size=8, max_size=8)
    )
    text = draw(a1111_text() | st.text(max_size=60) | generation_json().map(json.dumps))
    encoding = draw(st.sampled_from(["utf-16-le", "utf-16-be", "utf-16", "utf-8", "latin-1", "shift_jis"]))
    body = (
        text.encode(encoding, errors="replace") if draw(st.integers(0, 5)) else draw(st.binary(max_size=64))
    )
    if draw(st.integers(0, 4)) == 0:
        body = body[: len(body) - 1]  # an odd length
    return prefix + body


# ----------------------------------------------------------------------------- images

TEXT_KEYS = [
    "parameters",
    "prompt",
    "workflow",
    "invokeai_metadata",
    "sd-metadata",
    "Software",
    "Comment",
    "Description",
    "Source",
    "Creation Time",
    "date:create",
    "Title",
    "generation_data",
]


@st.composite
def text_chunk_value(draw: st.DrawFn, key: str) -> str:
    if key == "parameters":
        return draw(a1111_text() | st.text(max_size=30) | generation_json().map(json.dumps))
    if key == "prompt":
        return json_text(draw(comfy_graph() | generation_json()), draw)
    if key == "workflow":
        return json_text(draw(comfy_workflow()), draw)
    if key in ("invokeai_metadata", "generation_data"):
        return json_text(draw(generation_json()), draw)
    if key == "sd-metadata":
        return json_text(draw(invokeai_legacy()), draw)
    if key == "Comment":
        return json_text(draw(novelai_comment()), draw)
    if key == "Software":
        return draw(st.sampled_from(["NovelAI", "NovelAI Diffusion", "ComfyUI", ""]) | st.text(max_size=10))
    if key == "Source":
        return draw(
            st.sampled_from(["NovelAI Diffusion V4 37C1E6FC", "Stable Diffusion 1.5 ABCDEF01", "X"])
            | st.text()
        )
    if key in ("Creation Time", "date:create"):
        return draw(
            st.sampled_from(["2023:01:02 03:04:05", "2023-01-02T03:04:05", "x" * 80, "\0\0"])
            | st.text(max_size=20)
        )
    return draw(st.text(max_size=40) | odd_strings())


@st.composite
def exif_bytes(draw: st.DrawFn) -> bytes | None:
    """EXIF with a UserComment, dates, an orientation and ComfyUI-style ``prompt:``/``workflow:`` tags."""
    if draw(st.booleans()):
        return None
    exif = Image.Exif()
    if draw(st.booleans()):
        exif[0x0112] = draw(st.integers(0, 10))  # Orientation
    if draw(st.booleans()):
        exif[0x0132] = draw(st.sampled_from(["2023:01:02 03:04:05", "garbage", ""]))  # DateTime
    if draw(st.booleans()):
        exif[0x010E] = draw(prompt_text())  # ImageDescription
    if draw(st.booleans()):
        exif[0x0110] = "prompt:" + json_text(draw(comfy_graph()), draw)  # Model (ComfyUI WebP)
    if draw(st.booleans()):
        exif[0x010F] = "workflow:" + json_text(draw(comfy_workflow()), draw)  # Make
    sub: dict[int, Any] = {}
    if draw(st.booleans()):
        sub[0x9286] = draw(user_comment())
    if draw(st.booleans()):
        sub[0x9003] = draw(st.sampled_from(["2023:01:02 03:04:05", "1:2", ""]))  # DateTimeOriginal
    if sub:
        exif[0x8769] = sub
    try:
        return exif.tobytes()
    except Exception:  # noqa: BLE001 - a value Pillow cannot write: no EXIF then
        return None


# The text chunks each generator writes (NovelAI's Comment only counts with its Software chunk).
GENERATORS = [
    (),
    ("parameters",),
    ("prompt", "workflow"),
    ("prompt",),
    ("workflow",),
    ("invokeai_metadata",),
    ("sd-metadata",),
    ("Software", "Comment", "Description", "Source"),
    ("Software", "Description"),
    ("parameters", "prompt", "workflow"),
    ("Creation Time", "Title"),
]


@st.composite
def generated_image(draw: st.DrawFn) -> bytes:
    """A PNG (most often), JPEG or WebP written by Pillow with random text chunks and EXIF."""
    fmt = draw(st.sampled_from(["PNG"] * 6 + ["JPEG", "WEBP"]))
    mode = draw(
        st.sampled_from(["RGB", "RGBA", "L", "LA", "P", "1", "I;16"] if fmt == "PNG" else ["RGB", "L"])
    )
    size = (draw(st.integers(1, 40)), draw(st.integers(1, 40)))
    img = Image.new(mode, size)
    exif = draw(exif_bytes())
    buf = io.BytesIO()
    kwargs: dict[str, Any] = {"exif": exif} if exif else {}
    if fmt == "PNG":
        info = PngInfo()
        keys = list(draw(st.sampled_from(GENERATORS)))
        if draw(st.booleans()):
            any_key = st.text(st.characters(max_codepoint=255), min_size=1, max_size=20)
            keys += draw(st.lists(weighted([(4, st.sampled_from(TEXT_KEYS)), (1, any_key)]), max_size=4))
        for key in keys:
            value = draw(text_chunk_value(key))
            kind = draw(st.sampled_from(["text", "ztext", "itxt", "izip"]))
            try:
                if kind == "itxt" or kind == "izip":
                    info.add_itxt(
                        key, value, lang=draw(st.sampled_from(["", "en", "x" * 90])), zip=kind == "izip"
                    )
                else:
                    info.add_text(key, value, zip=kind == "ztext")
            except (UnicodeEncodeError, ValueError):
                continue
        kwargs["pnginfo"] = info
    elif fmt == "JPEG":
        if draw(st.booleans()):
            kwargs["comment"] = draw(a1111_text()).encode("utf-8", "surrogatepass")
    try:
        img.save(buf, fmt, **kwargs)
    except (ValueError, OSError, UnicodeEncodeError):
        buf = io.BytesIO()
        img.save(buf, fmt)
    return buf.getvalue()


def png_chunks(data: bytes) -> tuple[bytes, list[list[Any]]] | None:
    """Split a PNG into its signature and ``[length, type, data, crc]`` chunks (None if not a PNG)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    chunks, pos = [], 8
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        crc = data[pos + 8 + length : pos + 12 + length]
        chunks.append([length, kind, body, crc])
        pos += 12 + length
    return data[:8], chunks


def png_join(signature: bytes, chunks: list[list[Any]]) -> bytes:
    return signature + b"".join(struct.pack(">I", c[0]) + c[1] + c[2] + c[3] for c in chunks)


def with_crc(kind: bytes, body: bytes) -> list[Any]:
    return [len(body), kind, body, struct.pack(">I", zlib.crc32(kind + body))]


EXTRA_CHUNKS = [
    b"tEXt",
    b"zTXt",
    b"iTXt",
    b"eXIf",
    b"iCCP",
    b"sPLT",
    b"tIME",
    b"pHYs",
    b"acTL",
    b"fcTL",
    b"fdAT",
    b"IDAT",
    b"IEND",
    b"PLTE",
    b"tRNS",
    b"gAMA",
    b"sBIT",
    b"cHRM",
    b"IHDR",
]


@st.composite
def extra_chunk(draw: st.DrawFn) -> list[Any]:
    kind = draw(st.sampled_from(EXTRA_CHUNKS) | st.binary(min_size=4, max_size=4))
    key = draw(st.sampled_from([k.encode() for k in TEXT_KEYS]) | st.binary(max_size=12))
    value = draw(
        st.binary(max_size=64)
        | text_chunk_value("parameters").map(lambda t: t.encode("utf-8", "surrogatepass"))
    )
    if kind == b"zTXt":
        payload = value if draw(st.booleans()) else b"A" * draw(st.sampled_from([10, 100_000, 3_000_000]))
        body = key + b"\0" + bytes([draw(st.integers(0, 2))]) + zlib.compress(payload)
    elif kind == b"iTXt":
        flag = draw(st.integers(0, 2))
        text = zlib.compress(value) if flag == 1 and draw(st.booleans()) else value
        body = key + b"\0" + bytes([flag, 0]) + b"en\0" + b"\0" + text
    elif kind == b"tEXt":
        body = key + draw(st.sampled_from([b"\0", b"", b"\0\0"])) + value
    elif kind == b"eXIf":
        body = draw(st.sampled_from([b"MM\0*", b"II*\0", b""])) + draw(st.binary(max_size=64))
    elif kind == b"IHDR":
        body = _ihdr(draw)
    else:
        body = draw(st.binary(max_size=32))
    chunk = with_crc(kind, body)
    if draw(st.integers(0, 5)) == 0:
        chunk[3] = draw(st.binary(min_size=4, max_size=4))  # a bad CRC
    return chunk


def _ihdr(draw: st.DrawFn) -> bytes:
    dim = st.integers(0, 64) | st.sampled_from([0, 1, 9459, 9460, 65_535, 2**31 - 1, 2**32 - 1])
    return struct.pack(
        ">IIBBBBB",
        draw(dim),
        draw(dim),
        draw(st.sampled_from([1, 2, 4, 8, 16]) | st.integers(0, 255)),
        draw(st.sampled_from([0, 2, 3, 4, 6]) | st.integers(0, 255)),
        draw(st.integers(0, 1)),
        draw(st.integers(0, 1)),
        draw(st.integers(0, 2)),
    )


@st.composite
def mutated_image(draw: st.DrawFn) -> bytes:
    """A valid image, then mutated: PNG chunks dropped, repeated, reordered, resized (IHDR) or
    inserted with fixed or broken CRCs, and raw bytes flipped, inserted, deleted or cut."""
    data = draw(generated_image())
    parts = png_chunks(data)
    if parts is not None and draw(st.booleans()):
        signature, chunks = parts
        for _ in range(draw(st.integers(1, 4))):
            op = draw(st.integers(0, 6))
            at = draw(st.integers(0, len(chunks)))
            if op == 0 and chunks:
                del chunks[min(at, len(chunks) - 1)]
            elif op == 1 and chunks:
                chunks.insert(at, list(chunks[min(at, len(chunks) - 1)]))
            elif op == 2 and len(chunks) > 1:
                i, j = draw(st.integers(0, len(chunks) - 1)), draw(st.integers(0, len(chunks) - 1))
                chunks[i], chunks[j] = chunks[j], chunks[i]
            elif op == 3 and chunks:
                chunks[0] = with_crc(b"IHDR", _ihdr(draw))
            elif op == 4 and chunks:
                chunks[min(at, len(chunks) - 1)][0] = draw(st.integers(0, 2**32 - 1))  # a lying length
            else:
                chunks.insert(at, draw(extra_chunk()))
        data = png_join(signature, chunks)
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        op = draw(st.integers(0, 4))
        at = draw(st.integers(0, len(data) - 1))
        if op == 0:
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]
        elif op == 1:
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
        elif op == 2:
            data = data[:at] + data[at + draw(st.integers(1, 64)) :]
        elif op == 3:
            data = data[: max(at, 1)]
        else:
            data = data[:at] + bytes([draw(st.sampled_from([0, 0xFF, 0x7F, 0x80]))]) + data[at + 1 :]
    return data


@st.composite
def image_folder(draw: st.DrawFn) -> tuple[str, dict[str, bytes]]:
    """(image file name, {file name: bytes}): the image and maybe its sidecars."""
    data = draw(weighted([(6, generated_image()), (3, mutated_image()), (1, st.binary(max_size=64))]))
    name = file_stem(draw, "img") + draw(
        st.sampled_from([".png", ".png", ".jpg", ".webp", ".jpeg", ".PNG", ".gif"])
    )
    files = {name: data}
    stem = name.rsplit(".", 1)[0]
    for sidecar in draw(
        st.lists(st.sampled_from([f"{stem}.json", f"{name}.json", f"{stem}.txt"]), max_size=2, unique=True)
    ):
        if sidecar.endswith(".txt"):
            text = draw(a1111_text() | st.text(max_size=40))
        else:
            text = json_text(
                draw(
                    generation_json()
                    | st.builds(lambda g: {"prompt": g}, comfy_graph())
                    | json_values(GENERATION_KEYS)
                ),
                draw,
            )
        raw = text.encode("utf-8", "surrogatepass")
        files[sidecar] = raw if draw(st.integers(0, 9)) else draw(st.binary(max_size=40))
    return name, files


# ----------------------------------------------------------------------------- safetensors

ST_DTYPES = {
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I8": 1,
    "U8": 1,
    "I64": 8,
    "BOOL": 1,
    "F8_E4M3": 1,
    "F64": 8,
    "C64": 8,
    "F4": 1,
}
BAD_DTYPES = ["X", "f32", "", "F" * 40, "F32 ", "ü", "F32\\n"]
TENSOR_NAMES = [
    "model.embed_tokens.weight",
    "model.layers.0.self_attn.q_proj.weight",
    "lm_head.weight",
    "unet.down_blocks.0.attentions.0.proj.weight",
    "model.diffusion_model.input_blocks.0.0.weight",
    "encoder.lstm.weight_ih_l0",
    "features.0.conv.weight",
    "__metadata__",
]


def safetensors_bytes(header: dict[str, Any], body: bytes = b"") -> bytes:
    """A safetensors file with this header (for ``@example`` regressions)."""
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


@st.composite
def safetensors_file(draw: st.DrawFn) -> bytes:
    """8-byte length + JSON header + tensor data. Well formed (consecutive offsets, a body of the
    right size, a ``__metadata__`` with modelspec keys) unless this file's fault rate makes a
    dtype, shape, offset, the JSON, the padding or the length lie."""
    rate = fault_rate(draw)
    header: dict[str, Any] = {}
    if draw(st.booleans()):
        meta_spec = {
            "format": st.sampled_from(["pt", "tf", "flax", "mlx", "np", "torch", "x"]),
            "modelspec.title": st.text(max_size=20),
            "modelspec.architecture": st.sampled_from(["stable-diffusion-xl-v1-base", "llama", "gan", "x"]),
            "modelspec.description": st.text(max_size=50),
            "modelspec.license": st.text(max_size=10),
            "modelspec.author": st.text(max_size=10),
        }
        header["__metadata__"] = draw(shaped(meta_spec, wrong=rate))
    offset = 0
    dim = st.integers(0, 64)
    big_dim = st.sampled_from([-1, 10**15, 10**15 + 1, 2**63, 2**64, 2**70]) | scalars()
    for name in draw(st.lists(st.sampled_from(TENSOR_NAMES) | st.text(max_size=20), max_size=6, unique=True)):
        if name == "__metadata__" and "__metadata__" in header:
            continue
        dtype: Any = draw(st.sampled_from(sorted(ST_DTYPES)))
        shape: Any = draw(st.lists(dim, max_size=4))
        size = ST_DTYPES[dtype] * math.prod(shape)
        offsets: Any = [offset, offset + size]
        offset += size
        if chance(draw, rate):
            dtype = draw(st.sampled_from(BAD_DTYPES) | scalars())
        if chance(draw, rate):
            shape = draw(st.lists(dim | big_dim, max_size=20) | json_values(max_leaves=4))
        if chance(draw, rate):
            offsets = draw(st.lists(st.integers(0, 2**66) | big_dim, max_size=3) | json_values(max_leaves=3))
        info: Any = {"dtype": dtype, "shape": shape, "data_offsets": offsets}
        if chance(draw, rate):
            info = draw(json_values(["dtype", "shape", "data_offsets"], 6))
        header[name] = info
    raw = json.dumps(header, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    raw += b" " * draw(st.integers(0, 9))
    if chance(draw, rate) and raw:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1 :]
    if chance(draw, rate // 3):
        raw = json_text(header, draw).encode("utf-8", "surrogatepass")
    if chance(draw, rate // 4):
        raw = b"[" * draw(st.sampled_from([10, 5000, 200_000])) + raw
    length = len(raw)
    if chance(draw, rate):
        length = draw(
            st.integers(0, 2**64 - 1) | st.sampled_from([0, 1, max(length - 1, 0), length + 1, 100_000_001])
        )
    body = bytes(min(offset, 1 << 16))
    if chance(draw, rate):
        body = body[: draw(st.integers(0, len(body)))]
    return struct.pack("<Q", length) + raw + body


# ----------------------------------------------------------------------------- GGUF

_GGUF_FMT = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
GGUF_ARCHS = ["llama", "qwen2", "bert", "gpt2", "mamba", "clip", "", "x" * 300]
GGUF_STRING_KEYS = [
    "general.architecture",
    "general.name",
    "general.description",
    "general.license",
    "general.author",
    "general.organization",
    "general.version",
    "general.base_model.0.name",
    "tokenizer.chat_template",
]
GGUF_LIST_KEYS = [
    "general.tags",
    "general.languages",
    "general.datasets",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.merges",
]
GGUF_INT_KEYS = [
    "general.alignment",
    "general.file_type",
    "{a}.embedding_length",
    "{a}.block_count",
    "{a}.attention.head_count",
    "{a}.context_length",
    "{a}.feed_forward_length",
    "{a}.vocab_size",
    "{a}.pooling_type",
    "{a}.vision.block_count",
]
GGML_TYPES = [0, 1, 2, 3, 8, 10, 12, 14, 24, 28, 30]


def _scalar_strategy(vtype: int) -> st.SearchStrategy[Any]:
    fmt = _GGUF_FMT[vtype]
    if fmt in "fd":
        return st.floats(width=32 if fmt == "f" else 64)
    if fmt == "?":
        return st.booleans()
    bits = struct.calcsize(fmt) * 8
    if fmt.islower():
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return st.integers(0, 2**bits - 1) | st.integers(0, min(4096, 2**bits - 1))


class GGUFWriter:
    """Encodes GGUF pieces in one byte order; ``rate`` (per mille) is how often a length or count lies."""

    def __init__(self, draw: st.DrawFn, endian: str, rate: int) -> None:
        self.draw, self.e, self.rate = draw, endian, rate

    def pack(self, fmt: str, *values: Any) -> bytes:
        return struct.pack(self.e + fmt, *values)

    def lies(self) -> bool:
        return chance(self.draw, self.rate)

    def string(self, data: bytes) -> bytes:
        claimed = len(data)
        if self.lies():
            claimed = self.draw(
                st.integers(0, 2**64 - 1) | st.integers(0, 100) | st.sampled_from([65_536, 70_000])
            )
        return self.pack("Q", claimed) + data

    def value(self, vtype: int, depth: int = 0, elements: st.SearchStrategy[Any] | None = None) -> bytes:
        draw = self.draw
        if vtype in _GGUF_FMT:
            return self.pack(
                _GGUF_FMT[vtype], draw(elements if elements is not None else _scalar_strategy(vtype))
            )
        if vtype == 8:
            text = draw(elements if elements is not None else st.text(max_size=30) | odd_strings())
            data = (
                text.encode("utf-8", "surrogatepass")
                if self.draw(st.integers(0, 19))
                else draw(st.binary(max_size=20))
            )
            return self.string(data)
        if vtype == 9:
            etype = draw(st.sampled_from([0, 4, 5, 6, 8, 8, 8, 9, 10, 11, 12]))
            if depth > 3 and etype == 9:
                etype = 8
            count = (
                draw(st.integers(0, 4) | st.sampled_from([257, 300]))
                if depth == 0 and etype != 9
                else draw(st.integers(0, 3))
            )
            return self.array(etype, count, depth)
        return draw(st.binary(max_size=16))

    def array(
        self, etype: int, count: int, depth: int = 0, elements: st.SearchStrategy[Any] | None = None
    ) -> bytes:
        draw = self.draw
        if etype in _GGUF_FMT and count > 10:  # long fixed-size arrays: raw bytes of the right size
            size = count * struct.calcsize(_GGUF_FMT[etype])
            body = draw(st.binary(min_size=size, max_size=size))
        elif etype == 8 and count > 10:  # long token lists: made, not drawn one by one
            body = b"".join(self.pack("Q", len(t)) + t for t in (f"tok{i}".encode() for i in range(count)))
        elif etype in _GGUF_FMT or etype in (8, 9):
            body = b"".join(self.value(etype, depth + 1, elements) for _ in range(count))
        else:
            body = draw(st.binary(max_size=16))
        claimed = count
        if self.lies():
            claimed = draw(
                st.integers(0, 2**64 - 1) | st.sampled_from([2**61, 10**7, count + 1, max(count - 1, 0)])
            )
        if self.lies():
            etype = draw(st.integers(0, 2**32 - 1) | st.integers(0, 14))
        return self.pack("I", etype) + self.pack("Q", claimed) + body


@st.composite
def gguf_file(draw: st.DrawFn) -> bytes:
    """GGUF: magic, version, tensor and key counts, key/value records (the keys llama.cpp writes,
    nested arrays, long token lists) and tensor infos, in either byte order. Well formed unless
    this file's fault rate makes a magic, version, count, length, type or dimension lie."""
    rate = fault_rate(draw)
    endian = draw(st.sampled_from(["<", "<", "<", ">"]))
    w = GGUFWriter(draw, endian, rate)
    magic = b"GGUF" if endian == "<" else draw(st.sampled_from([b"FUGG", b"GGUF"]))
    if chance(draw, rate // 4):
        magic = draw(st.binary(min_size=4, max_size=4))
    version = draw(st.sampled_from([3, 2]))
    if chance(draw, rate // 2):
        version = draw(st.integers(0, 2**32 - 1) | st.sampled_from([1, 4, 0x03000000]))
    arch = draw(st.sampled_from(GGUF_ARCHS))
    records = []
    if draw(st.integers(0, 4)):
        records.append(w.string(b"general.architecture") + w.pack("I", 8) + w.string(arch.encode()))
    for key in draw(
        st.lists(
            st.sampled_from(GGUF_STRING_KEYS + GGUF_LIST_KEYS + GGUF_INT_KEYS) | st.text(max_size=10),
            max_size=10,
        )
    ):
        key = key.replace("{a}", arch)
        if key in GGUF_STRING_KEYS:
            vtype, value = 8, w.value(8)
        elif key in GGUF_LIST_KEYS:
            vtype, value = (
                9,
                w.array(
                    8, draw(st.integers(0, 5) | st.sampled_from([257, 2000])), elements=st.text(max_size=8)
                ),
            )
        elif key in GGUF_INT_KEYS:
            vtype = draw(st.sampled_from([4, 4, 5, 10, 11, 9]))
            value = w.array(5, draw(st.integers(0, 4))) if vtype == 9 else w.value(vtype)
        else:
            vtype = draw(st.integers(0, 12))
            value = w.value(vtype)
        if chance(draw, rate):
            vtype = draw(st.integers(0, 2**32 - 1) | st.integers(0, 14))
        records.append(w.string(key.encode("utf-8", "surrogatepass")) + w.pack("I", vtype) + value)
    tensors = []
    for _ in range(draw(st.integers(0, 5))):
        name = draw(st.sampled_from(TENSOR_NAMES) | st.text(max_size=10)).encode("utf-8", "surrogatepass")
        dims = draw(st.lists(st.integers(1, 4096), max_size=4))
        n_dims = len(dims)
        if chance(draw, rate):
            dims = draw(
                st.lists(st.integers(0, 4096) | st.sampled_from([0, 2**32, 2**63, 2**64 - 1]), max_size=9)
            )
            n_dims = draw(st.sampled_from([len(dims), 5, 8, 9, 2**32 - 1]))
        ggml_type = draw(st.sampled_from(GGML_TYPES))
        if chance(draw, rate):
            ggml_type = draw(st.integers(0, 2**32 - 1) | st.integers(0, 50))
        offset = draw(st.integers(0, 4096)) * 32
        if chance(draw, rate):
            offset = draw(st.integers(0, 2**64 - 1))
        tensors.append(
            w.string(name) + w.pack("I", n_dims) + b"".join(w.pack("Q", d) for d in dims[: min(n_dims, 9)])
            + w.pack("I", ggml_type) + w.pack("Q", offset)
        )  # fmt: skip
    n_kv, n_tensors = len(records), len(tensors)
    if chance(draw, rate):
        n_kv = draw(st.integers(0, 2**64 - 1) | st.integers(0, n_kv + 3))
    if chance(draw, rate):
        n_tensors = draw(st.integers(0, 2**64 - 1) | st.integers(0, n_tensors + 3))
    head = magic + w.pack("I", version) + w.pack("Q", n_kv) + w.pack("Q", n_tensors)
    body = head + b"".join(records) + b"".join(tensors)
    body += b"\0" * (-len(body) % 32) + draw(st.binary(max_size=64))
    if chance(draw, rate) and body:
        body = body[: draw(st.integers(0, len(body)))]
    return body


# ----------------------------------------------------------------------------- zips (torch.save) and other weights

ZIP_NAMES = [
    "archive/data.pkl",
    "archive/data/0",
    "archive/data/1",
    "archive/version",
    "archive/byteorder",
    "archive/.data/serialization_id",
    "data.pkl",
    "x/data.pkl",
    "ünï/data/7",
]


@st.composite
def torch_zip(draw: st.DrawFn) -> bytes:
    """A ``torch.save``-like zip, then its end record, zip64 records, central directory entries
    or local headers patched with random field values."""
    buf = io.BytesIO()
    compression = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name in draw(
            st.lists(st.sampled_from(ZIP_NAMES) | st.text(min_size=1, max_size=12), max_size=5, unique=True)
        ):
            try:
                zf.writestr(name, draw(st.binary(max_size=32)))
            except (ValueError, UnicodeEncodeError, IndexError):  # a name zipfile cannot write
                continue
        if draw(st.booleans()):
            zf.comment = draw(st.binary(max_size=40))
    data = bytearray(buf.getvalue())
    eocd = data.rfind(b"PK\x05\x06")
    fields16 = st.integers(0, 0xFFFF) | st.sampled_from([0, 1, 0xFFFF])
    fields32 = st.integers(0, 0xFFFFFFFF) | st.sampled_from([0, 0xFFFFFFFF, 0x7FFFFFFF])
    rate = fault_rate(draw)
    for _ in range(draw(st.integers(1, 4)) if rate else 0):
        op = draw(st.integers(0, 6))
        if op == 0 and eocd >= 0:  # disk, cd disk, entries on disk, entries
            at = eocd + draw(st.sampled_from([4, 6, 8, 10]))
            data[at : at + 2] = struct.pack("<H", draw(fields16))
        elif op == 1 and eocd >= 0:  # cd size, cd offset
            at = eocd + draw(st.sampled_from([12, 16]))
            data[at : at + 4] = struct.pack("<I", draw(fields32))
        elif op == 2 and eocd >= 0:  # comment length
            data[eocd + 20 : eocd + 22] = struct.pack("<H", draw(fields16))
        elif op == 3:  # a central directory entry's flags / lengths / offset
            cd = data.find(b"PK\x01\x02")
            if cd >= 0:
                at = cd + draw(st.sampled_from([6, 8, 28, 30, 32, 42]))
                width = 4 if at - cd == 42 else 2
                data[at : at + width] = struct.pack(
                    "<I" if width == 4 else "<H", draw(fields32 if width == 4 else fields16)
                )
        elif op == 4 and eocd >= 0:  # a zip64 locator + record in front of the end record
            record = b"PK\x06\x06" + struct.pack(
                "<QHHIIQQQQ",
                44,
                45,
                45,
                draw(st.integers(0, 3)),
                0,
                draw(st.integers(0, 2**64 - 1) | st.integers(0, 9)),
                draw(st.integers(0, 2**64 - 1) | st.integers(0, 9)),
                draw(st.integers(0, 2**64 - 1) | st.integers(0, 999)),
                draw(st.integers(0, 2**64 - 1) | st.integers(0, 999)),
            )
            locator = b"PK\x06\x07" + struct.pack(
                "<IQI", 0, draw(st.integers(0, 2**64 - 1) | st.just(eocd)), 1
            )
            data[eocd:eocd] = record + locator
            eocd += len(record) + len(locator)
            data[eocd + 10 : eocd + 12] = b"\xff\xff"  # entries: "see the zip64 record"
        elif op == 5:  # junk before the archive or after the end record
            junk = draw(st.binary(max_size=32))
            data = bytearray(junk) + data if draw(st.booleans()) else data + junk
            eocd = data.rfind(b"PK\x05\x06")
        elif op == 6 and data:
            data = data[: draw(st.integers(4, max(4, len(data))))]
            eocd = data.rfind(b"PK\x05\x06")
    if not data.startswith(b"PK\x03\x04"):
        data = bytearray(b"PK\x03\x04") + data
    return bytes(data)


def file_stem(draw: st.DrawFn, usual: str) -> str:
    """``usual`` most of the time, else a hostile name: line breaks, escapes, spaces, unicode."""
    if draw(st.integers(0, 4)):
        return usual
    odd = st.text(st.characters(exclude_characters="/\0", exclude_categories=["Cs"]), min_size=1, max_size=24)
    return usual + draw(
        odd | st.sampled_from(["\n", "\r\nx", "\x0c", "\x1b[31m", "\u2028", " ", "\t", "$(id)"])
    )


@st.composite
def weight_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes) for ``read_weight_file``: safetensors, GGUF, zips, pickles, ONNX, junk,
    the suffix sometimes disagreeing with the content."""
    kind = draw(st.sampled_from(["safetensors", "gguf", "zip", "other"]))
    if kind == "safetensors":
        data, suffix = draw(safetensors_file()), ".safetensors"
    elif kind == "gguf":
        data, suffix = draw(gguf_file()), ".gguf"
    elif kind == "zip":
        data, suffix = draw(torch_zip()), draw(st.sampled_from([".pt", ".bin", ".pth", ".ckpt"]))
    else:
        prefix = draw(
            st.sampled_from(
                [
                    b"\x80\x02",
                    b"\x80\x05",
                    b"\x80\x09",
                    b"lmgg",
                    b"tjgg",
                    b"GGUF",
                    b"FUGG",
                    b"PK\x03\x04",
                    b"\x08\x07",
                    b"",
                ]
            )
        )
        data, suffix = (
            prefix + draw(st.binary(max_size=64)),
            draw(st.sampled_from([".pt", ".bin", ".ckpt", ".onnx", ".gguf", ".safetensors"])),
        )
    if draw(st.integers(0, 9)) == 0:
        suffix = draw(st.sampled_from([".pt", ".bin", ".onnx", ".gguf", ".safetensors", ".PT"]))
    return file_stem(draw, "model") + suffix, data


# ----------------------------------------------------------------------------- model directories

CONFIG_NAMES = ["llama", "bert", "gpt2", "t5", "clip", "vit", "unet", "stable-diffusion", "mamba", "x", ""]


def _dims_spec() -> dict[str, st.SearchStrategy[Any]]:
    dim = st.integers(-5, 100_000) | st.sampled_from([0, 10**15, 10**15 + 1, 2**64, 10**30]) | scalars()
    names = [
        "hidden_size",
        "n_embd",
        "d_model",
        "num_hidden_layers",
        "n_layer",
        "num_attention_heads",
        "n_head",
        "vocab_size",
        "max_position_embeddings",
        "n_positions",
        "intermediate_size",
        "n_inner",
        "d_ff",
    ]
    return {n: dim for n in names}


def config_json() -> st.SearchStrategy[Any]:
    spec = {
        "model_type": st.sampled_from(CONFIG_NAMES) | scalars(),
        "architectures": st.lists(
            st.sampled_from(["LlamaForCausalLM", "BertModel", "UNet2DConditionModel", "x" * 300]) | scalars(),
            max_size=3,
        )
        | st.sampled_from(CONFIG_NAMES),
        "_class_name": st.sampled_from(["UNet2DConditionModel", "StableDiffusionPipeline"]) | scalars(),
        "_diffusers_version": st.text(max_size=8),
        "text_config": shaped(_dims_spec() | {"model_type": st.sampled_from(CONFIG_NAMES)}),
        "vision_config": shaped(_dims_spec()),
        "quantization_config": shaped(
            {"quant_method": st.sampled_from(["gptq", "awq", "bitsandbytes"]) | scalars()}
        ),
        "torch_dtype": st.sampled_from(["float16", "bfloat16", "auto", ""]) | scalars(),
        "dtype": scalars(),
        **_dims_spec(),
    }
    return shaped(spec, ML_KEYS)


def metadata_json() -> st.SearchStrategy[Any]:
    metrics = st.dictionaries(
        st.sampled_from(["accuracy", "acc", "ppl", "f1", "eval_dataset", "x" * 200]) | st.text(max_size=8),
        scalars(),
        max_size=5,
    )
    block = st.dictionaries(st.text(max_size=10), json_values(max_leaves=4), max_size=4)
    spec = {
        "display_name": scalars(), "description": scalars(), "version": scalars(), "license": scalars(),
        "author": scalars(), "use_cases": st.lists(scalars(), max_size=4) | scalars(),
        "specialized_domains": st.lists(scalars(), max_size=4), "language_support": st.lists(scalars(), max_size=4),
        "tags": st.lists(scalars(), max_size=6) | scalars(), "performance_metrics": metrics,
        "resource_requirements": block, "optimization_settings": block,
        "predecessor_models": st.lists(scalars(), max_size=3) | scalars(), "base_model": scalars(),
    }  # fmt: skip
    return shaped(spec, ML_KEYS)


def tokenizer_json() -> st.SearchStrategy[Any]:
    spec = {
        "tokenizer_class": st.sampled_from(["LlamaTokenizer", "BertTokenizer"]) | scalars(),
        "model_max_length": st.integers(-1, 10**31) | st.sampled_from([512, 10**30, int(1e30)]) | scalars(),
        "chat_template": st.text(max_size=30) | json_values(max_leaves=4),
    }
    return shaped(spec, ML_KEYS)


# YAML: flow nodes with anchors, aliases, merge keys and tags

YAML_TAGS = [
    "!!str",
    "!!int",
    "!!float",
    "!!bool",
    "!!null",
    "!!binary",
    "!!timestamp",
    "!!map",
    "!!seq",
    "!!set",
    "!!omap",
    "!!pairs",
    "!!python/object:os.system",
    "!!python/name:os.system",
    "!!python/object/apply:os.system",
    "!custom",
    "!<tag:yaml.org,2002:str>",
    "!",
]
YAML_SCALARS = [
    "1",
    "-1",
    "0x1F",
    "0o17",
    "1_000",
    "1e3",
    "1.5e-3",
    ".inf",
    "-.Inf",
    ".NaN",
    "~",
    "null",
    "yes",
    "No",
    "on",
    "OFF",
    "2021-01-02",
    "2021-13-45",
    "2001-12-14t21:59:43.10-05:00",
    "9" * 5000,
    '"\\x00"',
    '"\\uD800"',
    '"\\U0010FFFF"',
    '"\\q"',
    "'it''s'",
    '"a\\"b"',
    "&",
    "*",
    "!",
    "|",
    ">",
    "@x",
    "`x`",
    "%x",
    "? x",
    "- x",
    "x: y",
    "=",
    "<<",
    "3:25:45",
    "0b1010",
    "+.5",
]


@st.composite
def yaml_flow(draw: st.DrawFn, anchors: list[str], depth: int = 0) -> str:
    prefix = ""
    if draw(st.integers(0, 7)) == 0:
        prefix += draw(st.sampled_from(YAML_TAGS)) + " "
    if draw(st.integers(0, 4)) == 0:
        name = f"a{len(anchors)}"
        anchors.append(name)
        prefix += f"&{name} "
    kind = draw(st.integers(0, 9)) if depth < 5 else 0
    if kind <= 3:
        if anchors and draw(st.integers(0, 3)) == 0:
            return "*" + draw(st.sampled_from(anchors + ["undefined"]))
        return prefix + draw(
            st.sampled_from(YAML_SCALARS + ML_KEYS)
            | st.text(st.characters(codec="utf-8"), max_size=8).map(json.dumps)
        )
    if kind <= 6:
        items = [draw(yaml_flow(anchors, depth + 1)) for _ in range(draw(st.integers(0, 4)))]
        return prefix + "[" + ", ".join(items) + "]"
    pairs = []
    for _ in range(draw(st.integers(0, 4))):
        if anchors and draw(st.integers(0, 3)) == 0:
            pairs.append(
                "<<: "
                + (
                    f"*{draw(st.sampled_from(anchors))}"
                    if draw(st.booleans())
                    else "[" + ", ".join(f"*{a}" for a in anchors[-3:]) + "]"
                )
            )
        else:
            key = draw(st.sampled_from(ML_KEYS) | yaml_flow(anchors, depth + 1))
            pairs.append(f"{key}: {draw(yaml_flow(anchors, depth + 1))}")
    return prefix + "{" + ", ".join(pairs) + "}"


@st.composite
def yaml_text(draw: st.DrawFn) -> str:
    """A YAML document: block mappings (two levels), block sequences, flow nodes with anchors,
    aliases, merge keys and tags, block scalars, directives, several documents, alias bombs."""
    anchors: list[str] = []
    lines: list[str] = []
    if draw(st.integers(0, 9)) == 0:
        lines += draw(
            st.sampled_from(
                [["%YAML 1.1", "---"], ["%TAG ! tag:x,2000:", "---"], ["---"], ["%YAML 9.9", "---"]]
            )
        )
    for _ in range(draw(st.integers(0, 8))):
        key = draw(
            st.sampled_from(ML_KEYS)
            | st.text(st.characters(codec="utf-8", exclude_characters=":#\n\r"), min_size=1, max_size=8)
        )
        form = draw(st.integers(0, 6))
        if form <= 2:
            lines.append(f"{key}: {draw(yaml_flow(anchors))}")
        elif form == 3:  # a nested block mapping, maybe with a merge key
            anchor = f"b{len(anchors)}"
            anchors.append(anchor)
            lines.append(f"{key}: &{anchor}")
            for sub in draw(st.lists(st.sampled_from(ML_KEYS), max_size=4)):
                lines.append(f"  {sub}: {draw(yaml_flow(anchors))}")
            if len(anchors) > 1 and draw(st.booleans()):
                lines.append(f"  <<: *{anchors[0]}")
        elif form == 4:
            lines.append(f"{key}:")
            lines += [f"  - {draw(yaml_flow(anchors))}" for _ in range(draw(st.integers(0, 3)))]
        elif form == 5:
            lines.append(f"{key}: {draw(st.sampled_from(['|', '>-', '|+', '|2', '>']))}")
            lines += [
                "  " + draw(st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=20))
                for _ in range(2)
            ]
        else:
            lines.append(draw(st.text(max_size=30)))  # junk
    if draw(st.integers(0, 11)) == 0:  # a billion-laughs chain
        width = draw(st.integers(2, 10))
        lines.append("l0: &l0 [" + ", ".join(["lol"] * width) + "]")
        for level in range(1, draw(st.integers(2, 9))):
            lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    if draw(st.integers(0, 11)) == 0:  # deep nesting
        depth = draw(st.sampled_from([60, 200, 3000]))
        lines.append("deep: " + "[" * depth + "]" * depth)
    if draw(st.integers(0, 11)) == 0:  # a long base-60 int or float (PyYAML: quadratic time)
        pairs = draw(st.sampled_from([10, 3000, 100_000]))
        lines.append("sexagesimal: 1" + ":1" * pairs + draw(st.sampled_from(["", ".5"])))
    if draw(st.integers(0, 9)) == 0:
        lines += ["---", f"second: {draw(yaml_flow(anchors))}"]
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines)


# TOML: tables, arrays of tables, inline tables, dates, escapes

TOML_VALUES = [
    '"x"',
    "'lit'",
    '"""multi\nline"""',
    "'''raw'''",
    '"\\u00e9"',
    '"\\uD800"',
    '"\\q"',
    "1",
    "-0",
    "+1_000",
    "0x1F",
    "0o17",
    "0b11",
    "1e3",
    "6.02e23",
    "inf",
    "-inf",
    "nan",
    "true",
    "false",
    "1979-05-27T07:32:00Z",
    "1979-05-27",
    "07:32:00",
    "1979-02-30",
    "1979-05-27T25:00:00",
    "9" * 5000,
    "[]",
    "[1, 'a', [2]]",
    "{}",
    "{ a = 1, b.c = 2 }",
    "[1,,2]",
    "x",
]


@st.composite
def toml_text(draw: st.DrawFn) -> str:
    lines: list[str] = []
    key = st.sampled_from(ML_KEYS) | st.sampled_from(['"quoted key"', "a.b.c", "''", '"é"', "1", "-"])
    for _ in range(draw(st.integers(0, 10))):
        form = draw(st.integers(0, 5))
        if form <= 2:
            lines.append(
                f"{draw(key)} = {draw(st.sampled_from(TOML_VALUES) | st.text(max_size=6).map(json.dumps))}"
            )
        elif form == 3:
            lines.append(f"[{draw(key)}]")
        elif form == 4:
            lines.append(f"[[{draw(key)}]]")
        else:
            lines.append(draw(st.text(max_size=20)))
    if draw(st.integers(0, 9)) == 0:
        depth = draw(st.sampled_from([50, 500, 5000]))
        lines.append("deep = " + "[" * depth + "]" * depth)
    if draw(st.integers(0, 9)) == 0:
        lines.append("[" + ".".join(["t"] * draw(st.integers(2, 2000))) + "]")
    return "\n".join(lines)


@st.composite
def json_config_text(draw: st.DrawFn) -> str:
    value = draw(
        shaped(
            {
                "model": shaped(_dims_spec() | {"name": st.sampled_from(CONFIG_NAMES)}),
                "optimizer": json_values(max_leaves=6),
                "training": shaped(
                    {"batch_size": scalars(), "learning_rate": scalars(), "epochs": scalars()}
                ),
                "dataset": scalars(),
                "architectures": st.lists(scalars(), max_size=3),
            }
        )
        | json_values(max_leaves=30)
    )
    text = json_text(value, draw)
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    return text


@st.composite
def card_text(draw: st.DrawFn) -> str:
    """README.md: YAML front matter (a card dict, or hostile YAML) and a markdown body."""
    parts = []
    if draw(st.integers(0, 4)):
        metric = shaped(
            {
                "type": st.sampled_from(["accuracy", "f1", "wer"]) | scalars(),
                "value": scalars(),
                "name": scalars(),
            }
        )
        result = shaped(
            {
                "dataset": shaped({"name": scalars(), "type": scalars()}),
                "metrics": st.lists(metric, max_size=3),
            }
        )
        card = shaped(
            {
                "license": st.sampled_from(["mit", "other", "apache-2.0"]) | scalars(),
                "license_name": scalars(),
                "tags": st.lists(scalars(), max_size=4) | scalars(),
                "datasets": st.lists(scalars(), max_size=3) | scalars(),
                "base_model": scalars() | st.lists(scalars(), max_size=2),
                "pipeline_tag": st.sampled_from(
                    ["text-generation", "image-classification", "feature-extraction"]
                )
                | scalars(),
                "library_name": scalars(),
                "language": st.lists(scalars(), max_size=3) | scalars(),
                "model-index": st.lists(
                    shaped({"name": scalars(), "results": st.lists(result, max_size=3)}), max_size=2
                ),
            }
        )
        front = json.dumps(draw(card)) if draw(st.booleans()) else draw(yaml_text())
        parts.append(
            draw(st.sampled_from(["---\n", "---\r\n", "  ---\n"]))
            + front
            + draw(st.sampled_from(["\n---\n", "\n---", "\n--- \n", "\n"]))
        )
    body_line = st.one_of(
        st.builds(
            lambda n, t, s: "#" * n + s + t,
            st.integers(1, 8),
            st.text(max_size=30),
            st.sampled_from([" ", "", "\t", " " * 5000]),
        ),
        st.sampled_from(
            [
                "```",
                "~~~",
                "```python",
                "",
                "| a | b |",
                "![img](x.png)",
                "[link](http://x)",
                "- item",
                "> quote",
                "\0",
            ]
        ),
        st.text(max_size=80),
        st.builds(lambda c, n: c * n, st.sampled_from(["x", "# ", "#", " "]), st.integers(100, 20_000)),
    )
    parts.append("\n".join(draw(st.lists(body_line, max_size=15))))
    return "".join(parts)


def _json_file(draw: st.DrawFn, value: Any) -> bytes:
    form = draw(st.integers(0, 11))
    if form == 0:
        return draw(st.binary(max_size=40))
    if form == 1:
        return json.dumps(draw(json_values(max_leaves=6))).encode()
    return json_text(value, draw).encode("utf-8", "surrogatepass")


@st.composite
def model_folder(draw: st.DrawFn) -> dict[str, bytes]:
    """{relative file name: bytes} of a model directory: config.json, README.md, tokenizer and
    metadata JSON, vocab.txt, weights (safetensors, GGUF shards, a diffusers sub-folder), an index."""
    files: dict[str, bytes] = {}
    if draw(st.integers(0, 4)):
        files["config.json"] = _json_file(draw, draw(config_json()))
    if draw(st.booleans()):
        files["README.md"] = draw(card_text()).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        files["tokenizer_config.json"] = _json_file(draw, draw(tokenizer_json()))
    if draw(st.booleans()):
        files["metadata.json"] = _json_file(draw, draw(metadata_json()))
    if draw(st.integers(0, 3)) == 0:
        files["model_index.json"] = _json_file(draw, draw(config_json()))
    if draw(st.integers(0, 3)) == 0:
        lines = draw(
            st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=6), max_size=30)
        )
        files["vocab.txt"] = "\n".join(lines).encode() + draw(st.sampled_from([b"", b"\n", b"\r\n"]))
    for name in draw(
        st.lists(
            st.sampled_from(
                [
                    "model.safetensors",
                    "model.fp16.safetensors",
                    "model-00001-of-00002.safetensors",
                    "unet/diffusion_pytorch_model.safetensors",
                    "model-00001-of-00002.gguf",
                    "model-q4.gguf",
                    "pytorch_model.bin",
                    "training_args.bin",
                    "model.onnx",
                ]
            ),
            max_size=3,
            unique=True,
        )
    ):
        folder, _, base = name.rpartition("/")
        stem, _, suffix = base.partition(".")
        name = (folder + "/" if folder else "") + file_stem(draw, stem) + "." + suffix
        if name.endswith(".safetensors"):
            files[name] = draw(safetensors_file())
        elif name.endswith(".gguf"):
            files[name] = draw(gguf_file())
        elif name.endswith(".bin"):
            files[name] = draw(torch_zip())
        else:
            files[name] = draw(st.binary(max_size=32))
    if draw(st.integers(0, 4)) == 0:
        shard = (
            st.sampled_from(
                ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "../x", "x" * 300]
            )
            | scalars()
        )
        files["model.safetensors.index.json"] = _json_file(
            draw, draw(shaped({"weight_map": st.dictionaries(st.text(max_size=6), shard, max_size=4)}))
        )
    for name in draw(
        st.lists(
            st.sampled_from(["modules.json", "chat_template.jinja", "config_sentence_transformers.json"]),
            max_size=2,
            unique=True,
        )
    ):
        files[name] = b"{}"
    return files


# ----------------------------------------------------------------------------- Python and notebooks

PY_NAMES = [
    "torch",
    "nn",
    "self",
    "x",
    "model",
    "config",
    "Net",
    "HIDDEN_SIZE",
    "lr",
    "np",
    "AutoModel",
    "load_dataset",
    "optim",
    "F",
    "_",
    "é",
    "𝔘",
    "match",
    "case",
    "type",
    "print",
    "__version__",
]
PY_STATEMENTS = [
    "import torch", "import torch.nn as nn", "from transformers import AutoModel, AutoTokenizer",
    "from . import x", "from .. import *", "HIDDEN_SIZE = 768", "__version__ = '1.2.3'", "lr = 3e-4",
    "config = dict(lr=1e-3, batch_size=32, epochs=10)", "model = AutoModel.from_pretrained('bert-base-uncased')",
    "ds = load_dataset('wikitext', 'wikitext-103-v1')", "optimizer = torch.optim.AdamW(model.parameters(), lr=lr)",
    "self.fc = nn.Linear(768, 3072)", "super().__init__()", "return x", "pass", "...", "yield from x",
    "global x", "nonlocal x", "del x[0]", "assert x, 'msg'", "raise ValueError('x') from None", "x: int = 1",
    "x := 1", "print(f'{x!r:>{width}} {y=} {{z}}')", "f'{f\"{f'{1}'}\"}'", "x = lambda *a, **k: (yield)",
    "x = [i for i in range(10) if i]", "x = {**a, 'b': 2}", "x = b'\\xff' + rb'\\d'", "x = 0x_1F", "x = 1__0",
    "x = 1e999", "x = " + "9" * 5000, "x = '''unterminated", "x = '\\N{BOGUS}'", "x = \\", "@ x",
    "match x:", "case [a, *rest] if a:", "type X = list[int]", "def f[T](x: T) -> T: ...", "async with a as b: pass",
    "print 'py2'", "exec 'code'", "`backticks`", "x = 1 if y else 2", "x = not not not y", "a = b = c = 0",
]  # fmt: skip
PY_HEADERS = [
    "def {n}(self, x: int = 1, *args, hidden_size=768, **kw) -> None:",
    "async def {n}():",
    "class {n}(nn.Module):",
    "class {n}(Base, metaclass=M):",
    "if {n}:",
    "elif x:",
    "else:",
    "for i in {n}:",
    "while True:",
    "with open(p) as f:",
    "try:",
    "except Exception as e:",
    "finally:",
    "match {n}:",
    "case _:",
    "def {n}(",
    "class {n}",
]
PY_DECORATORS = [
    "@dataclass",
    "@torch.no_grad()",
    "@a.b(c)(d)",
    "@property",
    "@staticmethod",
    "@(lambda f: f)",
    "@register('x', hidden_size=768)",
    "@",
]


@st.composite
def py_expression(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 3 or draw(st.integers(0, 3)) == 0:
        return draw(
            st.sampled_from(
                PY_NAMES + ["1", "1.5", "'s'", '"s"', "None", "True", "...", "f'{x}'", "x.y.z", "[]", "{}"]
            )
            | st.integers(-(10**30), 10**30).map(str)
            | st.text(max_size=6).map(repr)
        )
    sub = draw(py_expression(depth + 1))
    form = draw(st.integers(0, 7))
    if form == 0:
        return f"{draw(st.sampled_from(PY_NAMES))}({sub}, key={draw(py_expression(depth + 1))})"
    if form == 1:
        return f"({sub} {draw(st.sampled_from(['+', '*', '**', '@', '//', 'and', 'or', 'if x else', '<', 'is not', 'in']))} {draw(py_expression(depth + 1))})"
    if form == 2:
        return f"[{sub}, {draw(py_expression(depth + 1))}]"
    if form == 3:
        return f"{{{sub!r}: {sub}}}"
    if form == 4:
        return f"f'{{{sub}}}'" if "'" not in sub else f'f"{{{sub}}}"'
    if form == 5:
        return f"lambda x: {sub}"
    if form == 6:
        return f"{sub}[{draw(py_expression(depth + 1))}:]"
    return f"-{sub}"


@st.composite
def python_source(draw: st.DrawFn) -> str:
    """Python source from fragments: imports, ML assignments, decorated defs and classes nested
    to random depths, f-strings, odd tokens, long lines, deep brackets, and random text."""
    lines: list[str] = []
    indent = 0
    unit = draw(st.sampled_from(["    ", "  ", "\t", " \t"]))
    for _ in range(draw(st.integers(0, 25))):
        form = draw(st.integers(0, 11))
        pad = unit * indent
        if form <= 3:
            lines.append(pad + draw(st.sampled_from(PY_STATEMENTS)))
        elif form <= 5:
            lines.append(pad + f"{draw(st.sampled_from(PY_NAMES))} = {draw(py_expression())}")
        elif form <= 7:
            for _ in range(draw(st.integers(0, 2))):
                lines.append(pad + draw(st.sampled_from(PY_DECORATORS)))
            lines.append(pad + draw(st.sampled_from(PY_HEADERS)).format(n=draw(st.sampled_from(PY_NAMES))))
            indent += 1
        elif form == 8:
            indent = draw(st.integers(0, indent))  # dedent
        elif form == 9:
            lines.append(draw(st.text(max_size=40)))  # junk
        elif form == 10:
            depth = draw(st.sampled_from([10, 100, 300, 1000, 10_000]))
            opener, closer = draw(
                st.sampled_from([("(", ")"), ("[", "]"), ("{", "}"), ("-", ""), ("not ", ""), ("f'{", "}'")])
            )
            lines.append(pad + "x = " + opener * depth + "1" + closer * depth)
        else:
            length = draw(st.sampled_from([200, 5000, 100_000]))
            lines.append(
                pad + "x = '" + "a" * length + "'"
                if draw(st.booleans())
                else pad + "x = " + " + ".join(["1"] * (length // 4))
            )
    if draw(st.integers(0, 9)) == 0:  # nested blocks hundreds deep
        depth = draw(st.sampled_from([50, 100, 500]))
        lines += [" " * i + "if x:" for i in range(depth)] + [" " * depth + "pass"]
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    if draw(st.integers(0, 14)) == 0:
        text = (
            draw(
                st.sampled_from(["\ufeff", "\0", "\f", "#!/usr/bin/env python\n# -*- coding: latin-1 -*-\n"])
            )
            + text
        )
    return text


@st.composite
def notebook_text(draw: st.DrawFn) -> str:
    """Notebook JSON (nbformat 4, or 3 with worksheets) whose cells have sources as strings or
    lists, and cells, sources, metadata and the notebook itself of the wrong type at times."""

    def cell() -> st.SearchStrategy[Any]:
        source = python_source() | st.text(max_size=60) | card_text()
        return shaped(
            {
                "cell_type": st.sampled_from(["code", "code", "markdown", "raw", "heading"]) | scalars(),
                "source": source
                | source.map(lambda s: s.splitlines(keepends=True))
                | st.lists(scalars(), max_size=3),
                "metadata": shaped(
                    {"tags": st.lists(st.sampled_from(["parameters", "x"]) | scalars(), max_size=2)}
                ),
                "outputs": json_values(max_leaves=4),
                "execution_count": scalars(),
                "id": st.text(max_size=8),
                "input": source,
            }
        )

    cells = st.lists(cell(), max_size=6)
    meta = shaped(
        {
            "kernelspec": shaped(
                {"language": st.sampled_from(["python", "R", "julia", ""]) | scalars(), "name": scalars()}
            ),
            "language_info": shaped({"name": st.sampled_from(["python", "x" * 100]) | scalars()}),
        }
    )
    if draw(st.integers(0, 7)) == 0:
        nb = draw(
            shaped(
                {
                    "worksheets": st.lists(shaped({"cells": cells}), max_size=2),
                    "metadata": meta,
                    "nbformat": st.just(3),
                }
            )
        )
    else:
        nb = draw(
            shaped(
                {
                    "cells": cells,
                    "metadata": meta,
                    "nbformat": st.just(4) | scalars(),
                    "nbformat_minor": scalars(),
                }
            )
        )
    return json_text(nb, draw)
