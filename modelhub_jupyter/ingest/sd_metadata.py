"""Pure parsers for Stable Diffusion generation metadata (text and JSON in, plain values out).

Every ``parse_*`` function returns a flat ``Params`` dict using the image-document keys
(``prompt``, ``negative_prompt``, ``num_inference_steps``, ``guidance_scale``, ``seed``,
``sampler``, ``scheduler``, ``model_checkpoint``, ``model_hash``, ``denoising_strength``,
``loras``) plus ``generation_size`` ("WxH" as the generator recorded it). Missing values are
left out; nothing here raises on odd input.

Every value comes from a file someone else wrote, so every walk is bounded: the settings
line is split by a linear scanner (not the backtracking regex A1111 uses), tag regexes have
bounded repetitions, lists are de-duplicated in linear time, and ComfyUI graph walks share
one step budget (:data:`COMFY_STEP_BUDGET`) and see at most :data:`COMFY_MAX_NODES` nodes.
Functions that drop something they could not use append a one-line reason to ``warnings``
when the caller passes a list.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = [
    "a1111_settings",
    "decode_bytes",
    "decode_user_comment",
    "fix_mojibake",
    "looks_like_comfy_graph",
    "normalise_sampler",
    "parse_a1111",
    "parse_comfyui",
    "parse_generic_json",
    "parse_invokeai",
    "parse_invokeai_legacy",
    "parse_novelai",
    "style_tags",
    "workflow_to_api",
]

Params = dict[str, Any]

# A1111's own settings-line regex (modules/infotext_utils.py). It backtracks quadratically on
# long lines without a colon, so it is documentation here: _settings_pairs() returns exactly
# what ``A1111_PARAM_RE.findall(line)`` returns, in linear time.
A1111_PARAM_RE = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_WS_RUN = re.compile(r"\s*")
_KEY_RUN = re.compile(r"[\w \-/]*")
_QUOTED_VALUE = re.compile(r'("(?:\\.|[^\\"])+")(?:,|$)')
_PLAIN_VALUE = re.compile(r"([^,]*)(?:,|$)")
_SIZE_RE = re.compile(r"(?<!\d)(\d{1,9})\s{0,8}[x×,]\s{0,8}(\d{1,9})")
# Tags are short; bounded repetitions (and no "<" inside) keep a run of "<lora:" linear.
_LORA_TAG_RE = re.compile(r"<(?:lora|lyco):([^:<>]{1,256})(?::[^<>]{0,256})?>", re.IGNORECASE)
_HEX_RE = re.compile(r"^[0-9A-Fa-f]{8,64}$")

MAX_INT = 2**64  # larger "whole numbers" (seeds are u64 at most) are not kept
MAX_LORAS = 200  # LoRA names kept per image
MAX_SIZE_TEXT = 64  # a "512x768" value longer than this is not a size
MAX_WRAPPER_DEPTH = 8  # {"sui_image_params": {...}} wrappers followed
COMFY_MAX_NODES = 10_000  # ComfyUI nodes read from one graph (real graphs have a few hundred)
COMFY_STEP_BUDGET = 50_000  # node visits for all walks over one graph together (~0.5 s at worst)

_BASE_SAMPLERS = {
    "euler": "Euler", "euler_ancestral": "Euler a", "euler_a": "Euler a", "heun": "Heun",
    "heunpp2": "Heun++2", "dpm_2": "DPM2", "dpm_2_ancestral": "DPM2 a", "dpm_2_a": "DPM2 a",
    "kdpm_2": "DPM2", "kdpm_2_a": "DPM2 a", "lms": "LMS", "dpm_fast": "DPM fast",
    "dpm_adaptive": "DPM adaptive", "dpmpp_2s_ancestral": "DPM++ 2S a", "dpmpp_2s_a": "DPM++ 2S a",
    "dpmpp_2s": "DPM++ 2S", "dpmpp_sde": "DPM++ SDE", "dpmpp_sde_gpu": "DPM++ SDE",
    "dpmpp_2m": "DPM++ 2M", "dpmpp_2": "DPM++ 2M", "dpmpp_2m_sde": "DPM++ 2M SDE",
    "dpmpp_2m_sde_gpu": "DPM++ 2M SDE", "dpmpp_3m": "DPM++ 3M", "dpmpp_3m_sde": "DPM++ 3M SDE",
    "dpmpp_3m_sde_gpu": "DPM++ 3M SDE", "ddim": "DDIM", "ddim_v3": "DDIM", "ddpm": "DDPM",
    "plms": "PLMS", "pndm": "PNDM", "uni_pc": "UniPC", "unipc": "UniPC", "uni_pc_bh2": "UniPC",
    "lcm": "LCM", "ipndm": "iPNDM", "ipndm_v": "iPNDM_V", "deis": "DEIS", "restart": "Restart",
    "tcd": "TCD", "euler_cfg_pp": "Euler CFG++", "euler_ancestral_cfg_pp": "Euler a CFG++",
}  # fmt: skip
_DIFFUSERS_SAMPLERS = {
    "dpmsolvermultistepscheduler": "DPM++ 2M", "dpmsolversinglestepscheduler": "DPM++ 2S",
    "dpmsolversdescheduler": "DPM++ SDE", "eulerancestraldiscretescheduler": "Euler a",
    "eulerdiscretescheduler": "Euler", "flowmatcheulerdiscretescheduler": "Euler",
    "ddimscheduler": "DDIM", "ddpmscheduler": "DDPM", "pndmscheduler": "PNDM",
    "lmsdiscretescheduler": "LMS", "heundiscretescheduler": "Heun", "unipcmultistepscheduler": "UniPC",
    "kdpm2discretescheduler": "DPM2", "kdpm2ancestraldiscretescheduler": "DPM2 a",
    "deismultistepscheduler": "DEIS", "lcmscheduler": "LCM", "tcdscheduler": "TCD",
}  # fmt: skip
_SCHEDULES = {
    "karras": "Karras", "exponential": "Exponential", "sgm_uniform": "SGM Uniform",
    "polyexponential": "Polyexponential", "simple": "Simple", "normal": "Normal",
    "ddim_uniform": "DDIM Uniform", "beta": "Beta", "align_your_steps": "Align Your Steps",
    "linear_quadratic": "Linear Quadratic", "kl_optimal": "KL Optimal", "automatic": "Automatic",
    "uniform": "Uniform", "native": "Native",
}  # fmt: skip
# Schedules that A1111 historically appended to the sampler name ("DPM++ 2M Karras").
_APPENDED_SCHEDULES = ("Karras", "Exponential", "SGM Uniform", "Polyexponential")
_SAMPLER_SUFFIXES = (("_karras", "Karras"), ("_exponential", "Exponential"), ("_k", "Karras"))


# ----------------------------------------------------------------------------- value helpers


def to_int(value: Any) -> int | None:
    """``value`` as an int when it is a whole number (``"30"``, ``30.0``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -MAX_INT <= value <= MAX_INT else None
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,40}\s*", value):  # no float on the way:
        exact = int(value)  # a 20-digit seed keeps its last digits
        return exact if -MAX_INT <= exact <= MAX_INT else None
    number = to_float(value)
    if number is None or not number.is_integer() or abs(number) > MAX_INT:
        return None
    return int(number)


