"""Every command, defined once: its parameters (click) and what it runs (one ``Hub`` call).

The ``modelhub`` CLI (:mod:`.cli`) and the ``%modelhub`` / ``%modelsearch`` magics
(:mod:`.magics`) are both built from :data:`COMMANDS`, so a command has the same options,
types, defaults and help everywhere; each surface only decides how to show the result.
Adding a command is one :class:`Command` here (plus, if the default rendering is not
enough, a renderer in the surface).

Options left at ``None`` mean "the surface's default": ``all``/10 in the CLI, the
``%config ModelHubMagics`` values in a notebook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .vocabulary import RANKERS, SEARCH_KINDS

if TYPE_CHECKING:
    from .hub import Hub

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]
MB = 1024 * 1024
CLI, MAGIC = "cli", "magic"


@dataclass
class Env:
    """What a command runs with: the hub (opened on first use) and the surface's defaults."""

    open_hub: Callable[[], Hub]
    progress: bool = True
    on_token: Callable[[str], None] | None = None  # where a streamed answer's tokens go
    surface: str = "python"  # who runs the commands: "cli", "magic" (recorded with each query)
    default_kind: str = "all"
    default_limit: int = 10
    _hub: Hub | None = field(default=None, repr=False)

    @property
    def hub(self) -> Hub:
        if self._hub is None:
            self._hub = self.open_hub()
        return self._hub


