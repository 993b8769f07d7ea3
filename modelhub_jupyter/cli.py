"""The ``modelhub`` command: human tables by default, exactly one JSON document with ``--json``.

Commands and their options come from :mod:`.commands`; this module only renders results.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import sys
from collections.abc import Callable
from typing import Any

import click

from . import commands
from .commands import CLI, Command, Env
from .errors import ModelHubError, one_line
from .results import FileView, IndexReport, SearchResults, describe_run

log = logging.getLogger(__name__)


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def _console():
    from rich.console import Console

    return Console(soft_wrap=False, width=max(100, shutil.get_terminal_size().columns))


def _fail(message: str) -> None:
    click.echo(f"modelhub: error: {message}", err=True)
    sys.exit(1)


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any exception into a one-line message and exit status 1: no tracebacks for users."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            _fail("interrupted")
        except Exception as err:  # noqa: BLE001 - the whole point
            if not isinstance(err, ModelHubError | OSError):
                log.debug("modelhub: internal error", exc_info=err)
            _fail(one_line(err))

    return wrapper


def _to_json(result: Any) -> Any:
    if hasattr(result, "to_dict"):
        return result.to_dict()
    if isinstance(result, dict):
        return {k: _to_json(v) for k, v in result.items()}
    if isinstance(result, list | tuple):
        return [_to_json(v) for v in result]
    return result


# -- renderers: one per command whose result needs more than JSON ---------------------------------
def _print_report(report: IndexReport) -> None:
    from rich.table import Table

    console = _console()
    table = Table(title="modelhub index", show_header=False)
    for key, value in report.summary_rows():
        table.add_row(key, value)
    console.print(table)
    if report.errors:
        errors = Table(title=f"{len(report.errors)} file(s) not indexed", show_lines=False)
        errors.add_column("path")
        errors.add_column("problem")
        for e in report.errors[:200]:
            errors.add_row(e["path"], e["error"])
        console.print(errors)


def _print_view(view: FileView) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    root = f"  [dim]in {escape(view.root)}[/dim]" if view.root else ""
    console.print(f"[bold]{escape(view.path)}[/bold]{root}  {view.file_kind}  ({view.state})")
    if view.note:
        console.print(view.note, style="yellow", markup=False, highlight=False)
    if view.error:
        console.print(f"[red]error:[/red] {escape(view.error)}")
    table = Table(show_header=True)
    for column in ("key", "value", "from"):
        table.add_column(column)
    for row in view.rows(max_chars=120):
        table.add_row(escape(row.key), escape(row.text), escape(row.source))
    console.print(table)
    if view.chunks:
        console.print(f"{len(view.chunks)} chunk(s):")
        for c in view.chunks[:40]:
            console.print(
                f"  {c.get('start_line', '')}-{c.get('end_line', '')}  {c.get('breadcrumb', '')}",
                markup=False,
            )
    for edge in view.relationships:
        console.print(
            f"  {edge['source_id']} --{edge['relation']}--> {edge['target_id']}  ({edge['evidence']})",
            markup=False,
        )
    for warning in view.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")


def _print_results(results: SearchResults) -> None:
    from rich.markup import escape

    console = _console()
    for line in results.explain():
        style = "yellow" if line.startswith("weak matches") else "dim"
        console.print(line, style=style, markup=False, highlight=False)
    if not results.hits:
        console.print(
            f"no results for {results.query!r}"
            + (f" with {', '.join(results.filters)}" if results.filters else ""),
            markup=False,
        )
        return
    many = results.many_roots
    colour = {"strong": "green", "good": "blue"}
    for rank, hit in enumerate(results.hits, start=1):
        root = f"[cyan]{escape(hit.root_name or hit.root)}:[/cyan] " if many else ""
        label = hit.relevance_label
        how = f"[{colour.get(hit.strength, 'yellow')}]{label}[/]" if label else f"score {hit.score:.4f}"
        console.print(
            f"[bold]{rank:2}. {root}{escape(hit.location)}[/bold]  [dim]{hit.kind} ·[/dim] {how}",
            highlight=False,
        )
        if hit.why:
            console.print(f"      {hit.why}", style="dim", highlight=False, markup=False)
        for line in hit.body.strip().splitlines()[:6]:
            console.print(f"      {line[:110]}", highlight=False, markup=False)


def _print_status(info: dict[str, Any]) -> None:
    console = _console()
    console.print(f"home      {info['home']}", markup=False)
    console.print(f"store     {info['store']}", markup=False)
    console.print(
        f"embedder  {info['embedder']} ({info['embedder_precision']}; documents "
        f"{info['embedder_doc_precision']})",
        markup=False,
    )
    console.print(f"files     {info['files']}  (errors: {info['errors']})")
    console.print(
        "documents " + (", ".join(f"{k}: {v}" for k, v in sorted(info["documents"].items())) or "none")
    )
    for root in info["roots"]:
        console.print(f"root      {root['path']}", markup=False)
    if info.get("images"):
        from .search.images import status_line

        console.print(f"images    {status_line(info['images'])}", markup=False)
    run = info["last_run"]
    if run:
        console.print(f"last run  {describe_run(run)}", markup=False)
    else:
        console.print("nothing indexed yet: run `modelhub index PATH`")


def _stream_token(token: str) -> None:
    """A streamed answer's words go to stderr as they come; stdout gets the checked answer."""
    click.echo(token, err=True, nl=False)


def _print_answer(answer: Any) -> None:
    if answer.mode == "llm":
        click.echo("", err=True)  # end the streamed line, if any
    click.echo(answer.text())


