"""`kb serve`: the web UI under waitress, on this computer only, behind a token."""

from __future__ import annotations

import signal

import click

from kb.cli.base import cli, workspace_for
from kb.errors import KbError, UsageError

SERVER_THREADS = 8  # waitress's threads answering requests


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

    workspace = workspace_for(ctx)  # index before listening, so that the first page is quick
    token = None if no_token else secrets.token_urlsafe(32)
    app = create_app(workspace.kb.root, {"KB_PORT": port, "KB_WATCH": True, "KB_REFRESHER": True, "KB_TOKEN": token})
    bind = host.strip("[]")
    try:
        # A thread a request: a page then never queues behind a save that waits for its refresh (with 8
        # clients saving and reading at 10,000 records, pages' median 0.17 -> 0.07 s against waitress's 4).
        server = create_server(app, host=bind, port=port, ident="kb", threads=SERVER_THREADS)
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
    # SIGTERM (a service manager's, `kill`'s) stops it as Ctrl+C does: the refresh under way ends, the
    # refresher process with it. Without this, Python ends at once, and a server started in the
    # background, where the shell ignores Ctrl+C, has no clean way to stop.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.run()  # waitress ends its loop on Ctrl+C itself
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    click.echo("kb: stopped", err=True)


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt
