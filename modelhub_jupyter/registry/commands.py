"""The ``models`` command group: ``modelhub models discover|list|show|register|activate|rollback|
benchmark|stage|validate|download`` (and the same ``%modelhub models ...`` magics)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..commands import Command
from .discover import DEFAULT_EXCLUDES, FORMATS
from .edit import Edits
from .store import MODEL_TYPES, STAGES, VersionRow
from .views import ModelCard, ModelList, download_text, validation_text

if TYPE_CHECKING:
    from ..commands import Env
    from .activate import Activation
    from .discover import Discovery

GROUP = "models"
TYPE_ARG = click.argument("model_type", metavar="TYPE")
TYPE_OPT = click.option("--type", "model_type", default=None, help=f"Model type: {', '.join(MODEL_TYPES)}.")
NAME_ARG = click.argument("name")
VERSION_ARG = click.argument("version")
OPT_VERSION = click.argument("version", required=False)
JSON_HINT = "--json prints exactly one JSON document."


def discover(env: Env, roots: tuple[str, ...], max_depth: int = 5, formats: str | None = None,
             exclude: tuple[str, ...] = (), dry_run: bool = False) -> Discovery:  # fmt: skip
    """Find every model folder and weight file under ROOTS (headers only, nothing loaded) and record them.

    Prints what was found, skipped and why; --dry-run records nothing."""
    from ..errors import BadInputError

    if not roots:
        raise BadInputError("models discover needs at least one folder")
    chosen = tuple(f.strip() for f in formats.split(",")) if formats else FORMATS
    found = env.hub.models.discover(list(roots), register=not dry_run, max_depth=max_depth, formats=chosen,
                                    exclude=tuple(DEFAULT_EXCLUDES) + tuple(exclude))  # fmt: skip
    return found


def list_models(env: Env, model_type: str | None = None) -> ModelList:
    """Registered models (by type): categories, tier, versions with stage, active flag, size, sha256."""
    return ModelList(env.hub.models.list(model_type), model_type)


def show(env: Env, name: str) -> ModelCard:
    """One model: metadata, categories, versions (files with sha256), performance and history."""
    return ModelCard(env.hub.models.show(name))


def register(env: Env, path: str, name: str | None = None, model_type: str | None = None,
             version: str | None = None, parent: str | None = None, tier: str | None = None,
             bundled: bool = False) -> VersionRow:  # fmt: skip
    """Register the model folder or file at PATH as a new version (sha256 of every file, headers read).

    --bundled registers the installed all-MiniLM-L6-v2 as minilm v1 (PATH is then ignored)."""
    hub_models = env.hub.models
    if bundled:
        return hub_models.register_bundled()
    return hub_models.register(path, name=name, model_type=model_type, version=version, parent=parent, tier=tier,
                               progress=env.progress)  # fmt: skip


def activate(env: Env, model_type: str, version: str, background: bool = False) -> Activation:
    """Make VERSION (v2 or MODEL:v2) the active TYPE model; running kernels switch on their next call.

    A text embedder whose vectors are not stored yet gets a new index generation first (progress bar);
    searches keep using the active one meanwhile."""
    return env.hub.models.activate(model_type, version, wait=not background, progress=env.progress)


def rollback(env: Env, model_type: str) -> Activation:
    """Go back to the TYPE version that was active before the current one."""
    return env.hub.models.rollback(model_type, progress=env.progress)


def benchmark(env: Env, model_type: str, versions: str | None = None, queries: str | None = None) -> Any:
    """Latency p50/p95, throughput, recall@5 and MRR of TYPE versions side by side (stored), with % change."""
    chosen = [v.strip() for v in versions.split(",") if v.strip()] if versions else None
    return env.hub.models.benchmark(model_type, chosen, queries=queries)


def stage(env: Env, name: str, version: str, stage: str, approved_by: str | None = None,
          comment: str = "") -> VersionRow:  # fmt: skip
    """Move NAME VERSION to STAGE (production needs --approved-by; the active version cannot be deprecated)."""
    return env.hub.models.stage(name, version, stage, approved_by=approved_by, comment=comment)


def validate(env: Env, name: str, version: str | None = None) -> dict[str, Any]:
    """Check NAME VERSION (default: newest): files complete, sha256 as registered, headers readable."""
    return env.hub.models.validate(name, version)


def download(env: Env, source: str, dest: str | None = None, revision: str | None = None,
             filename: str | None = None, sha256: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Download SOURCE (a URL or a Hugging Face repo id) with progress, resume and sha256 verification."""
    return env.hub.models.download(source, dest, revision=revision, filename=filename, sha256=sha256,
                                   progress=env.progress)  # fmt: skip


def derive(env: Env, name: str, version: str, dest: str | None = None) -> VersionRow:
    """Make and register an int8 dynamically-quantised ONNX copy of text embedder NAME VERSION."""
    return env.hub.models.derive_int8(name, version, dest)


def update(env: Env, names: tuple[str, ...] = (), set_items: tuple[str, ...] = (), unset: tuple[str, ...] = (),
           where: tuple[str, ...] = (), tier: str | None = None, groups: tuple[str, ...] = (),
           dry_run: bool = False) -> Edits:  # fmt: skip
    """Edit the metadata of model NAMES, or of every model --where selects (bulk): --set key=value
    (dotted keys nest; values read as JSON when they parse: 3, true, [a]), --unset key, --tier, --group.

    All selected models are checked before any is changed; every change is in the history."""
    from .edit import parse_assignments

    rows = env.hub.models.edit(list(names), where=list(where), set_=parse_assignments(set_items), unset=list(unset),
                               tier=tier, groups=list(groups) or None, dry_run=dry_run)  # fmt: skip
    return Edits(rows, dry_run)


EXAMPLES = """\b
%modelhub models list --type text_embedding
%modelhub models activate text_embedding minilm:v1-int8
%modelhub models benchmark text_embedding --versions minilm:v1,minilm:v1-int8"""


def tier(env: Env) -> dict[str, Any]:
    """Who this session is (user, groups), its tier and where the tier comes from ($MODELHUB_HOME/registry.yaml
    maps users and groups to lite, standard or professional)."""
    return env.hub.models.whoami()


UPDATE_EXAMPLES = """\b
modelhub models update minilm --set owner=ml-team --set performance.accuracy=0.91
modelhub models update --where type=llm --where secondary=CHAT --tier standard"""

COMMANDS: tuple[Command, ...] = (
    Command("discover", discover, (
        click.argument("roots", nargs=-1),
        click.option("--max-depth", type=click.IntRange(0), default=5, show_default=True, help="Folder levels."),
        click.option("--formats", default=None, help=f"Comma-separated, of {','.join(FORMATS)} (default all)."),
        click.option("--exclude", multiple=True, metavar="PATTERN", help="gitignore-style pattern (repeatable)."),
        click.option("--dry-run", is_flag=True, help="Only report; record nothing."),
    ), group=GROUP),
    Command("list", list_models, (TYPE_OPT,), group=GROUP, examples=EXAMPLES),
    Command("show", show, (NAME_ARG,), group=GROUP),
    Command("register", register, (
        click.argument("path", required=False, default=""),
        click.option("--name", default=None, help="Model name (default: from its card or folder)."),
        TYPE_OPT,
        click.option("--version", default=None, help="Version label (default v<n+1>)."),
        click.option("--parent", default=None, help="The version it was derived from."),
        click.option("--tier", default=None, help="Tier needed to use a new model: lite, standard, professional."),
        click.option("--bundled", is_flag=True, help="Register the installed all-MiniLM-L6-v2 as minilm v1."),
    ), group=GROUP),
    Command("activate", activate, (TYPE_ARG, VERSION_ARG, click.option(
        "--background", is_flag=True, help="Return at once; the generation builds in the background.")),
        group=GROUP),
    Command("rollback", rollback, (TYPE_ARG,), group=GROUP),
    Command("benchmark", benchmark, (
        TYPE_ARG,
        click.option("--versions", default=None, help="Comma-separated (v1,v2 or model:v1); default all."),
        click.option("--queries", default=None, help="Questions file (gold format; default the example's)."),
    ), group=GROUP),
    Command("stage", stage, (NAME_ARG, VERSION_ARG, click.argument("stage", type=click.Choice(STAGES)),
                             click.option("--approved-by", default=None, help="Who approves (production)."),
                             click.option("--comment", default="", help="Why.")), group=GROUP),
    Command("validate", validate, (NAME_ARG, OPT_VERSION), group=GROUP),
    Command("download", download, (
        click.argument("source"),
        click.option("--dest", default=None, help="Folder (default $MODELHUB_HOME/models/downloads)."),
        click.option("--revision", default=None, help="Hub revision (branch, tag or commit)."),
        click.option("--filename", default=None, help="One file of the repo / the name to save a URL as."),
        click.option("--sha256", default=None, help="Expected sha256 of the file."),
    ), group=GROUP),
    Command("update", update, (
        click.argument("names", nargs=-1),
        click.option("--set", "set_items", multiple=True, metavar="KEY=VALUE", help="Set a metadata key (repeatable)."),
        click.option("--unset", multiple=True, metavar="KEY", help="Remove a metadata key (repeatable)."),
        click.option("--where", "-w", multiple=True, metavar="KEY=VALUE",
                     help="Select models (bulk): type=llm, secondary=EMBEDDING, tier!=lite, name~mini, a metadata key."),
        click.option("--tier", default=None, type=click.Choice(("lite", "standard", "professional")),
                     help="Tier a session needs to use the model."),
        click.option("--for-group", "groups", multiple=True, help="Only these groups may use the model (repeatable)."),
        click.option("--dry-run", is_flag=True, help="Show what would change; change nothing."),
    ), group=GROUP, examples=UPDATE_EXAMPLES),
    Command("tier", tier, (), group=GROUP),
    Command("derive-int8", derive, (NAME_ARG, VERSION_ARG, click.option("--dest", default=None)), group=GROUP),
)  # fmt: skip


def _echo_text(result: Any) -> None:
    click.echo(result.text())


#: How each ``models`` command reads in a terminal (``cli.HUMAN`` takes these); ``--json`` is unchanged.
HUMAN: dict[str, Any] = {
    **{f"{GROUP} {name}": _echo_text for name in
       ("discover", "list", "show", "register", "activate", "rollback", "benchmark", "stage", "derive-int8",
        "update")},
    f"{GROUP} validate": lambda report: click.echo(validation_text(report)),
    f"{GROUP} tier": lambda me: click.echo(
        f"{me['user']} ({', '.join(me['groups']) or 'no groups'}): {me['tier']} — {me['why']}"
    ),
    f"{GROUP} download": lambda record: click.echo(download_text(record)),
}  # fmt: skip