@dataclass(frozen=True)
class Command:
    """One command: ``run(env, **params)`` returns a result object; ``params`` are click decorators."""

    name: str
    run: Callable[..., Any]
    params: tuple[Decorator, ...] = ()
    surfaces: frozenset[str] = frozenset({CLI, MAGIC})  # every command is both, unless it cannot be
    group: str | None = None  # a subcommand of this group ("schemas export")
    examples: str = ""  # shown under the help in notebooks
    cell: str | None = None  # the parameter a cell magic's body extends (%%modelsearch: the query)

    @property
    def help(self) -> str:
        return (self.run.__doc__ or "").strip()

    def apply_params(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` with this command's click parameters attached (first listed = first shown)."""
        for decorate in reversed(self.params):
            func = decorate(func)
        return func


# -- parameters (each defined once) --------------------------------------------------------------
FOLDER = click.argument("path", type=click.Path())
FILE = click.argument("file", type=click.Path())
EXCLUDE = click.option(
    "--exclude", multiple=True, metavar="PATTERN", help="gitignore-style pattern to skip (repeatable)."
)
MAX_DEPTH = click.option(
    "--max-depth", type=click.IntRange(0), default=None, help="Directory levels below PATH to descend."
)
MAX_FILE_SIZE = click.option(
    "--max-file-size",
    type=click.FloatRange(0, min_open=True),
    default=None,
    metavar="MB",
    help="Largest code/config/image file to read in full, in MB (default 20).",
)
NO_PROGRESS = click.option("--no-progress", is_flag=True, help="No progress bar.")
QUERY = click.argument("query", nargs=-1)
KIND = click.option(
    "-k",
    "--kind",
    type=click.Choice(SEARCH_KINDS),
    default=None,
    help="What to search (default: all; in a notebook %config ModelHubMagics.default_kind).",
)
LIMIT = click.option(
    "-n",
    "--limit",
    type=click.IntRange(1, 1000),
    default=None,
    help="Number of results (default: 10; in a notebook %config ModelHubMagics.default_limit).",
)
WHERE = click.option(
    "-w",
    "--where",
    multiple=True,
    metavar="FILTER",
    help="Filter KEY=VALUE (also != > >= < <= ~), e.g. framework=pytorch or 'params>100M'; repeatable.",
)
LITERAL = click.option(
    "--literal",
    is_flag=True,
    help='Take the words as they are: read no filters from them ("more than 100M parameters").',
)
RANK = click.option(
    "--rank",
    type=click.Choice(RANKERS),
    default="similarity",
    show_default=True,
    help="Order: similarity; recency (newer changes first, halving every 90 days); version "
    "(the newest version of a model family first, unless the query names one).",
)
LIKE = click.option(
    "--like",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="IMAGE",
    help="Images that look like IMAGE (CLIP; a perceptual hash without CLIP weights).",
)
REGIONS = click.option(
    "--regions", is_flag=True, help="Rank image tiles: each hit names the box that matched."
)
DEDUPE = click.option("--dedupe", is_flag=True, help="Fold near-duplicate images into one hit with a count.")
NO_TILES = click.option("--no-regions", is_flag=True, help="Whole images only (no tiles for region search).")
QUESTION = click.argument("question", nargs=-1)
LLM = click.option(
    "--llm",
    default=None,
    metavar="MODEL",
    help="Language model: auto (default, $MODELHUB_LLM), none (extractive), local, gguf:PATH, "
    "openai:MODEL, anthropic:MODEL, ollama:MODEL.",
)
STREAM = click.option("--stream", is_flag=True, help="Show the language model's words as they come.")
DIRECTORY = click.argument("directory", type=click.Path(file_okay=False))
DEST = click.option(
    "--dest", type=click.Path(file_okay=False), default=None, help="Where to build the example workspace."
)


# -- what each command runs ----------------------------------------------------------------------
def index(
    env: Env,
    path: str,
    exclude: tuple[str, ...] = (),
    max_depth: int | None = None,
    max_file_size: float | None = None,
    no_progress: bool = False,
) -> Any:
    """Index (incrementally) the workspace at PATH, with a progress bar; returns the run's report."""
    return env.hub.index(
        path,
        progress=env.progress and not no_progress,
        exclude=exclude,
        max_depth=max_depth,
        max_file_size=int(max_file_size * MB) if max_file_size else None,
    )


def status(env: Env) -> dict[str, Any]:
    """What is indexed, where the store is, which model embeds, the last run."""
    return env.hub.status()


def show(env: Env, file: str) -> Any:
    """What the hub knows about FILE, each value with where it came from."""
    return env.hub.show(file)


def search(
    env: Env,
    query: tuple[str, ...] = (),
    kind: str | None = None,
    limit: int | None = None,
    where: tuple[str, ...] = (),
    literal: bool = False,
    rank: str = "similarity",
    like: str | None = None,
    regions: bool = False,
    dedupe: bool = False,
) -> Any:
    """Search code, images and models for QUERY (dense + keyword, fused); filters alone list what matches.

    Filters written in plain words are applied and shown ("pytorch, more than 100M parameters,
    trained on wikitext", "euler a, cfg above 7", "changed this week"); --literal turns that off."""
    hub = env.hub
    args: dict[str, Any] = {
        "kind": kind or env.default_kind,
        "where": list(where),
        "limit": limit or env.default_limit,
        "understand": not literal,
        "rank": rank,
    }
    text = " ".join(query).strip()
    if like or regions or dedupe:  # image options: an image search (--like alone needs no words)
        args.update(kind="image", like=like, regions=regions, dedupe=dedupe)
        hub.require_documents()
        return hub.search(text, surface=env.surface, **args)
    if not hub.has_documents():
        hub.search(text, channels=("keyword",), record=False, **args)  # what is wrong with the query
        hub.require_documents()  # then "nothing indexed yet", rather than "no results"
    return hub.search(text, surface=env.surface, **args)


def ask(
    env: Env,
    question: tuple[str, ...] = (),
    kind: str | None = None,
    where: tuple[str, ...] = (),
    llm: str | None = None,
    stream: bool = False,
) -> Any:
    """Answer QUESTION about the indexed workspace, citing the files and lines each part comes from.

    Metadata questions ("which models use AdamW, and with what learning rate?") are answered from
    the catalog; others from the best passages, phrased by a language model when there is one."""
    return env.hub.ask(
        " ".join(question).strip(),
        kind=kind or "all",
        where=list(where),
        llm=llm,
        on_token=env.on_token if stream else None,
        surface=env.surface,
    )


ASK_EXAMPLES = """\b
%%modelask
Which models use AdamW, and with what learning rate?
%modelask --llm none how is the learning rate warmed up"""


def stats(env: Env, days: float | None = None, problems_yaml: str | None = None) -> dict[str, Any]:
    """What was searched and asked: counts, latency p50/p95, intents, queries that found nothing.

    --problems-yaml FILE writes the problem queries (no results, low confidence, thumbs down) in
    the retrieval gold set's format, with proposed labels to review."""
    out = env.hub.stats(days)
    if problems_yaml:
        path = env.hub.quality.write_problems_yaml(problems_yaml, days)
        out["problems"] = len(env.hub.quality.problems(days))
        out["problems_yaml"] = str(path)
    return out


DAYS = click.option(
    "--days", type=click.FloatRange(0, min_open=True), default=None, help="Only the last N days."
)
PROBLEMS_YAML = click.option(
    "--problems-yaml", type=click.Path(dir_okay=False), default=None, metavar="FILE",
    help="Also write the problem queries as a gold-set YAML file (labels proposed, to review).",
)  # fmt: skip


def audit(env: Env) -> list[dict[str, Any]]:
    """Requests for documents hidden from the user who made them, newest first (the store owner's view)."""
    return env.hub.audit_log()


def rebuild(env: Env) -> dict[str, int]:
    """Recreate the vector store from the catalog (after a crash or a damaged store), without re-embedding."""
    return env.hub.rebuild()


def reembed(env: Env, kind: str | None = None, no_regions: bool = False) -> dict[str, int]:
    """Add the image vectors the current CLIP model lacks (after its weights arrive or it changes)."""
    if (kind or "image") != "image":
        raise click.BadParameter("only --kind image has vectors to add", param_hint="--kind")
    return env.hub.images.reembed(progress=env.progress, regions=not no_regions)


def relationships(env: Env) -> list[dict[str, str]]:
    """Lineage and links: predecessor_of, generated_by, defined_in, trained_on."""
    return env.hub.relationships()


def schemas_export(env: Env, directory: str) -> list[Path]:
    """Write the JSON Schema of every document type into DIRECTORY."""
    from . import schemas

    return schemas.export(Path(directory))


def demo(env: Env, dest: str | None = None) -> dict[str, Any]:
    """Build the example workspace (with git history), index it and run a few searches."""
    from .demo import build_workspace

    hub = env.hub
    target = Path(dest) if dest else hub.settings.home / "example-workspace"
    if not (target / ".git").exists():
        build_workspace(target)
    report = hub.index(target, progress=env.progress)
    searches = []
    for query, kind, where in DEMO_SEARCHES:
        label = f"{query!r} --kind {kind}" + "".join(f" --where {w}" for w in where)
        searches.append((label, hub.search(query, kind=kind, where=list(where), limit=3, record=False)))
    return {"workspace": target, "report": report, "searches": searches}


DEMO_SEARCHES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("causal self attention", "code", ()),
    ("training loop with AdamW", "code", ("framework=pytorch",)),
    ("castle at sunset", "image", ()),
    ("small GPT model trained on wikitext", "model", ()),
)

SEARCH_EXAMPLES = """\b
%modelsearch causal self attention
%modelsearch -k image -n 12 castle at sunset
res = %modelsearch -k code -w framework=pytorch -w 'params>100M' {my_query}
res.to_frame()"""

# -- prompt templates ----------------------------------------------------------------------------
PROMPT_ACTIONS = ("list", "show", "diff", "save", "activate", "rollback", "ab", "runs")
PROMPT_ACTION = click.argument("action", type=click.Choice(PROMPT_ACTIONS))
PROMPT_ARGS = click.argument("versions", nargs=-1)
SYSTEM_FILE = click.option(
    "--system-file", type=click.Path(dir_okay=False), default=None, help="save: the system template (Jinja2)."
)
USER_FILE = click.option(
    "--user-file", type=click.Path(dir_okay=False), default=None, help="save: the user template (Jinja2)."
)
NOTE = click.option("--note", default="", help="save: what changed and why.")
AUTHOR = click.option("--author", default=None, help="save: who wrote it (default $MODELHUB_USER or login).")
ACTIVATE = click.option("--activate", is_flag=True, help="save: make the new version the active one.")
QUESTIONS = click.option(
    "--questions",
    type=click.Path(dir_okay=False),
    default=None,
    help="ab: a YAML/JSON file in the gold format, or one question per line (default: the gold questions).",
)
AB_LLM = click.option(
    "--llm",
    default="none",
    metavar="MODEL",
    help="ab: the language model (none, local, gguf:PATH, openai:MODEL...).",
)
PASSAGES_ONLY = click.option(
    "--passages-only",
    is_flag=True,
    help="ab: answer metadata questions through the prompt too, not the catalog.",
)
PROMPTS_EXAMPLES = """\b
%modelhub prompts list
%modelhub prompts diff 1 2
%modelhub prompts save --user-file my_prompt.j2 --note "shorter answers"
%modelhub prompts ab 1 2 --llm local"""


def prompts(
    env: Env,
    action: str,
    versions: tuple[str, ...] = (),
    system_file: str | None = None,
    user_file: str | None = None,
    note: str = "",
    author: str | None = None,
    activate: bool = False,
    questions: str | None = None,
    llm: str = "none",
    passages_only: bool = False,
) -> Any:
    """Versioned answer prompts: list | show [V] | diff A B | save | activate V | rollback | ab A B | runs [ID].

    save stores --system-file/--user-file (either may be left out: the active version's text is kept)
    as a new version after checking it; ab answers the same questions with A and B and compares them."""
    from .errors import BadInputError

    hub_prompts = env.hub.prompts
    wanted = {"list": (0, 0), "show": (0, 1), "diff": (2, 2), "save": (0, 0), "activate": (1, 1),
              "rollback": (0, 0), "ab": (2, 2), "runs": (0, 1)}[action]  # fmt: skip
    if not wanted[0] <= len(versions) <= wanted[1]:
        usage = {0: "no version", 1: "one version", 2: "two versions"}
        expected = usage[wanted[1]] if wanted[0] == wanted[1] else f"at most {usage[wanted[1]]}"
        raise BadInputError(f"prompts {action} takes {expected}, not {' '.join(versions) or 'none'}")
    if action == "list":
        return hub_prompts.list()
    if action == "show":
        return hub_prompts.show(versions[0] if versions else None)
    if action == "diff":
        return hub_prompts.diff(versions[0], versions[1])
    if action == "save":
        if system_file is None and user_file is None:
            raise BadInputError("prompts save needs --system-file and/or --user-file")
        texts = [_read_text(f) if f else None for f in (system_file, user_file)]
        return hub_prompts.save(texts[0], texts[1], note=note, author=author, activate=activate)
    if action == "activate":
        return hub_prompts.activate(versions[0])
    if action == "rollback":
        return hub_prompts.rollback()
    if action == "ab":
        return hub_prompts.ab(versions[0], versions[1], questions, llm=llm, from_catalog=not passages_only)
    if versions:
        return hub_prompts.run(int(versions[0]) if versions[0].isdigit() else -1)
    return hub_prompts.runs()


def _read_text(path: str) -> str:
    from .errors import BadInputError

    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInputError(f"{path}: not UTF-8 text") from None


# -- comparisons and generated notebooks (issue 14) -------------------------------------------------
MODELS = click.argument("models", nargs=-1, required=True)
HTML_OUT = click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write a standalone HTML page.",
)
AS_MD = click.option("--md", "as_md", is_flag=True, help="Print Markdown.")
AS_CSV = click.option("--csv", "as_csv", is_flag=True, help="Print the aligned table as CSV.")
COMPARE_EXAMPLES = """\b
%modelcompare transformer_v1 transformer_v2
%modelhub compare transformer_v1 transformer_v2 --html compare.html"""


def compare(
    env: Env,
    models: tuple[str, ...] = (),
    html_out: str | None = None,
    as_md: bool = False,
    as_csv: bool = False,
) -> Any:
    """Compare 2-4 models (model_id, family, id@version or file): aligned metadata and metrics with
    % change, structural and code diffs, lineage, generated images."""
    from .compare.models import write_html

    result = env.hub.compare(list(models))
    if html_out:
        write_html(result, html_out)
    result.output = "markdown" if as_md else "csv" if as_csv else "text"
    return result


TEMPLATE = click.argument("template")
TEMPLATE_ARGS = click.argument("args", nargs=-1)
PARAM = click.option(
    "-p", "--param", "param", multiple=True, metavar="KEY=VALUE", help="A template parameter (repeatable)."
)
NB_OUT = click.option(
    "-o", "--out", type=click.Path(dir_okay=False), default=None, help="The notebook to write."
)
EXECUTE = click.option("--execute", is_flag=True, help="Run it (papermill) and write its manifest.")
COLAB = click.option(
    "--colab", is_flag=True, help="Make it Colab-ready: an 'Open in Colab' link when in a GitHub repo."
)
NB_HTML = click.option("--html", "to_html", is_flag=True, help="Also export the executed notebook to HTML.")
CELL_TIMEOUT = click.option(
    "--timeout",
    type=click.IntRange(1),
    default=None,
    metavar="S",
    help="Seconds a cell may run (default 600).",
)
GRID = click.option(
    "--grid", multiple=True, metavar="KEY=V1,V2", help="Run one notebook per value (repeatable)."
)
NB_PDF = click.option(
    "--pdf", "to_pdf", is_flag=True, help="Also export it to PDF (nbconvert webpdf, system Chromium)."
)
DRIVE = click.option("--drive", is_flag=True, help="Upload it to Google Drive, to open in Colab.")
DRIVE_CREDENTIALS = click.option(
    "--drive-credentials", type=click.Path(dir_okay=False), default=None, metavar="FILE",
    help="Service-account or authorized-user JSON (default: $MODELHUB_GDRIVE_CREDENTIALS).",
)  # fmt: skip
DRIVE_FOLDER = click.option(
    "--drive-folder", default=None, metavar="ID", help="Drive folder id (default: $MODELHUB_GDRIVE_FOLDER)."
)
NOTEBOOK_EXAMPLES = """\b
%modelhub notebook list
%modelhub notebook model_analysis -p model=transformer_v2 --out analysis.ipynb --execute
%modelhub notebook verify analysis.ipynb
%modelhub notebook model_analysis -p model=transformer_v2 --execute --pdf --drive"""


def notebook(
    env: Env,
    template: str,
    args: tuple[str, ...] = (),
    param: tuple[str, ...] = (),
    out: str | None = None,
    execute: bool = False,
    colab: bool = False,
    to_html: bool = False,
    timeout: int | None = None,
    grid: tuple[str, ...] = (),
    to_pdf: bool = False,
    drive: bool = False,
    drive_credentials: str | None = None,
    drive_folder: str | None = None,
) -> Any:
    """Generate a notebook from TEMPLATE (list: the templates; verify FILE: re-run it and report
    what differs from its manifest)."""
    from . import notebooks

    if template == "list":
        return notebooks.list_templates()
    if template == "verify":
        if len(args) != 1:
            raise click.UsageError("notebook verify takes one FILE")
        return notebooks.verify(args[0], progress=env.progress)
    if args:
        raise click.UsageError(f"unexpected argument(s): {' '.join(args)}")
    params = notebooks.parse_params(param)
    options: dict[str, Any] = {"out": out, "execute": execute, "colab": colab, "html": to_html, "timeout": timeout,
               "progress": env.progress, "pdf": to_pdf, "drive": drive, "drive_credentials": drive_credentials,
               "drive_folder": drive_folder}  # fmt: skip
    if grid:
        return notebooks.run_grid(env.hub, template, notebooks.parse_grid(grid), params, **options)
    return env.hub.notebook(template, **options, **params)


def _registry_commands() -> tuple[Command, ...]:
    """The ``models`` group (issue 10), defined in :mod:`.registry.commands`."""
    from .registry.commands import COMMANDS as MODEL_COMMANDS

    return MODEL_COMMANDS


def _favorites_commands() -> tuple[Command, ...]:
    """``favorites`` (issue 16), defined in :mod:`.favorites_commands`."""
    from .favorites_commands import COMMANDS as FAVORITE_COMMANDS

    return FAVORITE_COMMANDS


COMMANDS: dict[str, Command] = {
    c.name if c.group is None else f"{c.group} {c.name}": c
    for c in (
        Command("index", index, (FOLDER, EXCLUDE, MAX_DEPTH, MAX_FILE_SIZE, NO_PROGRESS)),
        Command("show", show, (FILE,)),
        Command(
            "search",
            search,
            (QUERY, KIND, LIMIT, WHERE, LITERAL, RANK, LIKE, REGIONS, DEDUPE),
            examples=SEARCH_EXAMPLES,
            cell="query",
        ),
        Command("ask", ask, (QUESTION, KIND, WHERE, LLM, STREAM), examples=ASK_EXAMPLES, cell="question"),
        Command("status", status),
        Command("stats", stats, (DAYS, PROBLEMS_YAML)),
        Command("audit", audit),
        Command(
            "prompts",
            prompts,
            (
                PROMPT_ACTION,
                PROMPT_ARGS,
                SYSTEM_FILE,
                USER_FILE,
                NOTE,
                AUTHOR,
                ACTIVATE,
                QUESTIONS,
                AB_LLM,
                PASSAGES_ONLY,
            ),
            examples=PROMPTS_EXAMPLES,
        ),  # fmt: skip
        Command("rebuild", rebuild),
        Command("reembed", reembed, (KIND, NO_TILES)),
        Command("relationships", relationships),
        Command("export", schemas_export, (DIRECTORY,), group="schemas"),
        Command("demo", demo, (DEST,)),
        *_registry_commands(),
        *_favorites_commands(),
        Command("compare", compare, (MODELS, HTML_OUT, AS_MD, AS_CSV), examples=COMPARE_EXAMPLES),
        Command(
            "notebook",
            notebook,
            (
                TEMPLATE,
                TEMPLATE_ARGS,
                PARAM,
                NB_OUT,
                EXECUTE,
                COLAB,
                NB_HTML,
                CELL_TIMEOUT,
                GRID,
                NB_PDF,
                DRIVE,
                DRIVE_CREDENTIALS,
                DRIVE_FOLDER,
            ),  # fmt: skip
            examples=NOTEBOOK_EXAMPLES,
        ),
    )
}


def key_of(command: Command) -> str:
    """The command's key in :data:`COMMANDS`: ``search``, ``schemas export``."""
    return command.name if command.group is None else f"{command.group} {command.name}"


def for_surface(surface: str) -> list[Command]:
    """The commands a surface offers, in definition order."""
    return [c for c in COMMANDS.values() if surface in c.surfaces]
