"""Commands over the files: `kb init`, `kb new`, `kb check`, `kb index` and `kb export`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from kb.cli.base import CONTEXT, cli, date_option, output_option, progress_bar, say_notices, workspace_for, write_out
from kb.vocabulary import INTERVIEW_KINDS


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="The KB's name in kb.toml (default: the folder's name).")
def init(directory, name):
    """Make a new, empty knowledge base in DIRECTORY (default: here).

    Creates casestudies/, content/customers/, content/interviews/, kb.toml and a .gitignore
    for .kb/. Refuses a folder that is already a knowledge base.
    """
    from kb.authoring.create import init_kb

    for path in init_kb(directory, name):
        click.echo(f"created {path}")
    click.echo(f"next: cd {directory} && kb new interview CUSTOMER --kind discovery")


@cli.group(context_settings=CONTEXT)
def new():
    """Write a new record from its skeleton and print its path.

    The skeletons are kb's own, or the KB's templates/new/<type>.md when it has them. A customer
    named for the first time gets its customer file too. Nothing is ever overwritten. On a terminal
    the new file opens in $EDITOR unless --no-edit.
    """


def _made(paths, edit: bool) -> None:
    for path in paths:
        click.echo(str(path))
    if edit and sys.stdin.isatty() and sys.stdout.isatty() and (os.environ.get("VISUAL") or os.environ.get("EDITOR")):
        click.edit(filename=str(paths[0]))


_no_edit = click.option("--no-edit", is_flag=True, help="Do not open the new file in $EDITOR.")


@new.command("casestudy")
@click.argument("customer")
@click.option("--slug", help="File name of the story (default: <customer>-story).")
@click.option("--person", help="The ONE person who had to change, e.g. 'Jane Doe, VP Finance'.")
@_no_edit
@click.pass_context
def new_casestudy(ctx, customer, slug, person, no_edit):
    """A case study of CUSTOMER: casestudies/<slug>.md with the five questions as headings."""
    from kb.authoring.create import new_casestudy as make

    workspace = workspace_for(ctx, refresh=False)
    _made(make(workspace.kb, customer, slug=slug, person=person), not no_edit)


@new.command("interview")
@click.argument("customer")
@click.option(
    "--date",
    "day",
    callback=date_option,
    metavar="YYYY-MM-DD",
    help="Day of the call (default: as_of in kb.toml, else today).",
)
@click.option(
    "--kind", default="other", show_default=True, help=f"{', '.join(INTERVIEW_KINDS[:-1])} or {INTERVIEW_KINDS[-1]}."
)
@_no_edit
@click.pass_context
def new_interview(ctx, customer, day, kind, no_edit):
    """A call note with CUSTOMER: content/interviews/<date>-<customer>-<kind>.md."""
    from kb.authoring.create import new_interview as make

    workspace = workspace_for(ctx, refresh=False)
    # A KB pinned to an as-of date counts only the calls up to that day: a new call is of that day.
    _made(make(workspace.kb, customer, date=day or workspace.settings.as_of, kind=kind), not no_edit)


@new.command("customer")
@click.argument("slug")
@click.option("--name", help='Display name (default: SLUG as typed, e.g. "Café Zoë"; from a bare slug, made from it).')
@_no_edit
@click.pass_context
def new_customer(ctx, slug, name, no_edit):
    """A customer profile: content/customers/<slug>.md."""
    from kb.authoring.create import new_customer as make

    workspace = workspace_for(ctx, refresh=False)
    _made([make(workspace.kb, slug, name=name)], not no_edit)


@cli.command()
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON list.")
@click.option(
    "--as-of",
    callback=date_option,
    metavar="YYYY-MM-DD",
    help="Judge hell-yes stories as of this day (default: as_of in kb.toml, else today).",
)
@click.pass_context
def check(ctx, strict, as_json, as_of):
    """Check every file and print every problem as PATH:LINE: SEVERITY: MESSAGE.

    Exits 0 when there is no error, 1 on any error (with --strict, on any warning too).
    """
    from kb.method.as_of import resolve_as_of
    from kb.method.problems import find_problems
    from kb.store.catalog import Catalog

    workspace = workspace_for(ctx)
    when = resolve_as_of(as_of, workspace.settings)
    with workspace.session() as session:
        problems = find_problems(workspace.settings, Catalog(session), when)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        click.echo(
            f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} "
            f"in {ctx.obj['changes'].total} files",
            err=True,
        )
    if errors or (strict and warnings):
        ctx.exit(1)


@cli.command()
@click.option("--rebuild", is_flag=True, help="Throw .kb/ away and index every file from nothing.")
@click.pass_context
def index(ctx, rebuild):
    """Bring the search index and database in .kb/ up to date with the files, and say what changed.

    Every command does this first; run it to see the changes, or --rebuild to start over.
    """
    workspace = workspace_for(ctx, refresh=False)
    changes = workspace.refresh(rebuild=rebuild, progress=progress_bar())
    say_notices(changes)
    if changes.stale or changes.read_only:
        ctx.exit(1)
    if rebuild:
        click.echo(f"rebuilt the index from {changes.total} files")
        return
    if not changes.any:
        click.echo(f"up to date: {changes.total} files, nothing changed")
        return
    click.echo(
        f"indexed {changes.total} files: {len(changes.added)} new, {len(changes.changed)} changed, "
        f"{len(changes.renamed)} renamed, {len(changes.deleted)} deleted"
    )
    for path in changes.added:
        click.echo(f"  new      {path}")
    for path in changes.changed:
        click.echo(f"  changed  {path}")
    for old, new_path in changes.renamed:
        click.echo(f"  renamed  {old} -> {new_path}")
    for path in changes.deleted:
        click.echo(f"  deleted  {path}")


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="JSON: a list of records; CSV: one row a record, one column a field or answer.",
)
@output_option
@click.pass_context
def export(ctx, fmt, output):
    """Export every record (front matter, unknown keys, answers, tags, body) as JSON or CSV."""
    from kb.views.export import records_csv, records_json

    workspace = workspace_for(ctx)
    with workspace.session() as session:
        text = records_json(session) if fmt == "json" else records_csv(session)
    write_out(text, output)
