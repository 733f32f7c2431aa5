"""`kb import`: call transcripts and notes turned into interview records."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.base import cli, date_option, say_error, workspace_for
from kb.vocabulary import INTERVIEW_KINDS


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--customer", required=True, metavar="SLUG", help="Who the calls were with (a new one gets its file).")
@click.option(
    "--kind", default="other", show_default=True, help=f"{', '.join(INTERVIEW_KINDS[:-1])} or {INTERVIEW_KINDS[-1]}."
)
@click.option(
    "--date",
    "day",
    callback=date_option,
    metavar="YYYY-MM-DD",
    help="Day of the call (default: the day the file, its metadata or its name tells).",
)
@click.option("--owner", default="", help="Who on your side ran the call.")
@click.pass_context
def import_(ctx, files, customer, kind, day, owner):
    """Turn call transcripts and notes (FILES) into interview records.

    Reads WebVTT (.vtt from Zoom, Teams or without speakers), .srt, Otter .txt, text or Markdown
    with `Name:` turns (Granola, Fathom, Notion exports) and .docx. Each call is written as
    content/interviews/<date>-<customer>-<kind>.md with the speakers in `people`, a `## Transcript`
    of their turns and a `## Notes` for yours. A file imported before writes nothing. Prints one
    line a file; exits 1 if any file could not be imported (nothing is written for it).
    """
    from kb.authoring.importing import check_kind, import_transcript
    from kb.errors import KbError, UsageError

    check_kind(kind)
    kb = workspace_for(ctx, refresh=False).kb
    failed = 0
    for file in files:
        try:
            data = _read(file)
            plan, saved = import_transcript(kb, str(file), data, customer, kind=kind, date=day, owner=owner)
        except UsageError:
            raise  # the options are wrong for every file: said once, exit 2
        except KbError as exc:
            failed += 1
            say_error(str(exc), exc.path, exc.line)
            continue
        if saved is None:
            click.echo(f"{file}: already imported as {plan.path}")
        else:
            made = f" (new customer: {', '.join(saved.created)})" if saved.created else ""
            click.echo(f"{file}: {saved.path}{made}")
    ctx.exit(1 if failed else 0)


def _read(file: Path) -> bytes:
    from kb.errors import KbError

    try:
        return file.read_bytes()
    except OSError as exc:
        raise KbError(f"{file}: not imported: cannot be read: {exc.strerror or exc}") from None
