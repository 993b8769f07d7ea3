"""A model directory (config.json, weights, model card, tokenizer_config.json, metadata.json) -> one Extracted.

Sources are read in precedence order and the first evidence for a key wins:
``metadata.json`` (the owner's own words) > ``README.md`` front matter > ``config.json`` /
``model_index.json`` > ``tokenizer_config.json`` > weight headers. Tags are merged from all.
A broken file inside the directory becomes a one-line warning; the rest is still read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from .types import Chunk, Extracted, ParseError
from .weights import (
    CHUNK_CHARS,
    WEIGHT_SUFFIXES,
    WeightInfo,
    architecture_type_of,
    inspect_weight_file,
    summary_chunk,
)

# huggingface_hub repocard.py
REGEX_YAML_BLOCK = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")

_NOT_MODEL_WEIGHTS = {"training_args.bin", "optimizer.pt", "optimizer.bin", "scheduler.pt", "scaler.pt"}
_VARIANT = re.compile(r"\.(fp16|fp32|bf16|non_ema|ema)(?=\.[a-z]+$)")
_GGUF_SHARD = re.compile(r"-\d{5}-of-\d{5}(?=\.gguf$)")
_MAX_WEIGHT_FILES = 200
_HF_MAX_LENGTH_SENTINEL = 10**12  # tokenizers without a limit store int(1e30)

_DIMENSION_KEYS: dict[str, tuple[str, ...]] = {
    "hidden_size": ("hidden_size", "n_embd", "d_model", "dim", "embed_dim"),
    "num_layers": ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "encoder_layers"),
    "num_attention_heads": ("num_attention_heads", "n_head", "num_heads", "n_heads", "encoder_attention_heads"),
    "vocab_size": ("vocab_size", "n_vocab", "padded_vocab_size"),
    "context_length": ("max_position_embeddings", "n_positions", "n_ctx", "max_seq_len", "max_sequence_length",
                       "seq_length", "max_seq_length"),
    "intermediate_size": ("intermediate_size", "n_inner", "ffn_dim", "d_ff", "encoder_ffn_dim"),
}  # fmt: skip
_PREDECESSOR_KEYS = ("predecessor_models", "predecessor_model", "predecessor", "base_model", "parent_model",
                     "based_on", "fine_tuned_from")  # fmt: skip


# --------------------------------------------------------------------------- small helpers


def _str_list(value: Any) -> list[str] | None:
    if isinstance(value, str) and value.strip():
        return [value.strip()]
    if isinstance(value, list):
        out = [str(v).strip() for v in value if isinstance(v, (str, int, float)) and str(v).strip()]
        return out or None
    return None


def _pos_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _number(value: Any) -> float | int | None:
    """A metric value: numbers as they are, strings like "20.0 ± 1.2" -> 20.0, anything else -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        m = re.match(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", value)
        if m:
            return float(m.group(1))
    return None


def _metric_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return {"acc": "accuracy", "ppl": "perplexity"}.get(key, key)


def _set_metric(ex: Extracted, name: Any, value: Any, where: str) -> bool:
    """Set ``performance.<name>`` unless already known; True when it was set."""
    number = _number(value)
    key = _metric_key(name) if isinstance(name, str) else ""
    if number is None or not key or key == "eval_dataset" or f"performance.{key}" in ex.provenance:
        return False
    if key == "accuracy" and 1 < number <= 100:  # a percentage: the schema keeps accuracy in [0, 1]
        number, where = round(number / 100, 6), f"{where}, {number}% as a fraction"
    ex.set(f"performance.{key}", number, where)
    return True


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def _load_json(path: Path, ex: Extracted) -> dict | None:
    """Parse a JSON object; problems become warnings naming the file."""
    if not path.is_file():
        return None
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as err:
        ex.warnings.append(
            f"{path.name}: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
        )
        return None
    except OSError as err:
        ex.warnings.append(f"{path.name}: cannot read ({err.strerror or err})")
        return None
    if not isinstance(data, dict):
        ex.warnings.append(f"{path.name}: expected a JSON object, found {type(data).__name__}")
        return None
    return data


def _model_id(path: Path) -> str:
    # Hugging Face cache: models--org--name/snapshots/<sha>
    if path.parent.name == "snapshots" and path.parent.parent.name.startswith("models--"):
        return path.parent.parent.name.removeprefix("models--").replace("--", "/")
    return path.name


# --------------------------------------------------------------------------- metadata.json (seed 004)


def _apply_metadata_json(ex: Extracted, meta: dict, file: str, tags: list[tuple[list[str], str]]) -> None:
    def w(key: str) -> str:
        return f"{file} ({key})"

    for key in ("display_name", "description", "version", "license", "author"):
        value = meta.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            ex.set(key, str(value).strip(), w(key), overwrite=False)
    for key in ("use_cases", "specialized_domains", "language_support"):
        ex.set(key, _str_list(meta.get(key)), w(key), overwrite=False)
    if _str_list(meta.get("tags")):
        tags.append((_str_list(meta.get("tags")) or [], w("tags")))
    metrics = meta.get("performance_metrics")
    if isinstance(metrics, dict):
        for name, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                _set_metric(ex, name, value, w(f"performance_metrics.{name}"))
    for group in ("resource_requirements", "optimization_settings"):
        block = meta.get(group)
        if isinstance(block, dict):
            for name, value in block.items():
                if isinstance(value, (str, int, float, bool, list)) and str(name).strip():
                    ex.set(f"{group}.{_metric_key(str(name))}", value, w(f"{group}.{name}"), overwrite=False)
    for key in _PREDECESSOR_KEYS:
        found = _str_list(meta.get(key))
        if found:
            ex.set("predecessor_models", found, w(key), overwrite=False)
            break


# --------------------------------------------------------------------------- model card


class _Card:
    """README.md split into front matter (with line lookup) and body lines."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.front: dict | None = None
        self.front_error: str | None = None
        self.fm_first = self.fm_last = 0  # 1-based lines of the YAML between the fences
        self.body_first = 1
        m = REGEX_YAML_BLOCK.search(text)
        if not m:
            return
        self.fm_first = m.group(1).count("\n") + 1
        self.fm_last = self.fm_first + m.group(2).count("\n")
        self.body_first = text[: m.end()].count("\n") + 1 + (0 if m.group(0).endswith("\n") else 1)
        try:
            data = yaml.safe_load(m.group(2))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            problem = getattr(err, "problem", None) or "cannot parse"
            at = f" at line {self.fm_first + mark.line}" if mark is not None else ""
            self.front_error = f"README.md: front matter is not valid YAML ({problem}{at})"
            return
        if data is None:
            return
        if not isinstance(data, dict):
            self.front_error = f"README.md: front matter is a {type(data).__name__}, not a mapping"
            return
        self.front = data

    def key_line(self, key: str) -> int:
        pattern = re.compile(rf"^{re.escape(key)}\s*:")
        for i in range(self.fm_first, self.fm_last + 1):
            if pattern.match(self.lines[i - 1]):
                return i
        return self.fm_first or 1

    def find_after(self, start: int, needle: str) -> int:
        for i in range(start, self.fm_last + 1):
            if needle in self.lines[i - 1]:
                return i
        return start


def _apply_card(ex: Extracted, card: _Card, file: str, tags: list[tuple[list[str], str]]) -> None:
    fm = card.front or {}

    def w(key: str) -> str:
        return f"{file}:{card.key_line(key)}"

    license_ = fm.get("license")
    if license_ == "other" and isinstance(fm.get("license_name"), str):
        ex.set("license", fm["license_name"], w("license_name"), overwrite=False)
    elif isinstance(license_, str) and license_.strip():
        ex.set("license", license_.strip(), w("license"), overwrite=False)
    if _str_list(fm.get("tags")):
        tags.append((_str_list(fm.get("tags")) or [], w("tags")))
    datasets = _str_list(fm.get("datasets"))
    ex.set("datasets", datasets, w("datasets"), overwrite=False)
    if datasets:
        ex.set("dataset.name", datasets[0], w("datasets"), overwrite=False)
    base = fm.get("base_model")
    if isinstance(base, str) and base.strip():
        ex.set("base_model", base.strip(), w("base_model"), overwrite=False)
    elif _str_list(base):
        ex.set("base_model", _str_list(base), w("base_model"), overwrite=False)
    ex.set("predecessor_models", _str_list(base), w("base_model"), overwrite=False)
    for key in ("pipeline_tag", "library_name"):
        if isinstance(fm.get(key), str) and fm[key].strip():
            ex.set(key, fm[key].strip(), w(key), overwrite=False)
    if isinstance(fm.get("library_name"), str) and fm["library_name"].strip():
        ex.set("framework.name", fm["library_name"].strip(), w("library_name"), overwrite=False)
    ex.set("language", _str_list(fm.get("language")), w("language"), overwrite=False)
    index = fm.get("model-index")
    if isinstance(index, list):
        start = card.key_line("model-index")
        for entry in index:
            for result in (entry.get("results") if isinstance(entry, dict) else None) or []:
                if not isinstance(result, dict):
                    continue
                ds = result.get("dataset") if isinstance(result.get("dataset"), dict) else {}
                ds_name = ds.get("name") or ds.get("type")
                for metric in result.get("metrics") or []:
                    if not isinstance(metric, dict):
                        continue
                    mtype = metric.get("type") or metric.get("name")
                    line = card.find_after(start, f"type: {mtype}") if isinstance(mtype, str) else start
                    if _set_metric(ex, mtype, metric.get("value"), f"{file}:{line}") and isinstance(
                        ds_name, str
                    ):
                        ex.set("performance.eval_dataset", ds_name, f"{file}:{line}", overwrite=False)
    _apply_card_body(ex, card, file)


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _sections(card: _Card) -> list[tuple[int, str | None, list[str], int, int]]:
    """Body -> [(level, heading, lines, start_line, end_line)], headings inside code fences ignored."""
    sections: list[tuple[int, str | None, list[str], int, int]] = []
    level, heading, buf, start = 0, None, [], card.body_first
    in_fence = False
    for lineno in range(card.body_first, len(card.lines) + 1):
        line = card.lines[lineno - 1]
        if _FENCE.match(line):
            in_fence = not in_fence
        m = None if in_fence else _HEADING.match(line)
        if m:
            if buf:
                sections.append((level, heading, buf, start, lineno - 1))
            level, heading, buf, start = len(m.group(1)), m.group(2).strip(), [line], lineno
        else:
            buf.append(line)
    if buf:
        sections.append((level, heading, buf, start, start + len(buf) - 1))
    return sections


def _paragraphs(lines: list[str], first_line: int) -> list[tuple[list[str], int]]:
    """Split on blank lines outside code fences -> [(lines, start_line)]."""
    out: list[tuple[list[str], int]] = []
    cur: list[str] = []
    cur_start = first_line
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if cur:
                out.append((cur, cur_start))
            cur = []
            continue
        if not cur:
            cur_start = first_line + i
        cur.append(line)
    if cur:
        out.append((cur, cur_start))
    return out


def _pieces(paragraphs: list[tuple[list[str], int]], limit: int) -> list[tuple[str, int, int]]:
    """Pack paragraphs into texts ≤ limit characters -> [(text, start_line, end_line)].

    A paragraph longer than the limit (a big table or code block) is cut between lines, and a
    line longer than the limit is cut into pieces.
    """
    units: list[tuple[str, int, int, str]] = []  # (text, start, end, glue to the previous unit)
    for lines, start in paragraphs:
        text = "\n".join(lines)
        if len(text) <= limit:
            units.append((text, start, start + len(lines) - 1, "\n\n"))
            continue
        glue = "\n\n"
        for offset, line in enumerate(lines):
            for k in range(0, max(len(line), 1), limit):
                units.append((line[k : k + limit], start + offset, start + offset, glue))
                glue = "\n" if k + limit >= len(line) else ""
    pieces: list[tuple[str, int, int]] = []
    for text, start, end, glue in units:
        if pieces and len(pieces[-1][0]) + len(glue) + len(text) <= limit:
            prev = pieces[-1]
            pieces[-1] = (prev[0] + glue + text, prev[1], end)
        else:
            pieces.append((text, start, end))
    return pieces


def _apply_card_body(ex: Extracted, card: _Card, file: str) -> None:
    trail: dict[int, str] = {}
    for level, heading, lines, start, _end in _sections(card):
        if heading is not None:
            trail = {lv: h for lv, h in trail.items() if lv < level}
            trail[level] = heading
            if level == 1 and not ex.get("display_name") and len(heading) <= 120:
                ex.set("display_name", heading, f"{file}:{start}", overwrite=False)
        body = lines[1:] if heading is not None else lines
        if not any(line.strip() for line in body):
            continue  # a heading directly followed by a sub-heading
        shown = (
            [trail[lv] for lv in sorted(trail) if lv > 1 or len(trail) == 1] if heading is not None else []
        )
        breadcrumb = " › ".join([file, *shown])
        if not ex.get("description"):
            _description_from(ex, body, start + (1 if heading is not None else 0), file)
        prefix = (lines[0].strip() + "\n") if heading is not None else ""
        first = start + (1 if heading is not None else 0)
        for n, (text, p_start, p_end) in enumerate(
            _pieces(_paragraphs(body, first), CHUNK_CHARS - len(prefix))
        ):
            ex.chunks.append(
                Chunk(
                    content=prefix + text,
                    start_line=start if n == 0 and heading is not None else p_start,
                    end_line=p_end,
                    breadcrumb=breadcrumb,
                    section_type="utility",
                    chunk_type="card",
                    symbol=heading,
                )
            )


def _description_from(ex: Extracted, body: list[str], first: int, file: str) -> None:
    """The first prose paragraph of the card (no code, tables, images, HTML) as a short description."""
    for lines, start in _paragraphs(body, first):
        text = " ".join(line.strip() for line in lines)
        if not text or text[0] in "`|<!#>-*[" or text.startswith("```"):
            continue
        text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
        text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text).strip()
        if len(text) < 20:
            continue
        ex.set(
            "description",
            text if len(text) <= 300 else text[:299].rstrip() + "…",
            f"{file}:{start}",
            overwrite=False,
        )
        return


# --------------------------------------------------------------------------- config.json / tokenizer


def _apply_config(ex: Extracted, config: dict, file: str, *, diffusers_index: bool = False) -> bool:
    """Apply config.json / model_index.json; returns True when the model has a vision tower."""

    def w(key: str) -> str:
        return f"{file} ({key})"

    text_config = config.get("text_config") if isinstance(config.get("text_config"), dict) else {}
    model_type = config.get("model_type") or text_config.get("model_type")
    model_type = model_type if isinstance(model_type, str) and model_type else None
    architectures = [a for a in config.get("architectures") or [] if isinstance(a, str)]
    class_name = config.get("_class_name") if isinstance(config.get("_class_name"), str) else None
    ex.set("model_family", model_type, w("model_type"), overwrite=False)
    if architectures:
        ex.set("architecture", architectures[0], w("architectures"), overwrite=False)
    elif class_name:
        ex.set("architecture", class_name, w("_class_name"), overwrite=False)
    is_diffusers = diffusers_index or "_diffusers_version" in config
    kind = architecture_type_of(model_type, *architectures, class_name, diffusers=is_diffusers)
    source = "_class_name" if is_diffusers else ("model_type" if model_type else "architectures")
    ex.set("architecture_type", kind, w(source), overwrite=False)
    if is_diffusers:
        ex.set("framework.name", "diffusers", w("_diffusers_version"), overwrite=False)
    for dim, keys in _DIMENSION_KEYS.items():
        for scope, prefix in ((config, ""), (text_config, "text_config.")):
            hit = next((k for k in keys if _pos_int(scope.get(k))), None)
            if hit:
                ex.set(f"model_dimensions.{dim}", scope[hit], w(prefix + hit), overwrite=False)
                break
    if (
        model_type == "gpt2"
        and "n_inner" in config
        and config["n_inner"] is None
        and _pos_int(config.get("n_embd"))
    ):
        ex.set("model_dimensions.intermediate_size", 4 * config["n_embd"], w("n_inner = null → 4 × n_embd"),
               overwrite=False)  # fmt: skip
    quant = config.get("quantization_config")
    if isinstance(quant, dict) and isinstance(quant.get("quant_method"), str):
        ex.set("quantization", quant["quant_method"], w("quantization_config.quant_method"), overwrite=False)
    return isinstance(config.get("vision_config"), dict)


def _apply_tokenizer(ex: Extracted, tok: dict | None, dir_path: Path, file: str) -> None:
    def w(key: str) -> str:
        return f"{file} ({key})"

    has_template = False
    if tok is not None:
        if isinstance(tok.get("tokenizer_class"), str):
            ex.set("tokenizer.class", tok["tokenizer_class"], w("tokenizer_class"), overwrite=False)
        length = _pos_int(tok.get("model_max_length"))
        if length and length < _HF_MAX_LENGTH_SENTINEL:
            ex.set("tokenizer.model_max_length", length, w("model_max_length"), overwrite=False)
        has_template = bool(tok.get("chat_template"))
        if has_template:
            ex.set("tokenizer.has_chat_template", True, w("chat_template"), overwrite=False)
    for name in ("chat_template.jinja", "chat_template.json"):
        if (dir_path / name).is_file():
            has_template = True
            ex.set("tokenizer.has_chat_template", True, str(Path(file).with_name(name)), overwrite=False)
    if tok is not None and not has_template:
        ex.set("tokenizer.has_chat_template", False, w("chat_template"), overwrite=False)


# --------------------------------------------------------------------------- weights


def _weight_files(path: Path) -> list[Path]:
    """Weight files at the top level, then in sub-folders up to two levels down (diffusers components)."""
    found: list[Path] = []

    def walk(folder: Path, depth: int) -> None:
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError:
            return
        for p in entries:
            if len(found) >= _MAX_WEIGHT_FILES or p.name.startswith("."):
                continue
            if p.is_file() and p.suffix.lower() in WEIGHT_SUFFIXES:
                if p.name not in _NOT_MODEL_WEIGHTS and not p.name.startswith("rng_state"):
                    found.append(p)
        if depth < 2:
            for p in entries:
                if p.is_dir() and not p.name.startswith((".", "__")) and not p.is_symlink():
                    walk(p, depth + 1)

    walk(path, 0)
    return found


def _counted(infos: list[tuple[Path, WeightInfo]], path: Path, ex: Extracted) -> list[WeightInfo]:
    """The weight files whose parameters make up the model (no duplicates in other formats or variants)."""
    ok = [(p, i) for p, i in infos if i.entry.get("parameters") is not None]
    top = [(p, i) for p, i in ok if p.parent == path]
    pool = top or ok
    safetensors = [(p, i) for p, i in pool if i.entry["format"] == "safetensors"]
    index = _load_json(path / "model.safetensors.index.json", ex)
    if index and isinstance(index.get("weight_map"), dict):
        shards = {str(v) for v in index["weight_map"].values()}
        present = {p.name for p, _ in safetensors}
        missing = sorted(shards - present)
        if missing:
            ex.warnings.append(
                f"model.safetensors.index.json: {len(missing)} of {len(shards)} shards missing ({', '.join(missing[:3])})"
            )
        listed = [i for p, i in safetensors if p.name in shards and p.parent == path]
        if listed:
            return listed
    if safetensors:
        chosen: dict[tuple[Path, str], WeightInfo] = {}
        for p, i in sorted(safetensors, key=lambda pi: (bool(_VARIANT.search(pi[0].name)), str(pi[0]))):
            chosen.setdefault((p.parent, _VARIANT.sub("", p.name)), i)
        return list(chosen.values())
    ggufs = [(p, i) for p, i in pool if i.entry["format"] == "gguf"]
    if ggufs:  # several quantisations of one model are alternatives; split shards add up
        groups: dict[str, list[WeightInfo]] = {}
        for p, i in ggufs:
            groups.setdefault(_GGUF_SHARD.sub("", p.name), []).append(i)
        return groups[sorted(groups)[0]]
    return [i for _, i in pool if i.entry["format"] == "onnx"]


def _apply_weights(ex: Extracted, path: Path, rp: Any) -> None:
    infos: list[tuple[Path, WeightInfo]] = []
    entries: list[dict[str, Any]] = []
    for p in _weight_files(path):
        rel = rp(p.relative_to(path).as_posix())
        try:
            info = inspect_weight_file(p, rel)
        except ParseError as err:
            ex.warnings.append(f"{p.relative_to(path).as_posix()}: {err}")
            fmt = p.suffix.lower().lstrip(".")
            fmt = {"bin": "pytorch", "pt": "pytorch", "pth": "pytorch"}.get(fmt, fmt)
            entries.append({"file": rel, "format": fmt, "size_bytes": p.stat().st_size, "parameters": None,
                            "dtypes": [], "error": str(err)})  # fmt: skip
            continue
        infos.append((p, info))
        entries.append(info.entry)
    if not entries:
        return
    ex.set("weights", entries, rp("") + " (weight files)")
    counted = _counted(infos, path, ex)
    others = [i for _, i in infos if all(i is not c for c in counted)]
    for info in [*counted, *others]:
        ex.merge(info.facts)  # first evidence wins: config.json and the card were applied before
    if counted:
        total = sum(i.entry["parameters"] for i in counted)
        where = (f"{counted[0].entry['file']} (header)" if len(counted) == 1
                 else f"sum of {len(counted)} {counted[0].entry['format']} headers")  # fmt: skip
        ex.set("model_dimensions.total_parameters", total, where, overwrite=False)
        dtypes: dict[str, int] = {}
        for info in counted:
            for k, v in info.dtype_params.items():
                dtypes[k] = dtypes.get(k, 0) + v
        if dtypes:
            ex.set("dtype", max(dtypes, key=lambda k: dtypes[k]), where, overwrite=False)


# --------------------------------------------------------------------------- public reader


def read_model_dir(path: Path, relpath: str) -> Extracted:
    """Read a model directory into one Extracted: metadata with provenance, a summary chunk, card chunks."""
    path = Path(path)
    if not path.is_dir():
        raise ParseError("not a directory")
    base = relpath.strip("/")
    base = "" if base in ("", ".") else base

    def rp(name: str) -> str:
        return "/".join(x for x in (base, name) if x) or path.name

    ex = Extracted()
    ex.set("model_id", _model_id(path), f"{rp('')} (directory name)")
    tags: list[tuple[list[str], str]] = []

    meta = _load_json(path / "metadata.json", ex)
    if meta is not None:
        _apply_metadata_json(ex, meta, rp("metadata.json"), tags)
    readme = path / "README.md"
    if readme.is_file():
        try:
            card = _Card(_read_text(readme))
        except OSError as err:
            ex.warnings.append(f"README.md: cannot read ({err.strerror or err})")
        else:
            if card.front_error:
                ex.warnings.append(card.front_error)
            _apply_card(ex, card, rp("README.md"), tags)
    config = _load_json(path / "config.json", ex)
    vision = config is not None and _apply_config(ex, config, rp("config.json"))
    model_index = _load_json(path / "model_index.json", ex)
    if model_index is not None:
        _apply_config(ex, model_index, rp("model_index.json"), diffusers_index=True)
    if isinstance(config, dict):
        dtype = config.get("torch_dtype") or config.get("dtype")
        dtype_where = f"{rp('config.json')} (torch_dtype)"
    else:
        dtype, dtype_where = None, ""
    _apply_tokenizer(ex, _load_json(path / "tokenizer_config.json", ex), path, rp("tokenizer_config.json"))
    _apply_weights(ex, path, rp)
    if isinstance(dtype, str):
        ex.set("dtype", dtype, dtype_where, overwrite=False)
    _finish(ex, path, rp, tags, vision)
    return ex


def _finish(ex: Extracted, path: Path, rp: Any, tags: list[tuple[list[str], str]], vision: bool) -> None:
    # tags: merged from metadata.json, the card, and GGUF general.tags
    if isinstance(ex.get("tags"), list):
        tags.append((ex.get("tags"), ex.provenance.get("tags", "")))
    merged = list(dict.fromkeys(t for group, _ in tags for t in group))
    if merged:
        ex.set("tags", merged, "; ".join(dict.fromkeys(w for _, w in tags if w)))
    # capabilities
    caps = list(ex.get("capabilities") or [])
    cap_where = [ex.provenance["capabilities"]] if caps else []
    if (path / "modules.json").is_file() or (path / "config_sentence_transformers.json").is_file():
        caps.append("embedding")
        cap_where.append(
            rp("modules.json" if (path / "modules.json").is_file() else "config_sentence_transformers.json")
        )
    elif ex.get("pipeline_tag") in ("sentence-similarity", "feature-extraction"):
        caps.append("embedding")
        cap_where.append(ex.provenance.get("pipeline_tag", ""))
    if ex.get("tokenizer.has_chat_template"):
        caps.append("chat")
        cap_where.append(ex.provenance.get("tokenizer.has_chat_template", ""))
    if vision or str(ex.get("pipeline_tag", "")).startswith("image-"):
        caps.append("vision")
        cap_where.append(
            f"{rp('config.json')} (vision_config)" if vision else ex.provenance.get("pipeline_tag", "")
        )
    if caps:
        ex.set("capabilities", list(dict.fromkeys(caps)), "; ".join(dict.fromkeys(w for w in cap_where if w)))
    # the summary chunk points at the first real file that describes the model
    for name in ("config.json", "model_index.json", "metadata.json", "README.md"):
        p = path / name
        if p.is_file():
            try:
                n_lines = max(1, _read_text(p).count("\n") + 1)
            except OSError:
                continue
            ex.chunks.insert(0, summary_chunk(ex, rp(name), 1, n_lines))
            return
    weights = ex.get("weights") or []
    ex.chunks.insert(0, summary_chunk(ex, weights[0]["file"] if weights else rp(""), 1, 1))
