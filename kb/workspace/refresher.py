"""A process of its own that brings `.kb/` up to date for `kb serve`: the server's requests and the
refreshes no longer share one interpreter.

Why: a busy server keeps its interpreter's lock taken by the threads answering requests, and a refresh
in the same process (parsing, Whoosh's per-term writing in Python) gets a ninth of it: at 10,000
records under eight clients, a one-file refresh took 0.3-0.5 s instead of 0.1 s while the second core
stayed idle, and every save waited for it. Here the refreshes run on that other core.

    refresher = Refresher(kb.root)
    changes = refresher.refresh(["/kb/casestudies/acme.md"])  # or None: scan every file
    refresher.close()

Requests arriving while a refresh runs are taken together by the next one (a group commit): each caller
gets the `Changes` of the refresh that took its files. A request's refresh (a save waits for it) goes
before the file watcher's, which waits at most WATCHER_WAIT_SECONDS. When the process is gone (killed,
crashed), `refresh` raises `RefresherGone` and the caller refreshes in its own process, as without one.

Its commits do not merge the index's segments, which would make a save wait a second or more: each
refresh indexes again the few records of the smallest segments once there are many (emptying them), and
the segments are merged once no refresh has been asked for IDLE_SECONDS.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Iterable
from concurrent.futures import Future
from typing import NamedTuple

from kb.errors import KbError
from kb.workspace.changes import Changes

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0  # how long close() waits for a refresh under way before it ends the process
# How long no refresh is asked for before the index's small segments are merged.
IDLE_SECONDS = 0.5
# How long the file watcher's files may wait while refreshes for requests go first.
WATCHER_WAIT_SECONDS = 0.5


class RefresherGone(RuntimeError):
    """The refresher process is not there (any more): refresh in this process."""


class RefreshFailed(RuntimeError):
    """A refresh failed in the refresher process for another reason than a KbError (its traceback is
    logged by that process, and carried here as the message)."""


class Refresher:
    """The refresher process of one KB, and the thread of this process that reads its answers."""

    def __init__(self, root: str):
        # Spawned, not forked: the server has threads (waitress's, the watcher's) that a fork would copy
        # in whatever state they are.
        context = multiprocessing.get_context("spawn")
        self._connection, theirs = context.Pipe()
        # Not a daemon: a rebuild of a large KB in that process starts processes of its own (one per core).
        self.process = context.Process(target=_serve, args=(str(root), theirs), name="kb refresher")
        self.process.start()
        theirs.close()  # only the child holds its end: the child sees the end of the pipe when this process ends
        self._numbers = itertools.count(1)
        self._waiting: dict[int, Future] = {}
        self._lock = threading.Lock()  # guards _waiting and alive, and one send at a time
        self.alive = True
        self._reader = threading.Thread(target=self._read_answers, name="kb refresher answers", daemon=True)
        self._reader.start()

    def refresh(self, changed: Iterable[str] | None, urgent: bool = True) -> Changes:
        """Have `.kb/` brought up to date after the files `changed` (absolute paths; None: after a scan of
        every file) and wait for it; the `Changes` of the refresh that took them. A request's refresh is
        `urgent`; the file watcher's may wait while those go first."""
        answer: Future = Future()
        with self._lock:
            if not self.alive:
                raise RefresherGone("the refresher process has ended")
            number = next(self._numbers)
            self._waiting[number] = answer
            try:
                self._connection.send((number, None if changed is None else sorted(set(changed)), urgent))
            except (OSError, ValueError) as exc:  # the pipe is closed: the process has ended
                self._waiting.pop(number, None)
                raise RefresherGone(f"the refresher process has ended ({exc})") from None
        return answer.result()

    def _read_answers(self) -> None:
        try:
            while True:
                numbers, outcome = self._connection.recv()
                for number in numbers:
                    with self._lock:
                        answer = self._waiting.pop(number, None)
                    if answer is None:
                        continue
                    if isinstance(outcome, BaseException):
                        answer.set_exception(outcome)
                    else:
                        answer.set_result(outcome)
        except (EOFError, OSError):
            pass
        except Exception:  # an answer that cannot be read: nothing it said can be trusted from here on
            log.exception("kb: cannot read the refresher's answer")
        with self._lock:
            self.alive = False
            left, self._waiting = self._waiting, {}
        for answer in left.values():
            answer.set_exception(RefresherGone("the refresher process ended during the refresh"))

    def close(self) -> None:
        """End the process once the refresh under way (if any) has ended."""
        with self._lock:
            was_alive, self.alive = self.alive, False
            if was_alive:
                try:
                    self._connection.send(None)
                except (OSError, ValueError):
                    pass
        self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(STOP_SECONDS)
        self._connection.close()
        self._reader.join(STOP_SECONDS)