def to_float(value: Any) -> float | None:
    """``value`` as a finite float (``"7.5"``, ``7``), else None (also for NaN, ``1e999``, 10**400)."""
    if isinstance(value, bool) or value is None:
        return None
    number = None
    if isinstance(value, int | float):
        number = float(value) if not isinstance(value, int) or abs(value) <= MAX_INT else None
    elif isinstance(value, str) and len(value) <= 64:
        try:
            number = float(value.strip())
        except ValueError:
            return None
    return number if number is not None and math.isfinite(number) else None


def to_text(value: Any) -> str | None:
    """A stripped, non-empty string, else None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def clean(params: Params) -> Params:
    """Drop empty values (None, "", []); name the source model after the checkpoint when nothing
    else names it (``sd_xl_base_1.0.safetensors`` -> ``sd_xl_base_1.0``), for every tool."""
    out = {k: v for k, v in params.items() if v is not None and v != "" and v != []}
    checkpoint = out.get("model_checkpoint")
    if "source_model_id" not in out and isinstance(checkpoint, str) and _file_stem(checkpoint):
        out["source_model_id"] = _file_stem(checkpoint)
    return out


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 bytes that were decoded as Latin-1 (UTF-8 written into a PNG tEXt chunk)."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def decode_bytes(data: bytes) -> str:
    """UTF-8 first, Latin-1 as the fallback."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def decode_user_comment(data: bytes | str, byte_order: str = ">") -> str:
    """Decode an EXIF UserComment: ``UNICODE\\0`` + UTF-16, ``ASCII\\0\\0\\0``, or raw text/JSON.

    The UTF-16 byte order is taken from where the zero bytes sit (ASCII-heavy text), falling
    back to the TIFF header's ``byte_order`` (">" for MM, "<" for II).
    """
    if isinstance(data, str):
        return data.replace("\0", "").strip()
    prefix, body = data[:8], data[8:]
    if prefix == b"UNICODE\0":
        text = _decode_utf16(body, byte_order)
    elif prefix == b"JIS\0\0\0\0\0":
        text = body.decode("shift_jis", errors="replace")
    elif prefix in (b"ASCII\0\0\0", b"\0" * 8):
        text = decode_bytes(body)
    else:
        text = decode_bytes(data)
    return text.replace("\0", "").strip()


def _decode_utf16(body: bytes, byte_order: str) -> str:
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body.decode("utf-16", errors="replace")
    body = body[: len(body) - len(body) % 2]
    zeros_even, zeros_odd = body[0::2].count(0), body[1::2].count(0)
    if zeros_even != zeros_odd:
        big = zeros_even > zeros_odd
    else:
        big = byte_order != "<"
    return body.decode("utf-16-be" if big else "utf-16-le", errors="replace")


def parse_size(value: Any) -> str | None:
    """``"512x768"``, ``"(1024, 1024)"`` or ``[w, h]`` -> ``"WxH"``."""
    if isinstance(value, list | tuple) and len(value) == 2:
        w, h = to_int(value[0]), to_int(value[1])
        return f"{w}x{h}" if w and h else None
    ok = isinstance(value, str) and len(value) <= MAX_SIZE_TEXT
    match = _SIZE_RE.search(value) if ok else None
    return f"{match.group(1)}x{match.group(2)}" if match else None


# ----------------------------------------------------------------------------- samplers and tags


def normalise_sampler(name: Any, scheduler: Any = None) -> tuple[str | None, str | None]:
    """Map a sampler (and schedule) from any tool to A1111 display names.

    ``("dpmpp_2m", "karras")`` -> ``("DPM++ 2M Karras", "Karras")``;
    ``"k_euler_ancestral"`` -> ``"Euler a"``; ``"DPMSolverMultistepScheduler"`` -> ``"DPM++ 2M"``.
    Unknown names are returned as written.
    """
    sched = _schedule_name(scheduler)
    raw = to_text(name)
    if raw is None:
        return None, sched
    key = raw.lower().replace("-", "_").replace(" ", "_")
    base = _DIFFUSERS_SAMPLERS.get(key)
    if base is None:
        key = key.removeprefix("k_")
        for suffix, implied in _SAMPLER_SUFFIXES:
            if key.endswith(suffix) and key[: -len(suffix)] in _BASE_SAMPLERS:
                key, sched = key[: -len(suffix)], sched or implied
                break
        base = _BASE_SAMPLERS.get(key)
    if base is None:
        base = raw
        for implied in _APPENDED_SCHEDULES:
            if raw.lower().endswith(" " + implied.lower()):
                return raw, sched or implied
    if sched in _APPENDED_SCHEDULES:
        base = f"{base} {sched}"
    return base, sched


