"""`kb search`: words and field syntax over every record, as text or JSON."""

from __future__ import annotations

import sys

import click

from kb.cli.base import cli, date_option, say_notices, workspace_for
from kb.errors import UsageError
from kb.vocabulary import INTERVIEW_KINDS, SEARCH_TYPES, STATUSES


@cli.command()
@click.argument("query", nargs=-1)
@click.option(
    "--type",
    "record_type",
    type=click.Choice(SEARCH_TYPES),
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
@click.option("--since", callback=date_option, metavar="YYYY-MM-DD", help="Only records dated on or after this day.")
@click.option("--until", callback=date_option, metavar="YYYY-MM-DD", help="Only records dated on or before this day.")
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
    workspace = workspace_for(ctx, need_store=False)
    filters = Filters(type=record_type, customer=customer, status=status, kind=kind, tag=tag, since=since, until=until)
    result = workspace.with_index(
        lambda ix: run(ix, text, filters, sort=sort, limit=limit, facets=as_json), rebuilt=say_notices
    )
    if result.notice:
        click.echo(f"kb: {result.notice}", err=True)
    if as_json:
        click.echo(search_json(result))
    else:
        click.echo(search_text(result, text, sort, color=sys.stdout.isatty(), filters=filters), nl=False)
