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
    type=click.Choice(["text", "markdown", "csv"]),
    default="text",
    show_default=True,
    help="text for the terminal; markdown or csv to export.",
)
@click.option("--tags", is_flag=True, help="With --format csv: the tags table instead of the answers.")
@output_option
@click.pass_context
def compare(ctx, as_of, fmt, tags, output):
    """Compare the five answers of hell-yes stories side by side, with meh and churned ones for contrast."""
    from kb.method.as_of import resolve_as_of
    from kb.method.company import company_of
    from kb.method.compare import comparison_of
    from kb.store.catalog import Catalog
    from kb.views.terminal import compare_text

    workspace = workspace_for(ctx)
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
    write_out(text, output)