def _schedule_name(value: Any) -> str | None:
    text = to_text(value)
    if text is None:
        return None
    return _SCHEDULES.get(text.lower().replace(" ", "_").replace("-", "_"), text)


def is_known_sampler(name: Any) -> bool:
    """True when ``name`` is a sampler identifier this module can normalise."""
    text = to_text(name)
    if text is None:
        return False
    key = text.lower().replace("-", "_").replace(" ", "_")
    if key in _DIFFUSERS_SAMPLERS:
        return True
    key = key.removeprefix("k_")
    return key in _BASE_SAMPLERS or any(
        key.endswith(s) and key[: -len(s)] in _BASE_SAMPLERS for s, _ in _SAMPLER_SUFFIXES
    )


def loras_in_prompt(prompt: str) -> list[str]:
    """Names from A1111 ``<lora:name:weight>`` / ``<lyco:...>`` tags (at most :data:`MAX_LORAS`)."""
    return _unique((m.strip() for m in _LORA_TAG_RE.findall(prompt or "")), MAX_LORAS)


def style_tags(prompt: str | None, limit: int = 8) -> list[str]:
    """Lowercase comma-separated prompt phrases of at most three words (weights stripped)."""
    if not prompt:
        return []
    text = _LORA_TAG_RE.sub(",", prompt)
    text = re.sub(r":\s*-?\d+(?:\.\d+)?\s*(?=[)\]}])", "", text)  # (word:1.2) -> (word)
    text = re.sub(r"\bBREAK\b|\\[()]|[()\[\]{}<>|]", ",", text)
    tags: list[str] = []
    for part in re.split(r"[,\n;]", text):
        tag = " ".join(part.strip(" .:!?\"'*_-").lower().split())
        if tag and len(tag.split()) <= 3 and tag not in tags:
            tags.append(tag)
        if len(tags) >= limit:
            break
    return tags


def _unique(items: Any, limit: int | None = None) -> list[str]:
    """Truthy items in first-seen order without repeats (linear time), at most ``limit``."""
    seen: dict[Any, None] = {}
    for item in items:
        if item and isinstance(item, str) and item not in seen:
            seen[item] = None
            if limit is not None and len(seen) >= limit:
                break
    return list(seen)


# ----------------------------------------------------------------------------- A1111 infotext


def parse_a1111(text: str) -> Params:
    """Parse A1111/Forge infotext: prompt lines, ``Negative prompt:`` lines, settings line."""
    lines = text.strip().replace("\r\n", "\n").split("\n")
    settings: dict[str, str] = {}
    if lines and len(_settings_pairs(lines[-1])) >= 3:
        settings = a1111_settings(lines.pop())
    prompt: list[str] = []
    negative: list[str] = []
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            negative.append(line[len("Negative prompt:") :].strip())
        elif negative:
            negative.append(line)
        else:
            prompt.append(line)
    out: Params = {"prompt": "\n".join(prompt).strip(), "negative_prompt": "\n".join(negative).strip()}
    out.update(_from_settings(settings))
    out["loras"] = _unique([*loras_in_prompt(out["prompt"]), *out.get("loras", [])], MAX_LORAS)
    return clean(out)


def a1111_settings(line: str) -> dict[str, str]:
    """``"Steps: 20, Sampler: Euler a, ..."`` -> ``{"Steps": "20", ...}``; quoted values unquoted."""
    out: dict[str, str] = {}
    for key, value in _settings_pairs(line):
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            try:
                value = str(json.loads(value))
            except (ValueError, RecursionError):
                value = value[1:-1]
        out[key.strip()] = value
    return out


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what re's \w matches in a str pattern


def _settings_pairs(line: str) -> list[tuple[str, str]]:
    r"""``A1111_PARAM_RE.findall(line)``, computed in linear time.

    The regex fails at a start position when the run of key characters (``[\w \-/]``) that
    follows is not ended by ``:``; every later start inside that run ends at the same place
    and fails too, so the scan jumps to the end of the run instead of retrying each position.
    """
    pairs: list[tuple[str, str]] = []
    pos, end = 0, len(line)
    while pos < end:
        key_start = _WS_RUN.match(line, pos).end()  # type: ignore[union-attr]
        if key_start >= end or not _is_word(line[key_start]):
            pos = key_start + 1
            continue
        key_end = _KEY_RUN.match(line, key_start).end()  # type: ignore[union-attr]
        if key_end - key_start < 2 or key_end >= end or line[key_end] != ":":
            pos = max(key_end, pos + 1)
            continue
        value_start = _WS_RUN.match(line, key_end + 1).end()  # type: ignore[union-attr]
        found = _QUOTED_VALUE.match(line, value_start) or _PLAIN_VALUE.match(line, value_start)
        assert found is not None  # [^,]* always matches
        pairs.append((line[key_start:key_end], found.group(1)))
        pos = max(found.end(), pos + 1)
    return pairs


def _from_settings(s: dict[str, str]) -> Params:
    sampler, scheduler = normalise_sampler(s.get("Sampler"), s.get("Schedule type"))
    loras = [part.split(":")[0].strip() for part in s.get("Lora hashes", "").split(",")]
    try:
        hashes = json.loads(s.get("Hashes", "{}"))
    except (ValueError, RecursionError):  # bad JSON, a 5,000-digit number, deep nesting
        hashes = {}
    if isinstance(hashes, dict):
        loras += [k.split(":", 1)[1] for k in hashes if isinstance(k, str) and k.startswith("lora:")]
    return {
        "num_inference_steps": to_int(s.get("Steps")),
        "sampler": sampler,
        "scheduler": scheduler,
        "guidance_scale": to_float(s.get("CFG scale")),
        "seed": to_int(s.get("Seed")),
        "generation_size": parse_size(s.get("Size")),
        "model_hash": to_text(s.get("Model hash")),
        "model_checkpoint": to_text(s.get("Model")),
        "denoising_strength": to_float(s.get("Denoising strength")),
        "loras": _unique(loras, MAX_LORAS),
    }


