"""The `kb` command: thin Click commands over the domain; KbError becomes a message and an exit code."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import click

from kb import __version__
from kb.errors import KbError, UsageError
from kb.vocabulary import INTERVIEW_KINDS, RECORD_TYPES, STATUSES

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class KbGroup(click.Group):
    """Turns domain errors into a one-line message; no user ever sees a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KbError as exc:
            click.echo(f"kb: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            ctx.exit(0)
        except Exception as exc:
            if os.environ.get("KB_DEBUG"):
                raise
            click.echo(
                f"kb: unexpected failure: {type(exc).__name__}: {exc} "
                "(run again with KB_DEBUG=1 for the details, and please report it)",
                err=True,
            )
            ctx.exit(70)


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD; got {value!r}") from None


@click.group(cls=KbGroup, context_settings=CONTEXT)
@click.option(
    "--root",
    metavar="DIR",
    help="The knowledge base to use (default: KB_ROOT, else the "
    "nearest folder up from here with kb.toml or casestudies/ and content/).",
)
@click.version_option(__version__, prog_name="kb")
@click.pass_context
def cli(ctx, root):
    """kb: a local, Markdown-first knowledge base for the case-study method.

    Case studies, customers and call notes are Markdown files in casestudies/ and content/. kb
    checks them, keeps a search index in .kb/ (rebuilt from the files at any time), and finds
    anything in them in milliseconds.

    \b
    Start:   kb init my-kb && cd my-kb && kb new interview acme --kind discovery
    Daily:   kb search "audit status:hell-yes"     kb check     kb export --format csv
    """
    ctx.obj = {"root": root}


def _workspace(ctx, refresh: bool = True, need_store: bool = True):
    """Find the KB, bring .kb/ up to date (saying so when it was rebuilt, busy or read-only, or a file
    could not be read), return it."""
    from kb.config import find_kb
    from kb.workspace import Workspace

    workspace = Workspace(find_kb(ctx.obj["root"]))
    ctx.call_on_close(workspace.close)
    if refresh:
        ctx.obj["changes"] = workspace.refresh(progress=_progress_bar(), need_store=need_store)
        _notices(ctx.obj["changes"])
    return workspace


def _notices(changes) -> None:
    for line in changes.notices():
        click.echo(f"kb: {line}", err=True)


def _progress_bar():
    """A progress callback that shows a bar on a terminal when there is a lot to parse."""
    if not sys.stderr.isatty():
        return None
    state = {}

    def update(done: int, total: int) -> None:
        if total < 200:
            return
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = click.progressbar(length=total, label="indexing", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return update


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

    workspace = _workspace(ctx, refresh=False)
    _made(make(workspace.kb, customer, slug=slug, person=person), not no_edit)


@new.command("interview")
@click.argument("customer")
@click.option("--date", "day", callback=_date, metavar="YYYY-MM-DD", help="Day of the call (default: today).")
@click.option(
    "--kind", default="other", show_default=True, help=f"{', '.join(INTERVIEW_KINDS[:-1])} or {INTERVIEW_KINDS[-1]}."
)
@_no_edit
@click.pass_context
def new_interview(ctx, customer, day, kind, no_edit):
    """A call note with CUSTOMER: content/interviews/<date>-<customer>-<kind>.md."""
    from kb.authoring.create import new_interview as make

    workspace = _workspace(ctx, refresh=False)
    _made(make(workspace.kb, customer, date=day, kind=kind), not no_edit)


@new.command("customer")
@click.argument("slug")
@click.option("--name", help="Display name (default: made from the slug).")
@_no_edit
@click.pass_context
def new_customer(ctx, slug, name, no_edit):
    """A customer profile: content/customers/<slug>.md."""
    from kb.authoring.create import new_customer as make

    workspace = _workspace(ctx, refresh=False)
    _made([make(workspace.kb, slug, name=name)], not no_edit)


@cli.command()
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON list.")
@click.option(
    "--as-of",
    callback=_date,
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

    workspace = _workspace(ctx)
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
    workspace = _workspace(ctx, refresh=False)
    changes = workspace.refresh(rebuild=rebuild, progress=_progress_bar())
    _notices(changes)
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
@click.argument("query", nargs=-1)
@click.option(
    "--type",
    "record_type",
    type=click.Choice(RECORD_TYPES),
    help="Only records of this type.",
)
@click.option("--customer", help="Only records of this customer (slug).")
@click.option("--status", type=click.Choice(STATUSES), help="Only case studies with this status.")
@click.option(
    "--kind",
    type=click.Choice(INTERVIEW_KINDS),
    help="Only interviews of this kind.",
)
@click.option("--tag", help="Only case studies with this tag.")
@click.option("--since", callback=_date, metavar="YYYY-MM-DD", help="Only records dated on or after this day.")
@click.option("--until", callback=_date, metavar="YYYY-MM-DD", help="Only records dated on or before this day.")
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date"]),
    default="relevance",
    show_default=True,
    help="Best matches first, or the newest first (records without a date last).",
)
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True, help="At most this many hits.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits, totals and facet counts as JSON.")
@click.pass_context
def search(ctx, query, record_type, customer, status, kind, tag, since, until, sort, limit, as_json):
    """Search every record: words, "phrases", AND/OR/NOT, prefix*, and fields.

    \b
    Fields: customer:acme  status:hell-yes  kind:discovery  tag:soc2  type:interview
            why_change:audit  success:  options:  fit:  renewal:
            owner:maya  owner:"Maya Okafor"  person:  people:  source:  name:
            date:2026-03-02  date:[2026-03-01 to 2026-03-31]  date:>2026-03-01
    Example: kb search 'audit status:hell-yes' --sort date
    """
    from kb.search.query import Filters
    from kb.search.query import search as run
    from kb.views.terminal import search_json, search_text

    text = " ".join(query)
    if not text.strip() and not any([record_type, customer, status, kind, tag, since, until]):
        raise UsageError("nothing to search for: give words, fields or a filter (see kb search --help)")
    workspace = _workspace(ctx, need_store=False)
    filters = Filters(type=record_type, customer=customer, status=status, kind=kind, tag=tag, since=since, until=until)
    result = workspace.with_index(
        lambda ix: run(ix, text, filters, sort=sort, limit=limit, facets=as_json), rebuilt=_notices
    )
    if result.notice:
        click.echo(f"kb: {result.notice}", err=True)
    if as_json:
        click.echo(search_json(result))
    else:
        click.echo(search_text(result, text, sort, color=sys.stdout.isatty()), nl=False)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="JSON: a list of records; CSV: one row a record, one column a field or answer.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.pass_context
def export(ctx, fmt, output):
    """Export every record (front matter, unknown keys, answers, tags, body) as JSON or CSV."""
    from kb.views.export import records_csv, records_json

    workspace = _workspace(ctx)
    with workspace.session() as session:
        text = records_json(session) if fmt == "json" else records_csv(session)
    _write_out(text, output)


def _write_out(text: str, output: Path | None) -> None:
    """Write a command's output to `output` (atomically), or else to standard output."""
    if output:
        from kb.records.files import atomic_write

        atomic_write(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


AS_OF_HELP = "Compute as of this day (default: as_of in kb.toml, else today; a later day is refused)."


def _company(ctx, as_of):
    """The KB brought up to date, and everything the method reads as of D."""
    from kb.method.as_of import resolve_as_of
    from kb.method.company import company_of
    from kb.store.catalog import Catalog

    workspace = _workspace(ctx)
    when = resolve_as_of(as_of, workspace.settings)
    with workspace.session() as session:
        catalog = Catalog(session)
        return workspace, company_of(catalog, workspace.settings, when)


@cli.command()
@click.option("--as-of", callback=_date, metavar="YYYY-MM-DD", help=AS_OF_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx, as_of, as_json):
    """Show the ONE goal (the current milestone), every milestone, the metrics gate and warnings."""
    from kb.method.status import status as company_status
    from kb.views.terminal import status_text

    _, company = _company(ctx, as_of)
    found = company_status(company)
    if as_json:
        click.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(status_text(found), nl=False)


@cli.command()
@click.option("--as-of", callback=_date, metavar="YYYY-MM-DD", help=AS_OF_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print every metric's table as JSON.")
@click.option(
    "--svg",
    "svg_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Also write each metric's chart to DIR/<metric>.svg.",
)
@click.pass_context
def metrics(ctx, as_of, as_json, svg_dir):
    """Print the metrics, once the gate is open (5 hell-yes customers); exit 3 while it is shut."""
    from kb.errors import GateShut
    from kb.method.metrics import metrics as company_metrics
    from kb.views.terminal import metrics_text

    _, company = _company(ctx, as_of)
    try:
        found = company_metrics(company)
    except GateShut as shut:
        if as_json:
            click.echo(
                json.dumps({"error": {"status": 403, "message": str(shut)}, **shut.facts}, indent=2, ensure_ascii=False)
            )
        raise
    if svg_dir:
        from kb.records.files import atomic_write
        from kb.views.charts import metric_svg

        svg_dir.mkdir(parents=True, exist_ok=True)
        for metric in found:
            atomic_write(svg_dir / f"{metric.key}.svg", metric_svg(metric))
            click.echo(f"wrote {svg_dir / (metric.key + '.svg')}", err=True)
    if as_json:
        click.echo(
            json.dumps(
                {"as_of": company.day.isoformat(), "metrics": [m.as_dict() for m in found]},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        click.echo(metrics_text(company.as_of.describe(), found), nl=False)


@cli.command()
@click.option("--as-of", callback=_date, metavar="YYYY-MM-DD", help=AS_OF_HELP)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "csv"]),
    default="text",
    show_default=True,
    help="text for the terminal; markdown or csv to export.",
)
@click.option("--tags", is_flag=True, help="With --format csv: the tags table instead of the answers.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.pass_context
def compare(ctx, as_of, fmt, tags, output):
    """Compare the five answers of hell-yes stories side by side, with meh and churned ones for contrast."""
    from kb.method.as_of import resolve_as_of
    from kb.method.company import company_of
    from kb.method.compare import comparison_of
    from kb.store.catalog import Catalog
    from kb.views.terminal import compare_text

    workspace = _workspace(ctx)
    when = resolve_as_of(as_of, workspace.settings)
    with workspace.session() as session:
        catalog = Catalog(session)
        comparison = comparison_of(catalog, company_of(catalog, workspace.settings, when))
    if fmt == "markdown":
        text = comparison.to_markdown()
    elif fmt == "csv":
        text = (comparison.tags_table() if tags else comparison.answers_table()).to_csv()
    else:
        text = compare_text(comparison)
    _write_out(text, output)


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Where to listen: 127.0.0.1, localhost or ::1 (this computer only).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="The port to listen on.")
@click.option(
    "--no-token",
    is_flag=True,
    help="Let in every request without the token: anyone on this computer can then read and change the KB.",
)
@click.pass_context
def serve(ctx, host, port, no_token):
    """Serve the web UI on this computer: browse, search, compare and write, at http://127.0.0.1:8765/.

    Open the address it prints: it carries a token, new at each start, without which kb answers
    nothing, so that other users and programs on this computer cannot read or change the KB.
    Edits made in an editor while it runs show on the next reload. Ctrl+C stops it.
    """
    from kb.config import is_loopback

    if not is_loopback(host):
        raise UsageError(
            f"--host {host}: kb serves only this computer (127.0.0.1, localhost or ::1) for now; "
            "team serving with authentication will come later"
        )
    import secrets

    from waitress import create_server

    from kb.web import create_app

    workspace = _workspace(ctx)  # index before listening, so that the first page is quick
    token = None if no_token else secrets.token_urlsafe(32)
    app = create_app(workspace.kb.root, {"KB_PORT": port, "KB_WATCH": True, "KB_TOKEN": token})
    bind = host.strip("[]")
    try:
        server = create_server(app, host=bind, port=port, ident="kb")
    except OSError as exc:
        raise KbError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; is another kb serve running? "
            f"Try --port {port + 1 if port < 65535 else port - 1}"
        ) from None
    shown = f"[{bind}]" if ":" in bind else bind
    url = f"http://{shown}:{port}/"
    if no_token:
        click.echo(
            f"kb: warning: --no-token: anyone on this computer, any user or program, can read and change "
            f"this KB at {url}",
            err=True,
        )
    click.echo(f"kb: serving {workspace.kb.root} at {url}{'' if no_token else '?token=' + token}  (Ctrl+C stops)")
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("kb: stopped", err=True)
    finally:
        server.close()


def main() -> None:
    cli(prog_name="kb")
