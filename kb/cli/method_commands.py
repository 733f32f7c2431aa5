"""The method in the terminal: `kb status`, `kb metrics` (behind the gate) and `kb compare`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kb.cli.base import AS_OF_HELP, cli, date_option, output_option, workspace_for, write_out


def _company(ctx, as_of):
    """The KB brought up to date, and everything the method reads as of D."""
    from kb.method.as_of import resolve_as_of
    from kb.method.company import company_of
    from kb.store.catalog import Catalog

    workspace = workspace_for(ctx)
    when = resolve_as_of(as_of, workspace.settings)
    with workspace.session() as session:
        catalog = Catalog(session)
        return workspace, company_of(catalog, workspace.settings, when)


@cli.command()
@click.option("--as-of", callback=date_option, metavar="YYYY-MM-DD", help=AS_OF_HELP)
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
@click.option("--as-of", callback=date_option, metavar="YYYY-MM-DD", help=AS_OF_HELP)
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
@click.option("--as-of", callback=date_option, metavar="YYYY-MM-DD", help=AS_OF_HELP)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "md", "csv", "json"]),
    default="text",
    show_default=True,
    help="text for the terminal; markdown, csv or json to export.",
)
@click.option("--full", is_flag=True, help="Every answer in full (text), instead of one line per story.")
@click.option("--tags", is_flag=True, help="The tags table instead of the answers (any format).")
@click.option("--terms", is_flag=True, help="The distinguishing terms table instead of the answers (any format).")
@click.option("--people", is_flag=True, help="The roles, sources and tags as counts instead of the answers.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["hell-yes", "meh", "churned"]),
    help="Only stories of this status (repeatable).",
)
@click.option(
    "--tag", "tags_wanted", multiple=True, metavar="TAG", help="Only stories with this tag (repeatable: all of them)."
)
@click.option("--source", default="", metavar="TEXT", help="Only customers from this source.")
@click.option("--owner", default="", metavar="TEXT", help="Only customers of this owner.")
@click.option("--segment", default="", metavar="NAME", help="Only stories tagged segment:NAME (or NAME).")
@click.option("--won-from", callback=date_option, metavar="YYYY-MM-DD", help="Only customers won on or after this day.")
@click.option("--won-to", callback=date_option, metavar="YYYY-MM-DD", help="Only customers won on or before this day.")
@output_option
@click.pass_context
def compare(
    ctx, as_of, fmt, full, tags, terms, people, statuses, tags_wanted, source, owner, segment, won_from, won_to, output
):
    """Compare hell-yes stories with meh and churned ones: per question the terms that set them apart and
    one line per story (everything with --full); then the people, the triggers and the tags."""
    from kb.errors import UsageError
    from kb.method.as_of import resolve_as_of
    from kb.method.company import company_of
    from kb.method.compare import comparison_of
    from kb.method.compare_filters import CompareFilter
    from kb.store.catalog import Catalog
    from kb.views.compare_text import compare_full_text, compare_summary_text
    from kb.views.terminal import table_text

    if sum((tags, terms, people)) > 1:
        raise UsageError("compare: choose one of --tags, --terms and --people")
    if won_from and won_to and won_from > won_to:
        raise UsageError(f"--won-to: expected a day on or after --won-from ({won_from}); got {won_to}")
    filters = CompareFilter(
        tuple(statuses),
        tuple(t.strip().lower() for t in tags_wanted if t.strip()),
        source.strip(),
        owner.strip(),
        segment.strip(),
        won_from,
        won_to,
    )
    workspace = workspace_for(ctx)
    when = resolve_as_of(as_of, workspace.settings)
    with workspace.session() as session:
        catalog = Catalog(session)
        comparison = comparison_of(catalog, company_of(catalog, workspace.settings, when), filters)
    table = None
    if tags:
        table = comparison.tags_table()
    elif terms:
        table = comparison.terms_table()
    elif people:
        table = comparison.people_table()
    if table is not None:
        if fmt == "csv":
            text = table.to_csv()
        elif fmt in ("markdown", "md"):
            text = table.to_markdown()
        elif fmt == "json":
            text = json.dumps(table.to_json(), indent=2, ensure_ascii=False) + "\n"
        else:
            text = table_text(table)
    elif fmt in ("markdown", "md"):
        text = comparison.to_markdown()
    elif fmt == "csv":
        text = comparison.answers_table().to_csv()
    elif fmt == "json":
        data = {
            **comparison.answers_table().to_json(),
            "filters": comparison.filters.as_args(),
            "terms": comparison.terms_table().to_json()["rows"],
            "people": comparison.people_table().to_json()["rows"],
            "tags": comparison.tags_table().to_json()["rows"],
        }
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = compare_full_text(comparison) if full else compare_summary_text(comparison)
    write_out(text, output)