# ----------------------------------------------------------------------------- JSON formats

_ALIASES: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt", "positive_prompt", "positive", "prompt_text"),
    "negative_prompt": ("negative_prompt", "negativeprompt", "negative", "uc"),
    "num_inference_steps": ("steps", "num_inference_steps", "sampling_steps", "num_steps"),
    "guidance_scale": ("cfg_scale", "cfgscale", "cfg", "guidance_scale", "scale", "guidance"),
    "seed": ("seed", "noise_seed"),
    "sampler": ("sampler", "sampler_name", "sampling_method"),
    "scheduler": ("scheduler", "schedule_type", "noise_schedule"),
    "model": ("model", "model_checkpoint", "checkpoint", "ckpt_name", "model_name", "base_model",
              "sd_model", "model_weights", "model_id"),
    "model_hash": ("model_hash", "sd_model_hash", "hash"),
    "denoising_strength": ("denoising_strength", "denoise", "strength"),
    "width": ("width",),
    "height": ("height",),
    "size": ("size", "resolution"),
    "creation_date": ("creation_date", "created", "created_at", "date"),
    "loras": ("loras", "lora"),
}  # fmt: skip


def parse_generic_json(data: dict[str, Any]) -> Params:
    """Map a flat generation-settings dict (sidecar, InvokeAI 3+, SwarmUI, Fooocus) to Params."""
    if not isinstance(data, dict):
        return {}
    for _ in range(MAX_WRAPPER_DEPTH):  # SwarmUI wraps its settings (a loop: wrappers may nest)
        if not isinstance(data.get("sui_image_params"), dict):
            break
        data = data["sui_image_params"]
    d = {str(k).strip().lower().replace(" ", "_").replace("-", "_"): v for k, v in data.items()}

    def pick(name: str) -> Any:
        return next((d[k] for k in _ALIASES[name] if d.get(k) not in (None, "", [])), None)

    sampler_value, scheduler_value = pick("sampler"), pick("scheduler")
    if sampler_value is None and is_known_sampler(scheduler_value):  # diffusers / InvokeAI naming
        sampler_value, scheduler_value = scheduler_value, None
    sampler, scheduler = normalise_sampler(sampler_value, scheduler_value)
    model_name, model_hash = _model_name(pick("model"))
    width, height = to_int(pick("width")), to_int(pick("height"))
    size = f"{width}x{height}" if width and height else parse_size(pick("size"))
    prompt = _prompt_text(pick("prompt"))
    out: Params = {
        "prompt": prompt,
        "negative_prompt": _prompt_text(pick("negative_prompt")),
        "num_inference_steps": to_int(pick("num_inference_steps")),
        "guidance_scale": to_float(pick("guidance_scale")),
        "seed": to_int(pick("seed")),
        "sampler": sampler,
        "scheduler": scheduler,
        "model_checkpoint": model_name,
        "model_hash": to_text(pick("model_hash")) or model_hash,
        "denoising_strength": to_float(pick("denoising_strength")),
        "generation_size": size,
        "creation_date": to_text(pick("creation_date")),
        "loras": _unique([*_lora_names(pick("loras")), *loras_in_prompt(prompt or "")], MAX_LORAS),
    }
    if isinstance(d.get("parameters"), str):  # a sidecar that wraps A1111 infotext
        out = {**parse_a1111(d["parameters"]), **clean(out)}
    return clean(out)


def _prompt_text(value: Any) -> str | None:
    if isinstance(value, list):  # InvokeAI 2: [{"prompt": "...", "weight": 1.0}]
        parts = [to_text(p.get("prompt") if isinstance(p, dict) else p) for p in value]
        return "\n".join(p for p in parts if p) or None
    return to_text(value) if isinstance(value, str) else None


def _model_name(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, dict):  # InvokeAI: {"name"|"model_name"|"key", "hash", "base"}
        name = next((to_text(value.get(k)) for k in ("name", "model_name", "key") if value.get(k)), None)
        return name, to_text(value.get("hash"))
    return (value.strip() or None, None) if isinstance(value, str) else (None, None)


def _lora_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value else []
    names: list[str] = []
    for item in items[: MAX_LORAS * 4]:
        if isinstance(item, dict):
            inner = item.get("model") or item.get("lora") or item
            name, _ = _model_name(inner) if isinstance(inner, dict) else (to_text(inner), None)
            names.append(name or "")
        elif isinstance(item, str):
            names.append(item.strip())
    return _unique(names, MAX_LORAS)


def parse_invokeai(meta: dict[str, Any]) -> Params:
    """InvokeAI 3+ ``invokeai_metadata``: ``positive_prompt``, ``cfg_scale``, ``model{name,hash}``;
    its ``scheduler`` (``dpmpp_2m_k``) is what other tools call the sampler."""
    return parse_generic_json(meta)


def parse_invokeai_legacy(meta: dict[str, Any]) -> Params:
    """InvokeAI 1.x/2.x ``sd-metadata``: ``model_weights``, ``model_hash`` and an ``image`` dict.

    Negative terms are written in ``[brackets]`` inside the prompt.
    """
    if not isinstance(meta, dict):
        return {}
    image = meta.get("image")
    images = meta.get("images")  # the oldest (lstein/stable-diffusion 1.x) writes a list
    if not isinstance(image, dict) and isinstance(images, list) and images and isinstance(images[0], dict):
        image = images[0]
    out = parse_generic_json(image if isinstance(image, dict) else {})
    out["model_checkpoint"] = to_text(meta.get("model_weights")) or out.get("model_checkpoint")
    out["source_model_id"] = to_text(meta.get("model_id")) or out.get("source_model_id")
    out["model_hash"] = to_text(meta.get("model_hash")) or out.get("model_hash")
    prompt = out.get("prompt", "")
    negatives = re.findall(r"\[([^\[\]]*)\]", prompt)
    if negatives and "negative_prompt" not in out:
        out["prompt"] = " ".join(re.sub(r"\[[^\[\]]*\]", " ", prompt).split())
        out["negative_prompt"] = ", ".join(n.strip() for n in negatives if n.strip())
    return clean(out)


