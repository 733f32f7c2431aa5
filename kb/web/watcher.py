"""Follow edits made in the founder's own editor: while `kb serve` runs, a change to a record file or
to kb.toml brings `.kb/` up to date at once, so a reload in the browser shows it.

Two daemon threads use watchfiles: one watches `casestudies/` and `content/` recursively, one watches
the KB's folder itself (not recursively: a KB may sit in a big repository) for kb.toml and for those
folders appearing. Every refresh goes through the web core like a request's (to the refresher process
under `kb serve`, which lets a request's refresh go first).

While both watches are in place and the watcher's last refresh succeeded, requests answer from the
state it keeps and do not scan the KB (`WebState.watched`). A watch is in place once watchfiles first
answers (with changes, or with none after `ARM_MS`): from then on no change escapes it, so the watcher
refreshes once more then, to take in what changed before. Until then, whenever a watch is started
again, and after a refresh failed, each request scans the files itself, as without a watcher. A
change that arrives while a refresh runs comes as the next batch of events: one more refresh.
"""

from __future__ import annotations

import atexit
import logging
import threading
from pathlib import Path

import watchfiles
from flask import Flask, g

from kb.config import CONFIG_FILE
from kb.vocabulary import TYPE_DIRS
from kb.web import core
from kb.workspace.refresher import Refresher

log = logging.getLogger(__name__)

RECORD_ROOTS = tuple(sorted({folder.split("/")[0] for folder in TYPE_DIRS.values()}))  # casestudies, content
# Group a burst of events (an editor's save is several) but answer well within a second.
DEBOUNCE_MS = 200
STEP_MS = 40
RETRY_SECONDS = 1.0
# How long watchfiles waits before it answers "no change": its first answer says the watch is in place.
ARM_MS = 250
WATCHES = ("records", "root")


class _Either:
    """Set when any of the events is: watchfiles stops on it."""

    def __init__(self, *events: threading.Event):
        self.events = events

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)


