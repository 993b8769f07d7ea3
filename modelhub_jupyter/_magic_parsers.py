"""Click definitions of the magics' command lines (declarative: parsing only, no work).

Every command's callback returns a :class:`MagicArgs` naming the command and its parsed
parameters; :class:`~modelhub_jupyter.magics.ModelHubMagics` dispatches on it. Adding a
subcommand is one ``@modelhub.command()`` here plus one ``modelhub_<name>`` method there;
adding a magic is one ``@magic_command`` here plus one ``@line_magic`` method there.

Options left at ``None`` mean "use the ``%config ModelHubMagics`` default".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click

KINDS = ("code", "image", "model", "all")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass(frozen=True)
class MagicArgs:
    """What a magic's command line asked for: the command (``modelsearch``, ``modelhub_index``)
    and its parameters."""

    command: str
    params: dict[str, Any] = field(default_factory=dict)


def _returns_args(func: Callable[..., Any]) -> Callable[..., MagicArgs]:
    """Make a click callback return its parsed parameters instead of doing anything."""

    @functools.wraps(func)
    @click.pass_context
    def callback(ctx: click.Context, **params: Any) -> MagicArgs:
        parent = ctx.parent.command.name if ctx.parent is not None else None
        name = f"{parent}_{ctx.command.name}" if parent else str(ctx.command.name)
        return MagicArgs(name, params)

    return callback


def magic_command(name: str, **settings: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """``@magic_command("modelsearch")``: a click command for a whole magic."""

    def decorate(func: Callable[..., Any]) -> click.Command:
        return click.command(name, context_settings=CONTEXT, **settings)(_returns_args(func))

    return decorate


# -- %modelhub ---------------------------------------------------------------------------------
@click.group("modelhub", context_settings=CONTEXT)
def modelhub() -> None:
    """Index a workspace of AI model scripts, model directories and images, and inspect the hub.

    \b
    %modelhub index ~/projects/my-models
    %modelhub status
    %modelhub show ~/projects/my-models/gpt/model.py
    """


def subcommand(func: Callable[..., Any]) -> click.Command:
    """``@subcommand``: one ``%modelhub <name>`` subcommand."""
    return modelhub.command(func.__name__, context_settings=CONTEXT)(_returns_args(func))


@subcommand
@click.argument("path", type=click.Path())
@click.option("--exclude", multiple=True, help="gitignore-style pattern to skip (repeatable).")
@click.option("--max-depth", type=click.IntRange(0), default=None, help="Directory levels below PATH.")
@click.option("--no-progress", is_flag=True, help="No progress bar (default: ModelHubMagics.progress).")
def index(**_: Any) -> None:
    """Index (incrementally) the workspace at PATH, with a progress bar; returns the IndexReport."""


@subcommand
def status(**_: Any) -> None:
    """What is indexed, where the store is, which model embeds, the last run."""


@subcommand
@click.argument("file", type=click.Path())
def show(**_: Any) -> None:
    """What the hub knows about FILE, each value with where it came from; returns a FileView."""


@subcommand
def rebuild(**_: Any) -> None:
    """Recreate the vector store from the catalog (after a crash or a damaged store)."""


# -- %modelsearch ------------------------------------------------------------------------------
@magic_command("modelsearch")
@click.argument("query", nargs=-1)
@click.option(
    "-k",
    "--kind",
    type=click.Choice(KINDS),
    default=None,
    help="What to search (default: %config ModelHubMagics.default_kind, all).",
)
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(1, 1000),
    default=None,
    help="Number of results (default: %config ModelHubMagics.default_limit, 10).",
)
@click.option(
    "-w",
    "--where",
    multiple=True,
    metavar="FILTER",
    help="Filter KEY=VALUE (also != > >= < <= ~), e.g. framework=pytorch or 'params>100M'; repeatable.",
)
def modelsearch(**_: Any) -> None:
    """Search code, images and models for QUERY (dense + keyword, fused); returns SearchResults.

    \b
    %modelsearch causal self attention
    %modelsearch -k image -n 12 castle at sunset
    res = %modelsearch -k code -w framework=pytorch -w 'params>100M' {my_query}
    res.to_frame()
    """


def help_text(command: click.Command, prog: str) -> str:
    """The ``--help`` text of ``command`` as the magic ``prog`` shows it."""
    with click.Context(command, info_name=prog, **command.context_settings) as ctx:
        return command.get_help(ctx)