_DREAM_FLAGS = {
    "s": "num_inference_steps", "steps": "num_inference_steps", "S": "seed", "seed": "seed",
    "C": "guidance_scale", "cfg_scale": "guidance_scale", "A": "sampler", "sampler": "sampler",
    "W": "width", "width": "width", "H": "height", "height": "height",
}  # fmt: skip
_DREAM_FLAG = re.compile(r"(?:^|\s)(?:--([a-z_]++)[=\s]|-([A-Za-z]))\s*+([^\s\"]++)")
MAX_DREAM_CHARS = 10_000


def parse_dream(text: str) -> Params:
    """InvokeAI's oldest ``Dream`` chunk: a quoted prompt, then command-line flags
    (``"a castle" -s 50 -S 123 -W 512 -H 512 -C 7.5 -A k_lms``); seeds stay exact integers."""
    text = text[:MAX_DREAM_CHARS].strip()
    match = re.match(r'"((?:[^"\\]|\\.)*+)"', text)
    if not match:
        return {}
    out: Params = {"prompt": match.group(1).strip()}
    values: dict[str, str] = {}
    for flag in _DREAM_FLAG.finditer(text[match.end() :]):
        key = _DREAM_FLAGS.get(flag.group(1) or flag.group(2))
        if key:
            values.setdefault(key, flag.group(3))
    out["num_inference_steps"] = to_int(values.get("num_inference_steps"))
    out["seed"] = to_int(values.get("seed"))
    out["guidance_scale"] = to_float(values.get("guidance_scale"))
    out["sampler"] = to_text(values.get("sampler"))
    width, height = to_int(values.get("width")), to_int(values.get("height"))
    if width and height:
        out["generation_size"] = f"{width}x{height}"
    negatives = re.findall(r"\[([^\[\]]*)\]", out["prompt"])
    if negatives:
        out["prompt"] = " ".join(re.sub(r"\[[^\[\]]*\]", " ", out["prompt"]).split())
        out["negative_prompt"] = ", ".join(n.strip() for n in negatives if n.strip())
    return clean(out)


def parse_novelai(texts: dict[str, str], comment: dict[str, Any] | None) -> Params:
    """NovelAI PNG: ``Description`` (prompt), ``Source`` (model + hash), ``Comment`` JSON."""
    comment = comment if isinstance(comment, dict) else {}
    out = parse_generic_json({k: v for k, v in comment.items() if k not in ("strength", "noise")})
    v4_prompt = _dig(comment, "v4_prompt", "caption", "base_caption")
    out.setdefault("prompt", to_text(texts.get("Description")) or _string(v4_prompt))
    out.setdefault("negative_prompt", _string(_dig(comment, "v4_negative_prompt", "caption", "base_caption")))
    source = (texts.get("Source") or "").split()
    if source:
        has_hash = bool(_HEX_RE.match(source[-1])) and len(source) > 1
        name = " ".join(source[:-1] if has_hash else source)
        out["model_hash"] = source[-1] if has_hash else None
        out["model_checkpoint"] = novelai_model(name, out["model_hash"])
        if out["model_checkpoint"] != name:
            out["model_checkpoint_as_written"] = name
    return clean(out)


# NovelAI's ``Source`` names the architecture ("Stable Diffusion XL C1E1DE52"), not the weights:
# these hashes are NovelAI's own models, as several public metadata readers map them. An image
# from NAI Diffusion V3 is therefore not an sd_xl_base_1.0 image (hash 31e35c80fc), though both
# read "Stable Diffusion XL".
_NOVELAI_MODELS = {
    **dict.fromkeys(("B0BDF6C1", "C1E1DE52", "7BCCAA2C", "1120E6A9", "8BA2AF87"), "nai-diffusion-3"),
    **dict.fromkeys(("4BE8C60C", "C8704949", "37C2B166", "F306816B", "9CC2F394"), "nai-diffusion-furry-3"),
    **dict.fromkeys(("F1022D28", "49BFAF6A"), "nai-diffusion-2"),
    **dict.fromkeys(("1D09D794", "F64BA557"), "nai-diffusion-furry"),
}


def novelai_model(name: str, digest: str | None) -> str:
    """NovelAI's model id for a ``Source`` hash it is known by, else ``NovelAI <name>`` (never a bare
    "Stable Diffusion XL", which would read as the public SDXL base checkpoint)."""
    known = _NOVELAI_MODELS.get((digest or "").upper())
    if known:
        return known
    return name if name.lower().startswith("novelai") else f"NovelAI {name}"


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def looks_like_comfy_graph(data: Any) -> bool:
    """True for a ComfyUI API graph: ``{"id": {"class_type": ..., "inputs": {...}}}``."""
    return isinstance(data, dict) and any(
        isinstance(v, dict) and "class_type" in v and isinstance(v.get("inputs"), dict) for v in data.values()
    )


# ----------------------------------------------------------------------------- ComfyUI graphs

_SAMPLER_CLASSES = {"KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"}
_NOT_CONDITIONING = {
    "clip", "model", "vae", "image", "images", "pixels", "control_net", "mask", "latent",
    "latent_image", "samples", "clip_vision", "clip_vision_output", "style_model",
    "upscale_model", "noise", "sampler", "sigmas", "unet", "ipadapter",
}  # fmt: skip
_PARAM_SKIP = {"model", "positive", "negative", "latent_image", "vae", "clip", "conditioning",
               "image", "samples", "cond1", "cond2"}  # fmt: skip
