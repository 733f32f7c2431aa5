"""The `kb` command group and what every command shares: finding the KB and bringing `.kb/` up to date,
the one-line notices, dates, writing output; KbError becomes a message and an exit code."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from kb import __version__
from kb.errors import KbError, error_text

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def say_error(message: str, path: str | None = None, line: int | None = None) -> None:
    """Print an error in kb's one style (`kb: file:line: what went wrong`) on stderr, and go on."""
    click.echo(error_text(message, path, line), err=True)


def fail(message: str, path: str | None = None, line: int | None = None, exit_code: int = 1) -> NoReturn:
    """Print an error in kb's one style and stop with `exit_code` (never 0)."""
    say_error(message, path, line)
    raise click.exceptions.Exit(exit_code or 1)


def _click_failure(exc: click.ClickException) -> NoReturn:
    """Click's own errors (a bad option, a missing argument) in kb's style, with where to read the usage."""
    hint = ""
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        hint = f" (see {' '.join(['kb', *exc.ctx.command_path.split()[1:]])} --help)"
    message = exc.format_message().rstrip(".")
    fail(f"{message[:1].lower()}{message[1:]}{hint}", exit_code=exc.exit_code)


class KbGroup(click.Group):
    """Turns domain errors into a one-line message; no user ever sees a traceback."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.ClickException as exc:  # the group's own options (`kb --bogus`)
            _click_failure(exc)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KbError as exc:
            fail(str(exc), exc.path, exc.line, exc.exit_code)
        except click.ClickException as exc:
            _click_failure(exc)
        except (click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            ctx.exit(0)
        except Exception as exc:
            if os.environ.get("KB_DEBUG"):
                raise
            fail(
                f"unexpected failure: {type(exc).__name__}: {exc} "
                "(run again with KB_DEBUG=1 for the details, and please report it)",
                exit_code=70,
            )


def date_option(ctx, param, value):
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


def workspace_for(ctx, refresh: bool = True, need_store: bool = True):
    """Find the KB, bring .kb/ up to date (saying so when it was rebuilt, busy or read-only, or a file
    could not be read), return it."""
    from kb.config import find_kb
    from kb.workspace import Workspace

    workspace = Workspace(find_kb(ctx.obj["root"]))
    ctx.call_on_close(workspace.close)
    if refresh:
        ctx.obj["changes"] = workspace.refresh(progress=progress_bar(), need_store=need_store)
        say_notices(ctx.obj["changes"])
    return workspace


def say_notices(changes) -> None:
    for line in changes.notices():
        click.echo(f"kb: {line}", err=True)


def progress_bar():
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


output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)


def write_out(text: str, output: Path | None) -> None:
    """Write a command's output to `output` (atomically), or else to standard output."""
    if output:
        from kb.records.files import atomic_write

        atomic_write(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


AS_OF_HELP = "Compute as of this day (default: as_of in kb.toml, else today; a later day is refused)."


def main() -> None:
    cli(prog_name="kb")