class Watcher:
    """The watcher threads of one app; `stop()` ends them."""

    def __init__(self, app: Flask):
        self.app = app
        self.root = Path(app.config["KB_ROOT"])
        self.stopping = threading.Event()
        self._folders_changed = threading.Event()
        self._threads: list[threading.Thread] = []
        self.refreshes = 0  # how many times a change brought .kb/ up to date
        self._armed: set[str] = set()  # the watches in place
        self._armed_lock = threading.Lock()

    @property
    def _state(self):
        return self.app.extensions["kb"]

    def start(self) -> Watcher:
        # The refreshes run in a process of their own, on another core than the requests (see
        # kb.workspace.refresher); without it (it could not start, or ended) they run in this one.
        if self.app.config.get("KB_REFRESHER"):
            try:
                self._state.refresher = Refresher(str(self.root))
            except OSError:
                log.exception("kb: cannot start the refresher process; refreshing in this one")
        for name, target in zip(WATCHES, (self._watch_records, self._watch_root), strict=True):
            thread = threading.Thread(target=target, name=f"kb-watch-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching and wait for the threads to end."""
        atexit.unregister(self.stop)
        self.stopping.set()
        self._set_armed(*WATCHES, armed=False)
        self._folders_changed.set()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout)
        refresher, self._state.refresher = self._state.refresher, None
        if refresher is not None:
            refresher.close()

    @property
    def alive(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def _set_armed(self, *names: str, armed: bool) -> None:
        with self._armed_lock:
            for name in names:
                (self._armed.add if armed else self._armed.discard)(name)
            if not armed:
                self._state.watched = False  # a change may go unseen now: requests scan again
                core.files_changed(self._state, None)

    def _followed(self, name: str, changes: set, first: bool) -> None:
        """One answer of a watch: the first says it is in place (what changed before it is unknown: the
        refresh scans every file); any with changes needs a refresh, of the record files it names."""
        if first:
            self._set_armed(name, armed=True)
            self._refresh(changes, counted=bool(changes), paths=None)
        elif changes:
            self._refresh(changes, paths={path for _change, path in changes} if name == "records" else None)

    def _record_path(self, _change: watchfiles.Change, path: str) -> bool:
        """A Markdown file or a folder under casestudies/ or content/, outside hidden folders."""
        try:
            parts = Path(path).relative_to(self.root).parts
        except ValueError:
            return False
        if not parts or parts[0] not in RECORD_ROOTS or any(p.startswith((".", "#")) for p in parts):
            return False
        name = parts[-1]
        return name.endswith(".md") or "." not in name  # a folder moved or deleted takes its files along

    def _root_path(self, _change: watchfiles.Change, path: str) -> bool:
        return Path(path).name in (CONFIG_FILE, *RECORD_ROOTS)

    def _watch_records(self) -> None:
        while not self.stopping.is_set():
            folders = [self.root / name for name in RECORD_ROOTS if (self.root / name).is_dir()]
            self._folders_changed.clear()
            if not folders:
                self._folders_changed.wait()
                continue
            try:
                for number, changes in enumerate(
                    watchfiles.watch(
                        *folders,
                        watch_filter=self._record_path,
                        debounce=DEBOUNCE_MS,
                        step=STEP_MS,
                        stop_event=_Either(self.stopping, self._folders_changed),
                        rust_timeout=ARM_MS,
                        yield_on_timeout=True,
                        raise_interrupt=False,
                    )
                ):
                    self._followed("records", changes, first=number == 0)
            except Exception:  # a watched folder removed, an inotify limit: log, wait, watch again
                log.exception("kb: the file watcher failed; starting it again")
                self.stopping.wait(RETRY_SECONDS)
            finally:
                self._set_armed("records", armed=False)

    def _watch_root(self) -> None:
        while not self.stopping.is_set():
            try:
                for number, changes in enumerate(
                    watchfiles.watch(
                        self.root,
                        watch_filter=self._root_path,
                        recursive=False,
                        debounce=DEBOUNCE_MS,
                        step=STEP_MS,
                        stop_event=self.stopping,
                        rust_timeout=ARM_MS,
                        yield_on_timeout=True,
                        raise_interrupt=False,
                    )
                ):
                    if any(Path(path).name in RECORD_ROOTS for _change, path in changes):
                        self._folders_changed.set()  # watch the folders as they are now
                    self._followed("root", changes, first=number == 0)
            except Exception:
                log.exception("kb: the watcher of %s failed; starting it again", self.root)
                self.stopping.wait(RETRY_SECONDS)
            finally:
                self._set_armed("root", armed=False)

    def _refresh(self, changes: set, paths: set[str] | None, counted: bool = True) -> None:
        """Bring .kb/ up to date (after these files changed; None: after a scan of every file); one bad file
        is a recorded problem, and any failure is logged, not fatal."""
        while not self.stopping.is_set():
            try:
                with self.app.app_context():
                    core.refresh_now(paths, urgent=False)  # requests' refreshes may go first
                    stale = g.get("kb_stale", False)
            except Exception:  # the next change, or the next request, tries again
                self._state.watched = False
                log.exception("kb: could not bring the index up to date after %d change(s)", len(changes))
                return
            if not stale:
                with self._armed_lock:
                    # Requests may answer from this state while no change can escape the watches.
                    self._state.watched = self._armed == set(WATCHES) and not self.stopping.is_set()
                self.refreshes += counted
                return
            self._state.watched = False
            self.stopping.wait(RETRY_SECONDS)  # another process held the index: try again shortly


def start_watcher(app: Flask) -> Watcher:
    """Start following the KB's files for `app`; `app.extensions["kb_watcher"].stop()` ends it."""
    watcher = Watcher(app).start()
    app.extensions["kb_watcher"] = watcher
    atexit.register(watcher.stop)
    return watcher