_TEXT_KEYS = ("text", "text_g", "text_l", "clip_l", "t5xxl", "populated_text", "prompt", "string")
_VALUE_KEYS = ("value", "int", "float", "number", "seed", "noise_seed")
_MODEL_KEYS = ("ckpt_name", "unet_name", "base_ckpt_name", "model_name", "checkpoint")
# Widget order of common nodes in the UI ``workflow`` graph (None = UI-only widget).
_WIDGET_NAMES: dict[str, list[str | None]] = {
    "KSampler": ["seed", None, "steps", "cfg", "sampler_name", "scheduler", "denoise"],
    "KSamplerAdvanced": ["add_noise", "noise_seed", None, "steps", "cfg", "sampler_name", "scheduler",
                         "start_at_step", "end_at_step", "return_with_leftover_noise"],
    "CLIPTextEncode": ["text"],
    "CLIPTextEncodeSDXL": ["width", "height", "crop_w", "crop_h", "target_width", "target_height",
                           "text_g", "text_l"],
    "CheckpointLoaderSimple": ["ckpt_name"],
    "UNETLoader": ["unet_name", "weight_dtype"],
    "EmptyLatentImage": ["width", "height", "batch_size"],
    "LoraLoader": ["lora_name", "strength_model", "strength_clip"],
    "LoraLoaderModelOnly": ["lora_name", "strength_model"],
    "PrimitiveNode": ["value"],
}  # fmt: skip

Graph = dict[str, dict[str, Any]]
#: Input key under which a custom node of a UI workflow keeps the weight-file names among its widgets.
_WIDGET_FILES = "_widget_files"
_WEIGHTS_FILE = re.compile(r"\.(safetensors|ckpt|pt|pth|bin|gguf|sft)$", re.IGNORECASE)


class _OutOfSteps(Exception):
    """The graph's step budget is spent; the walk in progress is abandoned."""


class _Nodes(dict[str, dict[str, Any]]):
    """The readable nodes of one graph plus the step budget every walk over it draws from."""

    def __init__(self, nodes: Graph, budget: int) -> None:
        super().__init__(nodes)
        self.left = budget

    def visit(self, nid: str) -> dict[str, Any]:
        """``self[nid]``, paying one step; raises :class:`_OutOfSteps` when the budget is spent."""
        self.left -= 1
        if self.left < 0:
            raise _OutOfSteps
        return self[nid]


def parse_comfyui(graph: dict[str, Any], warnings: list[str] | None = None) -> Params:
    """Parse a ComfyUI API graph (the PNG ``prompt`` chunk).

    Starts at every sampler node (KSampler, KSamplerAdvanced, SamplerCustom[Advanced], or any
    ``*Sampler*`` node with conditioning inputs), follows ``positive``/``negative`` links through
    any intermediate nodes to the text encoders, and keeps the main pass: the one with a prompt,
    full denoise and the most steps. Unknown node shapes are skipped, never fatal. Every walk
    draws from one budget of :data:`COMFY_STEP_BUDGET` node visits; when it runs out, what was
    found so far is kept and a line is appended to ``warnings``.
    """
    notes: list[str] = []
    nodes = _nodes(graph, notes)
    ranked = []
    out: Params = {}
    try:
        for nid in sorted(nodes, key=_id_key):
            if _is_sampler(nodes[nid]):
                params = _sampler_params(nodes, nid)
                full = (params.get("denoising_strength") or 1.0) >= 0.999 and params.pop("_adds_noise", True)
                ranked.append(
                    ((bool(params.get("prompt")), full, params.get("num_inference_steps") or 0), params)
                )
        out = max(ranked, key=lambda item: item[0])[1] if ranked else {}
        out.pop("_adds_noise", None)
        if not out.get("prompt"):
            texts = [
                t
                for n in nodes.values()
                if "TextEncode" in n["class_type"]
                for t in _literal_texts(nodes, n, "")
            ]
            out["prompt"] = texts[0] if texts else None
    except _OutOfSteps:
        if not out and ranked:
            out = max(ranked, key=lambda item: item[0])[1]
            out.pop("_adds_noise", None)
        notes.append(
            f"ComfyUI graph too large to follow fully (more than {COMFY_STEP_BUDGET:,} steps); "
            "settings may be incomplete"
        )
    out["model_checkpoint"] = out.get("model_checkpoint") or _any_checkpoint(nodes)
    out["generation_size"] = out.get("generation_size") or _any_latent_size(nodes)
    out["loras"] = _unique([*out.get("loras", []), *_all_loras(nodes)], MAX_LORAS)
    if warnings is not None:
        warnings.extend(notes)
    return clean(out)


