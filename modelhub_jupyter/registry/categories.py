"""Categories of a discovered model (primary / secondary / specialisation, and its registry type)
by rules in a YAML file the user can edit (``categories.yaml`` here; a copy at
``$MODELHUB_HOME/model_categories.yaml`` wins)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import BadInputError

USER_FILE = "model_categories.yaml"
_WORD = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")


@dataclass
class Rules:
    """Parsed categorisation rules and the file they came from."""

    source: str
    primary: dict[str, dict[str, list[str]]]
    secondary: dict[str, dict[str, list[str]]]
    specialisation: dict[str, dict[str, list[str]]]
    model_type: list[dict[str, str]] = field(default_factory=list)


def _section(data: dict[str, Any], name: str, source: str) -> dict[str, dict[str, list[str]]]:
    raw = data.get(name) or {}
    if not isinstance(raw, dict):
        raise BadInputError(f"{source}: '{name}' must map category names to rules", path=source)
    out: dict[str, dict[str, list[str]]] = {}
    for category, rule in raw.items():
        rule = rule or {}
        if not isinstance(rule, dict):
            raise BadInputError(f"{source}: {name}.{category} must be a mapping", path=source)
        out[str(category)] = {
            key: [str(v).lower() for v in (rule.get(key) or [])] for key in ("keywords", "capabilities")
        }
    return out


def load_rules(home: Path | None = None) -> Rules:
    """The rules at ``home/model_categories.yaml`` when there is one, else the shipped ones."""
    user = home / USER_FILE if home is not None else None
    if user is not None and user.is_file():
        source, text = str(user), user.read_text(encoding="utf-8")
    else:
        source = "modelhub_jupyter/registry/categories.yaml"
        text = resources.files(__package__).joinpath("categories.yaml").read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise BadInputError(f"{source}:{where} not valid YAML", path=source) from None
    if not isinstance(data, dict):
        raise BadInputError(f"{source}: expected a mapping at the top", path=source)
    types = data.get("model_type") or [{"type": "other"}]
    if not isinstance(types, list) or not all(isinstance(t, dict) and "type" in t for t in types):
        raise BadInputError(f"{source}: model_type must be a list of rules, each with a 'type'", path=source)
    return Rules(
        source,
        _section(data, "primary", source),
        _section(data, "secondary", source),
        _section(data, "specialisation", source),
        [{str(k): str(v) for k, v in t.items()} for t in types],
    )


def words_of(name: str, metadata: dict[str, Any], path: str = "") -> set[str]:
    """The lower-case words a model is known by: name, path, tags, pipeline tag, architecture, ..."""
    parts: list[str] = [name, path]
    for key in ("pipeline_tag", "architecture", "model_family", "library_name", "display_name", "model_id"):
        value = metadata.get(key)
        if isinstance(value, str):
            parts.append(value)
    for key in ("tags", "capabilities"):
        value = metadata.get(key)
        if isinstance(value, list):
            parts.extend(str(v) for v in value[:100])
    framework = metadata.get("framework")
    if isinstance(framework, dict) and isinstance(framework.get("name"), str):
        parts.append(framework["name"])
    text = " ".join(parts).lower()
    words = set(_WORD.findall(text))
    for w in list(words):  # "all-minilm-l6-v2" also gives "all", "minilm", ...
        words.update(re.split(r"[-.]", w))
    return words


def _matches(rule: dict[str, list[str]], words: set[str], capabilities: set[str]) -> bool:
    return bool(words & set(rule["keywords"])) or bool(capabilities & set(rule["capabilities"]))


def categorise(
    rules: Rules, name: str, metadata: dict[str, Any], path: str = "", fmt: str = ""
) -> dict[str, Any]:
    """``{"primary", "secondary": [...], "specialisation": [...], "model_type", "rules"}`` for one model."""
    words = words_of(name, metadata, path)
    caps = {str(c).lower() for c in metadata.get("capabilities") or [] if isinstance(c, str)}
    primary = next((c for c, r in rules.primary.items() if _matches(r, words, caps)), "UNKNOWN")
    secondary = [c for c, r in rules.secondary.items() if _matches(r, words, caps)]
    special = [c for c, r in rules.specialisation.items() if _matches(r, words, caps)] or ["GENERAL"]
    model_type = "other"
    for rule in rules.model_type:
        conditions = [
            rule.get("primary") in (None, primary),
            rule.get("secondary") is None or rule["secondary"] in secondary,
            rule.get("format") in (None, fmt),
            rule.get("word") is None or rule["word"] in words,
        ]
        if all(conditions):
            model_type = rule["type"]
            break
    return {
        "primary": primary,
        "secondary": secondary,
        "specialisation": special,
        "model_type": model_type,
        "rules": rules.source,
    }