def _serve(root: str, connection) -> None:
    """The refresher process: refresh as asked, the requests waiting at that time taken by one refresh; those
    of requests (a save waits for its own) before those of the file watcher, which may wait a little."""
    # Ctrl+C in the terminal reaches the whole process group: the server stops this process itself, once
    # the refresh under way has ended.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from kb.config import find_kb
    from kb.workspace import Workspace

    workspace = Workspace(find_kb(root))
    waiting: list[_Asked] = []
    untidy = False  # a refresh committed since the last merge
    try:
        while True:
            try:
                if untidy and not waiting and not connection.poll(IDLE_SECONDS):
                    # Nothing asked for a while: merge the segments the refreshes left unmerged, now that no
                    # save waits for it (a merge of a few hundred records takes a second or two at 10,000).
                    _merge(workspace)
                    untidy = False
                while not waiting or connection.poll():
                    asked = connection.recv()
                    if asked is None:
                        return  # the server stops: whoever still waits refreshes in its own process
                    number, paths, urgent = asked
                    waiting.append(_Asked(number, paths, urgent, since=time.monotonic()))
            except (EOFError, OSError):
                return  # the server has ended
            taken = _first_taken(waiting)
            waiting = [asked for asked in waiting if asked not in taken]
            changed: set[str] | None = set()
            for asked in taken:
                changed = None if changed is None or asked.paths is None else changed | set(asked.paths)
            absorb = _absorbing(urgent=any(asked.urgent for asked in taken))
            connection.send(([asked.number for asked in taken], _refresh(workspace, changed, absorb)))
            untidy = True
    finally:
        workspace.close()


class _Asked(NamedTuple):
    number: int
    paths: list[str] | None  # None: scan every file
    urgent: bool  # a request waits for it (not the file watcher)
    since: float


def _first_taken(waiting: list[_Asked]) -> list[_Asked]:
    """What the next refresh takes: the requests' files first, the watcher's too once they waited
    WATCHER_WAIT_SECONDS (or when no request waits)."""
    now = time.monotonic()
    urgent = [asked for asked in waiting if asked.urgent or now - asked.since >= WATCHER_WAIT_SECONDS]
    return urgent or waiting


def _refresh(workspace, changed: set[str] | None, absorb: tuple[int, int]) -> Changes | BaseException:
    """The changes of one refresh, or what it raised (as it can be sent to the server)."""
    # kb.toml is read again too: an edited as_of or threshold applies from this refresh on.
    try:
        workspace.settings = workspace.kb.settings()
        return workspace.refresh(need_store=True, changed=changed, merge=False, absorb=absorb)
    except KbError as exc:
        return _sendable(exc)
    except Exception:
        text = traceback.format_exc()
        log.error("kb: the refresh failed:\n%s", text)
        return RefreshFailed(text.strip().splitlines()[-1])


def _absorbing(urgent: bool) -> tuple[int, int]:
    """How crowded the segments must be, and how many records at most a refresh indexes again to empty the
    smallest: a refresh a request waits for takes fewer, and only when they are more crowded."""
    from kb.search.index import ABSORBED_RECORDS, ABSORBING_SEGMENTS, URGENT_ABSORBED_RECORDS

    return (2 * ABSORBING_SEGMENTS, URGENT_ABSORBED_RECORDS) if urgent else (ABSORBING_SEGMENTS, ABSORBED_RECORDS)


def _merge(workspace) -> None:
    """Merge the index's small segments; a failure is logged, and the next refresh finds what is wrong."""
    try:
        workspace.merge_index()
    except Exception:
        log.exception("kb: could not merge the index's segments")


def _sendable(exc: KbError) -> BaseException:
    """The error itself when it survives pickling, else a KbError with its message and HTTP status."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        plain = KbError(str(exc))
        if hasattr(exc, "http_status"):
            plain.http_status = exc.http_status  # type: ignore[attr-defined]
        return plain