def _node_id(value: Any) -> str | None:
    """A node or link id as text: only short strings and plain ints are ids."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if abs(value) < 10**18 else None
    if isinstance(value, str) and len(value) <= 256:
        return value
    return None


def workflow_to_api(workflow: dict[str, Any], warnings: list[str] | None = None) -> Graph:
    """Turn a ComfyUI UI ``workflow`` graph into the API shape (widgets of common nodes + links).

    Anything of the wrong type (``"nodes": 1``, a link that is not a list, unhashable ids) is
    skipped; at most :data:`COMFY_MAX_NODES` nodes are read.
    """
    if not isinstance(workflow, dict):
        return {}
    links: dict[str, tuple[Any, Any]] = {}
    raw_links = workflow.get("links")
    for link in raw_links[: COMFY_MAX_NODES * 4] if isinstance(raw_links, list) else []:
        if isinstance(link, list) and len(link) >= 5:
            key, origin, slot = _node_id(link[0]), link[1], link[2]
        elif isinstance(link, dict):
            key, origin, slot = _node_id(link.get("id")), link.get("origin_id"), link.get("origin_slot")
        else:
            continue
        if key is not None and _node_id(origin) is not None:
            links[key] = (_node_id(origin), slot)
    raw_nodes = workflow.get("nodes")
    raw_nodes = raw_nodes if isinstance(raw_nodes, list) else []
    if len(raw_nodes) > COMFY_MAX_NODES and warnings is not None:
        warnings.append(
            f"ComfyUI workflow has {len(raw_nodes):,} nodes; only the first {COMFY_MAX_NODES:,} were read"
        )
    graph: Graph = {}
    for node in raw_nodes[:COMFY_MAX_NODES]:
        nid = _node_id(node.get("id")) if isinstance(node, dict) else None
        if nid is None:
            continue
        ntype = node.get("type") if isinstance(node.get("type"), str) else ""
        values = node.get("widgets_values")
        inputs: dict[str, Any] = {}
        if isinstance(values, list):
            for name, value in zip(_WIDGET_NAMES.get(ntype, []), values, strict=False):
                if name:
                    inputs[name] = value
            if ntype not in _WIDGET_NAMES:  # a custom node: its widgets' names are unknown
                files = [v for v in values[:64] if isinstance(v, str) and _WEIGHTS_FILE.search(v.strip())]
                if files:
                    inputs[_WIDGET_FILES] = tuple(files[:8])  # a tuple: never taken for a link
        slots = node.get("inputs")
        for slot in slots[:1000] if isinstance(slots, list) else []:
            link_id = _node_id(slot.get("link")) if isinstance(slot, dict) else None
            if link_id is not None and link_id in links and isinstance(slot.get("name"), str):
                source, index = links[link_id]
                index = index if isinstance(index, int) and not isinstance(index, bool) else 0
                inputs[slot["name"]] = [source, index]
        graph[nid] = {"class_type": ntype, "inputs": inputs}
    return graph


def _nodes(graph: dict[str, Any], warnings: list[str]) -> _Nodes:
    nodes: Graph = {}
    if isinstance(graph, dict):
        if len(graph) > COMFY_MAX_NODES:
            warnings.append(
                f"ComfyUI graph has {len(graph):,} nodes; only the first {COMFY_MAX_NODES:,} were read"
            )
        for nid, node in graph.items():
            if len(nodes) >= COMFY_MAX_NODES:
                break
            if isinstance(node, dict) and isinstance(node.get("inputs"), dict) and _node_id(nid) is not None:
                ctype = node.get("class_type")
                nodes[str(nid)] = {
                    "class_type": ctype if isinstance(ctype, str) else "",
                    "inputs": node["inputs"],
                }
    return _Nodes(nodes, COMFY_STEP_BUDGET)


def _id_key(nid: str) -> tuple[int, int, str]:
    # isdecimal() alone accepts other scripts' digits; int() of 5,000 digits raises
    if nid.isascii() and nid.isdigit() and len(nid) <= 18:
        return (0, int(nid), "")
    return (1, 0, nid)


def _is_link(value: Any, nodes: Graph) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
        and (nid := _node_id(value[0])) is not None
        and nid in nodes
    )


def _is_sampler(node: dict[str, Any]) -> bool:
    ctype, inputs = node["class_type"], node["inputs"]
    return ctype in _SAMPLER_CLASSES or (
        "sampler" in ctype.lower() and ("positive" in inputs or "guider" in inputs)
    )


def _sampler_params(nodes: _Nodes, nid: str) -> Params:
    node = nodes[nid]
    texts = {}
    for side in ("positive", "negative"):
        link = _cond_link(nodes, node, side, 0)
        texts[side] = "\n".join(_cond_texts(nodes, link, side, set())) if link else None
    sampler, scheduler = normalise_sampler(
        _find_param(nodes, nid, ("sampler_name",)), _find_param(nodes, nid, ("scheduler",))
    )
    model, loras = _model_chain(nodes, node)
    return {
        "prompt": texts["positive"],
        "negative_prompt": texts["negative"],
        "num_inference_steps": to_int(_find_param(nodes, nid, ("steps",))),
        "guidance_scale": to_float(_find_param(nodes, nid, ("cfg",))),
        "seed": to_int(_find_param(nodes, nid, ("seed", "noise_seed"))),
        "sampler": sampler,
        "scheduler": scheduler,
        "denoising_strength": to_float(_find_param(nodes, nid, ("denoise",))),
        "model_checkpoint": model,
        "loras": loras,
        "generation_size": _latent_size(nodes, node),
        "_adds_noise": node["inputs"].get("add_noise") not in ("disable", False),
    }


def _cond_link(nodes: _Nodes, node: dict[str, Any], side: str, depth: int) -> list[Any] | None:
    inputs = node["inputs"]
    for key in ("positive", "conditioning", "cond1") if side == "positive" else ("negative",):
        if _is_link(inputs.get(key), nodes):
            return inputs[key]
    guider = inputs.get("guider")
    if _is_link(guider, nodes) and depth < 5:
        return _cond_link(nodes, nodes.visit(str(guider[0])), side, depth + 1)
    return None


def _cond_texts(nodes: _Nodes, link: list[Any], side: str, seen: set[str]) -> list[str]:
    """Texts that feed one conditioning link, through any chain of intermediate nodes."""
    nid = str(link[0])
    if nid in seen or len(seen) > 200:
        return []
    seen.add(nid)
    node = nodes.visit(nid)
    texts = _literal_texts(nodes, node, side)
    if texts:
        return texts
    inputs = node["inputs"]
    if _is_link(inputs.get("positive"), nodes) and _is_link(inputs.get("negative"), nodes):
        # e.g. ControlNetApplyAdvanced: output 0 is positive, output 1 negative
        branch = {0: "positive", 1: "negative"}.get(link[1], side)
        keys = [branch]
    else:
        keys = [k for k, v in inputs.items() if k not in _NOT_CONDITIONING and _is_link(v, nodes)]
    found: list[str] = []
    for key in keys:
        for text in _cond_texts(nodes, inputs[key], side, seen):
            if text not in found:
                found.append(text)
    return found


def _literal_texts(nodes: _Nodes, node: dict[str, Any], side: str) -> list[str]:
    inputs = node["inputs"]
    found: list[str] = []
    for key in _TEXT_KEYS:
        value = inputs.get(key)
        text = _linked_string(nodes, value, set()) if _is_link(value, nodes) else to_text(value)
        if isinstance(value, str | list) and text and text not in found:
            found.append(text)
    if not found and side and isinstance(inputs.get(side), str) and inputs[side].strip():
        found.append(inputs[side].strip())  # loader nodes with literal positive/negative text
    return found


def _linked_string(nodes: _Nodes, link: list[Any], seen: set[str]) -> str | None:
    nid = str(link[0])
    if nid in seen or len(seen) > 50:
        return None
    seen.add(nid)
    inputs = nodes.visit(nid)["inputs"]
    for key in (*_TEXT_KEYS, "value", "text_a"):
        if isinstance(inputs.get(key), str) and inputs[key].strip():
            return inputs[key].strip()
    for value in inputs.values():
        if _is_link(value, nodes) and (found := _linked_string(nodes, value, seen)):
            return found
    return None


def _find_param(
    nodes: _Nodes, nid: str, keys: tuple[str, ...], seen: set[str] | None = None, depth: int = 0
) -> Any:
    """A literal input of the sampler, or of helper nodes it links to (guider, sigmas, noise, seed)."""
    seen = seen if seen is not None else set()
    seen.add(nid)
    inputs = nodes.visit(nid)["inputs"]
    for key in keys:
        value = inputs.get(key)
        if _is_link(value, nodes):
            found = _linked_scalar(nodes, value, keys, 0, set())
            if found is not None:
                return found
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            return value
    if depth >= 3:
        return None
    for key, value in inputs.items():
        if key not in _PARAM_SKIP and _is_link(value, nodes) and str(value[0]) not in seen:
            found = _find_param(nodes, str(value[0]), keys, seen, depth + 1)
            if found is not None:
                return found
    return None


def _linked_scalar(nodes: _Nodes, link: list[Any], keys: tuple[str, ...], depth: int, seen: set[str]) -> Any:
    nid = str(link[0])
    if nid in seen:
        return None
    seen.add(nid)
    inputs = nodes.visit(nid)["inputs"]
    for key in (*keys, *_VALUE_KEYS):
        value = inputs.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return value
        if _is_link(value, nodes) and depth < 5:
            found = _linked_scalar(nodes, value, keys, depth + 1, seen)
            if found is not None:
                return found
    return None


def _model_chain(nodes: _Nodes, node: dict[str, Any]) -> tuple[str | None, list[str]]:
    """Follow the sampler's ``model`` input back through LoRA/patch nodes to the loader."""
    link = node["inputs"].get("model")
    guider = node["inputs"].get("guider")
    if not _is_link(link, nodes) and _is_link(guider, nodes):
        link = nodes.visit(str(guider[0]))["inputs"].get("model")
    loras: list[str] = []
    seen: set[str] = set()
    while _is_link(link, nodes) and str(link[0]) not in seen:
        seen.add(str(link[0]))
        inputs = nodes.visit(str(link[0]))["inputs"]
        if isinstance(inputs.get("lora_name"), str):
            loras.append(_file_stem(inputs["lora_name"]))
        name = next((_string(inputs.get(k)) for k in _MODEL_KEYS if _string(inputs.get(k))), None)
        files = inputs.get(_WIDGET_FILES)
        if not name and isinstance(files, tuple) and files:
            if not _is_link(inputs.get("model"), nodes):  # a custom loader (SDParameterGenerator)
                name = _string(files[0])
            elif "lora" in nodes[str(link[0])]["class_type"].lower():  # a custom LoRA loader: a patch
                loras.append(_file_stem(str(files[0])))
        if name:
            return name, loras
        link = inputs.get("model")
        if not _is_link(link, nodes):
            link = next((v for k, v in inputs.items() if "model" in k and _is_link(v, nodes)), None)
    return None, loras


