"""Who may see each indexed file: ``.modelhub-access.yaml`` policy files and ``NAME.access.yaml`` sidecars.

A policy file applies to its folder and everything below it::

    # .modelhub-access.yaml
    groups:                        # who is in which group (optional; adds to --group / MODELHUB_GROUPS)
      research: [alice, bob]
    default:                       # files no rule matches (without it: everyone may see them)
      owner: alice
      view_permissions: [research]
    rules:                         # gitignore-style patterns, relative to this folder; the last match wins
      - paths: ["private/", "*.gguf"]
        owner: alice
        view_permissions: [bob]    # user or group names; "public" lets everyone see
      - paths: ["README.md"]
        view_permissions: [public]

Files and folders are matched from the indexed root down: a deeper policy's matching rule (or
default) wins over one above it, and a sidecar ``model.py.access.yaml`` (the same keys as a rule,
without ``paths``) wins over every policy. A policy that cannot be read or understood hides the
files under it from every user (fail closed) and is reported as an error naming it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
import yaml

from ..errors import one_line

POLICY_FILE = ".modelhub-access.yaml"
SIDECAR_SUFFIX = ".access.yaml"
READ_LIMIT = 256 * 1024
PUBLIC = "public"
_FIELDS = ("owner", "view_permissions", "edit_permissions", "share_permissions")
#: What a file gets when its policy is broken: an owner nobody is, no one allowed to view.
CLOSED: dict[str, Any] = {"owner": "", "view_permissions": []}


def is_policy_file(name: str) -> bool:
    """Policy files and sidecars are read for access, never indexed as configs."""
    lower = name.lower()
    return lower == POLICY_FILE or lower.endswith(SIDECAR_SUFFIX)


@dataclass
class _Rule:
    spec: pathspec.GitIgnoreSpec | None  # None: the policy's default
    access: dict[str, Any] | None  # None: public


@dataclass
class _Policy:
    rules: list[_Rule] = field(default_factory=list)
    default: _Rule | None = None
    closed: bool = False


class Policies:
    """The access policies under one indexed root, read on demand (each file once, links not
    followed out of the root); ``for_path(relpath)`` gives a file's ``access_control`` or None."""

    def __init__(self, root: Path, *, follow_external_links: bool = False) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.follow_external_links = follow_external_links
        self.errors: list[tuple[str, str]] = []  # (relpath of the policy, one-line reason)
        self.groups: dict[str, list[str]] = {}  # group -> members, from every policy read
        self._policies: dict[str, _Policy | None] = {}

    def for_path(self, relpath: str, *, is_dir: bool = False) -> dict[str, Any] | None:
        """``access_control`` of the file (or model folder) at ``relpath``; None means public."""
        parts = [] if relpath in ("", ".") else relpath.split("/")
        folders = ["/".join(parts[:i]) for i in range(len(parts) if not is_dir else len(parts) + 1)]
        access: dict[str, Any] | None = None
        for folder in folders:
            policy = self._policy(folder)
            if policy is None:
                continue
            if policy.closed:
                return dict(CLOSED)
            inner = relpath[len(folder) + 1 :] if folder else relpath
            probe = inner + "/" if is_dir else inner
            matched = next((r for r in reversed(policy.rules) if r.spec and r.spec.match_file(probe)), None)
            chosen = matched or policy.default
            if chosen is not None:
                access = chosen.access
        found, sidecar = self._sidecar(relpath)
        return sidecar if found else access

    # -- reading ---------------------------------------------------------------------------------
    def _read(self, rel: str) -> Any:
        """The YAML in the file at ``rel``; ``FileNotFoundError`` when absent, ``ValueError`` when unusable."""
        path = self.root / rel if rel else self.root
        if os.path.islink(path) and not self.follow_external_links:
            real = os.path.realpath(path)
            if not (real == self.real_root or real.startswith(self.real_root.rstrip(os.sep) + os.sep)):
                raise ValueError("symlink leaves the indexed folder (not followed)")
        if not os.path.isfile(path):
            raise FileNotFoundError(rel)
        with open(path, "rb") as handle:
            data = handle.read(READ_LIMIT + 1)
        if len(data) > READ_LIMIT:
            raise ValueError(f"over the {READ_LIMIT // 1024} KB limit")
        try:
            return yaml.safe_load(data.decode("utf-8", errors="replace"))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            raise ValueError(f"{where}{getattr(err, 'problem', None) or one_line(err)}") from None

    def _policy(self, folder: str) -> _Policy | None:
        if folder in self._policies:
            return self._policies[folder]
        rel = f"{folder}/{POLICY_FILE}" if folder else POLICY_FILE
        policy: _Policy | None
        try:
            policy = self._parse(self._read(rel))
        except FileNotFoundError:
            policy = None
        except (OSError, ValueError, TypeError) as err:
            self.errors.append((rel, f"access policy not used, files under it are hidden: {one_line(err)}"))
            policy = _Policy(closed=True)
        self._policies[folder] = policy
        return policy

    def _parse(self, data: Any) -> _Policy:
        if data is None:
            return _Policy()
        if not isinstance(data, dict):
            raise ValueError("expected a mapping with rules:, default: or groups:")
        unknown = set(data) - {"rules", "default", "groups"}
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]!r} (use rules, default, groups)")
        groups = data.get("groups") or {}
        if not isinstance(groups, dict):
            raise ValueError("groups: expected a mapping of group name to a list of users")
        for group, members in groups.items():
            self.groups.setdefault(str(group), [])
            self.groups[str(group)] += [
                m for m in _names(members, f"groups.{group}") if m not in self.groups[str(group)]
            ]
        policy = _Policy()
        if data.get("default") is not None:
            policy.default = _Rule(None, _access(data["default"], "default"))
        rules = data.get("rules") or []
        if not isinstance(rules, list):
            raise ValueError("rules: expected a list")
        for n, rule in enumerate(rules, start=1):
            if not isinstance(rule, dict) or "paths" not in rule:
                raise ValueError(f"rule {n}: expected a mapping with paths:")
            paths = _names(rule["paths"], f"rule {n} paths")
            body = {k: v for k, v in rule.items() if k != "paths"}
            policy.rules.append(_Rule(pathspec.GitIgnoreSpec.from_lines(paths), _access(body, f"rule {n}")))
        return policy

    def _sidecar(self, relpath: str) -> tuple[bool, dict[str, Any] | None]:
        """(whether ``relpath`` has a sidecar, the access it gives: None for public)."""
        rel = relpath + SIDECAR_SUFFIX
        try:
            return True, _access(self._read(rel), "sidecar")
        except FileNotFoundError:
            return False, None
        except (OSError, ValueError, TypeError) as err:
            self.errors.append((rel, f"access sidecar not used, {relpath} is hidden: {one_line(err)}"))
            return True, dict(CLOSED)


def _names(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return [str(v) for v in value]
    raise ValueError(f"{where}: expected a name or a list of names")


def _access(data: Any, where: str) -> dict[str, Any] | None:
    """An ``access_control`` mapping from a rule body; None when it lets everyone see."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping with owner: and view_permissions:")
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r} (use {', '.join(_FIELDS)})")
    out: dict[str, Any] = {}
    if data.get("owner") is not None:
        out["owner"] = str(data["owner"])
    for key in _FIELDS[1:]:
        if data.get(key) is not None:
            out[key] = _names(data[key], f"{where} {key}")
    if PUBLIC in out.get("view_permissions", []) or not (out.get("owner") or out.get("view_permissions")):
        return None if not out.get("owner") else {**out, "view_permissions": [PUBLIC]}
    out.setdefault("view_permissions", [])
    return out