def _print_stats(stats: dict[str, Any]) -> None:
    from .analytics import stats_lines

    for line in stats_lines(stats):
        click.echo(line)


def _print_rebuild(counts: dict[str, int]) -> None:
    click.echo("rebuilt: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def _print_relationships(edges: list[dict[str, str]]) -> None:
    for e in edges:
        click.echo(f"{e['source_id']} --{e['relation']}--> {e['target_id']}    [{e['evidence']}]")


def _print_paths(paths: list[Any]) -> None:
    for path in paths:
        click.echo(str(path))


def _print_demo(result: dict[str, Any]) -> None:
    click.echo(f"example workspace: {result['workspace']}")
    _print_report(result["report"])
    for label, results in result["searches"]:
        click.echo(f"\n$ modelhub search {label}")
        _print_results(results)


def _models_human() -> dict[str, Callable[[Any], None]]:
    """The ``models`` commands' tables (issue 10), defined with the commands in :mod:`.registry.commands`."""
    from .registry.commands import HUMAN as MODELS_HUMAN

    return MODELS_HUMAN


def _print_favorites(result: Any) -> None:
    """The favorites list, or the search or answer that ``favorites run`` gave."""
    if isinstance(result, SearchResults):
        _print_results(result)
    else:
        click.echo(result.text())


HUMAN: dict[str, Callable[[Any], None]] = {
    "index": _print_report,
    "show": _print_view,
    "search": _print_results,
    "ask": _print_answer,
    "stats": _print_stats,
    "status": _print_status,
    "rebuild": _print_rebuild,
    "relationships": _print_relationships,
    "schemas export": _print_paths,
    "demo": _print_demo,
    **_models_human(),
    "prompts": lambda result: click.echo(result.text() if hasattr(result, "text") else _to_json(result)),
    "compare": lambda result: click.echo(result.text()),
    "favorites": _print_favorites,
    "notebook": lambda result: click.echo(result.text() if hasattr(result, "text") else _to_json(result)),
}


# -- the click tree, built from the command specs ------------------------------------------------
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home", type=click.Path(file_okay=False), help="Store location (default $MODELHUB_HOME or ~/.modelhub)."
)
@click.option(
    "--user",
    help="Search, ask and show as this user: only what the access policies let them see "
    "(default $MODELHUB_USER; none: everything).",
)
@click.option(
    "--group", "groups", multiple=True, help="A group the user is in (repeatable; default $MODELHUB_GROUPS)."
)
@click.version_option(package_name="modelhub-jupyter")
@click.pass_context
def main(ctx: click.Context, home: str | None, user: str | None, groups: tuple[str, ...]) -> None:
    """Index and search a workspace of AI model scripts, model directories and generated images."""
    ctx.ensure_object(dict)
    ctx.obj["home"] = home
    ctx.obj["user"] = user
    ctx.obj["groups"] = list(groups) or None


def _env(ctx: click.Context) -> Env:
    root = ctx.find_root()
    root.ensure_object(dict)
    if "env" not in root.obj:
        from .hub import open_hub

        home, user, groups = root.obj.get("home"), root.obj.get("user"), root.obj.get("groups")
        root.obj["env"] = Env(
            lambda: open_hub(home, user=user, groups=groups), on_token=_stream_token, surface="cli"
        )
    env: Env = root.obj["env"]
    return env


#: The store and viewer options, accepted after the subcommand too (``modelhub status --home X``).
WHO = (
    click.option(
        "--home", "opt_home", type=click.Path(file_okay=False), default=None, help="Store location."
    ),
    click.option("--user", "opt_user", default=None, help="Search, ask and show as this user."),
    click.option("--group", "opt_groups", multiple=True, help="A group the user is in (repeatable)."),
)


def _take_who(ctx: click.Context, params: dict[str, Any]) -> None:
    """Move ``--home/--user/--group`` given after the subcommand to the root (they override those before it)."""
    home, user, groups = (
        params.pop("opt_home", None),
        params.pop("opt_user", None),
        params.pop("opt_groups", ()),
    )
    root = ctx.find_root()
    root.ensure_object(dict)
    if home is not None:
        root.obj["home"] = home
    if user is not None:
        root.obj["user"] = user
    if groups:
        root.obj["groups"] = list(groups)


def _cli_command(spec: Command, key: str) -> click.Command:
    render = HUMAN.get(key, lambda result: _emit_json(_to_json(result)))

    @click.pass_context
    @friendly
    def callback(ctx: click.Context, as_json: bool = False, **params: Any) -> None:
        _take_who(ctx, params)
        result = spec.run(_env(ctx), **params)
        if as_json:
            _emit_json(_to_json(result))
        else:
            render(result)

    with_params = spec.apply_params(callback)
    with_json = click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON document.")(
        with_params
    )
    for decorate in reversed(WHO):
        with_json = decorate(with_json)
    return click.command(spec.name, help=spec.help)(with_json)


def _build(group: click.Group) -> None:
    groups: dict[str, click.Group] = {}
    for spec in commands.for_surface(CLI):
        key = commands.key_of(spec)
        parent = group
        if spec.group is not None:
            if spec.group not in groups:
                groups[spec.group] = group.group(spec.group, help=f"{spec.group.capitalize()} commands.")(
                    lambda: None
                )
            parent = groups[spec.group]
        parent.add_command(_cli_command(spec, key))


_build(main)


if __name__ == "__main__":
    main()