def _latent_size(nodes: _Nodes, node: dict[str, Any]) -> str | None:
    link, seen = node["inputs"].get("latent_image"), set()
    while _is_link(link, nodes) and str(link[0]) not in seen:
        seen.add(str(link[0]))
        inputs = nodes.visit(str(link[0]))["inputs"]
        width, height = to_int(inputs.get("width")), to_int(inputs.get("height"))
        if width and height:
            return f"{width}x{height}"
        link = next(
            (inputs[k] for k in ("latent_image", "samples", "latent") if _is_link(inputs.get(k), nodes)), None
        )
    return None


def _any_checkpoint(nodes: Graph) -> str | None:
    for nid in sorted(nodes, key=_id_key):
        node = nodes[nid]
        if "loader" in node["class_type"].lower():
            for key in _MODEL_KEYS[:3]:
                if name := _string(node["inputs"].get(key)):
                    return name
    return None


def _any_latent_size(nodes: Graph) -> str | None:
    for nid in sorted(nodes, key=_id_key):
        node = nodes[nid]
        if "latent" in node["class_type"].lower() and "empty" in node["class_type"].lower():
            width, height = to_int(node["inputs"].get("width")), to_int(node["inputs"].get("height"))
            if width and height:
                return f"{width}x{height}"
    return None


def _all_loras(nodes: Graph) -> list[str]:
    names = []
    for nid in sorted(nodes, key=_id_key):
        for key, value in nodes[nid]["inputs"].items():
            if key == "lora_name" and isinstance(value, str):
                names.append(_file_stem(value))
            elif isinstance(value, dict) and isinstance(value.get("lora"), str) and value.get("on", True):
                names.append(_file_stem(value["lora"]))  # rgthree Power Lora Loader rows
        if len(names) > MAX_LORAS * 4:
            break
    return [n for n in names if n and n.lower() != "none"]


def _string(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _file_stem(name: str) -> str:
    base = re.split(r"[\\/]", name.strip())[-1]
    return re.sub(r"\.(safetensors|ckpt|pt|pth|bin)$", "", base, flags=re.IGNORECASE)
