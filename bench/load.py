"""Load on a running `kb serve`: clients reading, searching and saving stories through the form while
another thread edits, renames and deletes files on disk, as an editor does.

    with kb_serve(root) as server:
        run = run_load(server, root, seconds=15)
    run.summary()  # requests/s, p50 and p95 in ms, saves, conflicts

`tests/web/test_load.py` checks what a run did to the files and the index; `python -m bench.run --load`
reports its throughput and latency on the demo, and `python -m bench.run --parts load` on a generated KB
(whose files `restoring` puts back afterwards). Every unique word written (by a save or by the disk editor) ends
in `z`, so that no word is a part of another.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from .measure import median, p95

QUESTION_KEYS = ("why_change", "success", "options", "fit", "renewal")
# The words searched unless the caller names others: words of the demo (bench/corpus.py writes them too).
DEMO_WORDS = ("audit", "close", "payroll", "evidence", "renewal", "controller", "soc2", "spreadsheet")
# The pages a reader opens, besides each story's and each customer's.
PAGES = ("/", "/casestudies", "/customers", "/interviews", "/problems", "/api/casestudies", "/casestudies.csv")
START_SECONDS = 120  # the most kb serve may take to index the KB and listen
EDITED_INTERVIEWS = 10  # the disk editor adds lines to the first interviews by path
# Answers that are not an error under load: a page, a save's redirect, a save refused as a conflict.
FINE_STATUSES = (200, 303, 409)


def story_front(customer: str) -> str:
    """The front matter of the disk editor's stories: a customer of the KB, so that they are whole records."""
    return f"---\ncustomer: {customer}\nperson: P\nstatus: draft\n---\n"


@dataclass
class Server:
    """A `kb serve` process on a free port, and the token its printed URL carries."""

    url: str
    token: str | None
    process: subprocess.Popen
    log: str = ""  # what it wrote to stderr, once stopped
    stopped: str = ""  # how it ended, once stopped: its exit code, or killed when it did not stop


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def kb_serve(root: Path):
    """Run `python -m kb --root ROOT serve` (the file watcher on, as always) until the block ends."""
    port = _free_port()
    # Its log goes to a file: a pipe nobody reads while it serves would fill up and stop the server.
    log = tempfile.TemporaryFile("w+", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "kb", "--root", str(root), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # Ctrl+C as in a terminal, even when this runs as a background job (whose shell ignores SIGINT,
        # and the server with it: it was then killed 30 s after SIGINT).
        preexec_fn=_interruptible,
    )
    server = None
    try:
        # The address is printed as it starts to listen, once the KB is indexed.
        ready, _, _ = select.select([process.stdout], [], [], START_SECONDS)
        line = process.stdout.readline() if ready else ""
        found = re.search(r"http://\S+", line)
        if found is None:
            process.wait(timeout=30)
            log.seek(0)
            raise RuntimeError(f"kb serve did not start: {line}{log.read()}")
        address = urlsplit(found.group(0))
        token = re.search(r"token=([^&\s]+)", address.query or "")
        server = Server(f"http://{address.netloc}", token.group(1) if token else None, process)
        yield server
    finally:
        stopped = ""
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            stopped = "killed: still running 30 s after SIGINT"
        log.seek(0)
        if server is not None:
            server.log = log.read()
            server.stopped = stopped or f"exit {process.returncode}"
        log.close()


class FormFields(HTMLParser):
    """The fields of a page's forms as a browser sends them (the first value of a name wins)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            self.fields.setdefault(name, attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.setdefault(name, "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.setdefault(self._select, attrs.get("value") or "")

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # A browser drops the line break right after <textarea>.
            self.fields[self._textarea] = self.fields[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None


class Client:
    """One browser-like client: one kept-alive connection, its cookies, the server's token."""

    def __init__(self, server: Server):
        address = urlsplit(server.url)
        self.host, self.port = address.hostname or "127.0.0.1", address.port or 80
        self.headers = {"Authorization": f"Bearer {server.token}"} if server.token else {}
        self.cookies: dict[str, str] = {}
        self.timings: list[float] = []  # seconds, one per answer
        self.statuses: Counter = Counter()
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()  # the next request opens a new connection
            self.statuses["no answer"] += 1
            return 0, ""
        self.timings.append(time.perf_counter() - started)
        self.statuses[response.status] += 1
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, text


@dataclass
class LoadRun:
    """What a run did: every answer's latency and status, each save's word and outcome, the disk
    editor's words and where they are."""

    seconds: float = 0.0
    timings: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    saved: dict[str, str] = field(default_factory=dict)  # word → slug of the story saved with it
    refused: list[str] = field(default_factory=list)  # words of saves answered 409
    odd_answers: list[tuple[str, int]] = field(default_factory=list)  # (what, status) not expected
    disk_words: dict[str, str | None] = field(default_factory=dict)  # word → its file, None once deleted
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, client: Client) -> None:
        """Count a client's answers in."""
        with self._lock:
            self.timings.extend(client.timings)
            self.statuses.update(client.statuses)

    def summary(self) -> dict:
        """Throughput and latency, as the benchmark reports them."""
        return {
            "requests": len(self.timings),
            "seconds": round(self.seconds, 1),
            "requests_per_s": round(len(self.timings) / self.seconds, 1) if self.seconds else None,
            "p50_ms": round(1000 * (median(self.timings) or 0), 1),
            "p95_ms": round(1000 * (p95(self.timings) or 0), 1),
            "saves": len(self.saved),
            "conflicts": len(self.refused),
            "disk_edits": len(self.disk_words),
        }


class _Words:
    """Unique words, one counter for every thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._next = 0

    def new(self, who: str) -> str:
        with self._lock:
            self._next += 1
            return f"kbload{who}n{self._next}z"


def _client(
    server: Server,
    run: LoadRun,
    stories: list[str],
    customers: list[str],
    stop,
    seed: int,
    words,
    searched: tuple[str, ...],
) -> None:
    rng = random.Random(seed)
    client = Client(server)
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.45:
            page = rng.choice(
                [
                    *PAGES,
                    *(f"/casestudies/{quote(s)}" for s in stories),
                    *(f"/customers/{quote(c)}" for c in customers),
                ]
            )
            status, _text = client.request("GET", page)
            if status != 200:
                run.odd_answers.append((page, status))
        elif roll < 0.75:
            known = list(run.saved) or list(searched)
            word = rng.choice([*searched, *known[-20:]])
            page = rng.choice(("/search", "/api/search")) + "?" + urlencode({"q": word})
            status, _text = client.request("GET", page)
            if status != 200:
                run.odd_answers.append((page, status))
        else:
            _save(client, run, rng.choice(stories), rng, words.new(f"c{seed}"))
    client.connection.close()
    run.add(client)


def _save(client: Client, run: LoadRun, slug: str, rng: random.Random, word: str) -> None:
    """Open the story's form, add a unique word to one answer, save it; a conflict is a fine answer."""
    edit = f"/casestudies/{quote(slug)}/edit"
    status, page = client.request("GET", edit)
    if status != 200:
        run.odd_answers.append((edit, status))
        return
    fields = FormFields(page).fields
    key = f"answer_{rng.choice(QUESTION_KEYS)}"
    fields[key] = f"{fields.get(key, '').rstrip()} {word}".strip()
    status, _page = client.request("POST", edit, fields)
    if status == 303:
        run.saved[word] = slug
    elif status == 409:
        run.refused.append(word)
    else:
        run.odd_answers.append((f"POST {edit}", status))


def _write_plainly(path: Path, text: str) -> None:
    """As an editor without atomic saves writes: truncate, then the text in two pieces."""
    with open(path, "w", encoding="utf-8") as stream:
        half = len(text) // 2
        stream.write(text[:half])
        stream.flush()
        time.sleep(0.005)
        stream.write(text[half:])


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".swp", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)


def _disk_editor(root: Path, run: LoadRun, interviews: list[str], stop, seed: int, words, front: str) -> None:
    """Edit, make, rename and delete files on disk: its own stories, and lines added to the KB's calls."""
    rng = random.Random(seed)
    own: list[str] = []  # its stories, by path relative to the KB
    made = 0

    def words_in(relative: str) -> list[str]:
        return [word for word, where in run.disk_words.items() if where == relative]

    while not stop.is_set():
        roll = rng.random()
        write = _write_plainly if rng.random() < 0.3 else _write_atomically
        word = words.new("d")
        if roll < 0.25 or not own:
            made += 1
            relative = f"casestudies/disk-{made}.md"
            write(root / relative, f"{front}## Why did they have to change?\n{word}\n")
            own.append(relative)
            run.disk_words[word] = relative
        elif roll < 0.5:
            relative = rng.choice(own)
            write(root / relative, (root / relative).read_text(encoding="utf-8") + f"\nAnd {word}.\n")
            run.disk_words[word] = relative
        elif roll < 0.75:
            relative = rng.choice(interviews)
            write(root / relative, (root / relative).read_text(encoding="utf-8") + f"\nLater: {word}.\n")
            run.disk_words[word] = relative
        elif roll < 0.88:
            relative = rng.choice(own)
            renamed = relative.removesuffix(".md") + "-r.md"
            os.rename(root / relative, root / renamed)
            own[own.index(relative)] = renamed
            for moved in words_in(relative):
                run.disk_words[moved] = renamed
        else:
            relative = own.pop(rng.randrange(len(own)))
            (root / relative).unlink()
            for gone in words_in(relative):
                run.disk_words[gone] = None
        stop.wait(rng.uniform(0.02, 0.08))


def edited_interviews(root: Path) -> list[str]:
    """The interviews the disk editor adds lines to, by path relative to the KB."""
    paths = sorted(str(path.relative_to(root)) for path in (root / "content/interviews").rglob("*.md"))
    return paths[:EDITED_INTERVIEWS]


def run_load(
    server: Server,
    root: Path,
    seconds: float = 15.0,
    clients: int = 8,
    seed: int = 7,
    words: Sequence[str] | None = None,
    customer: str | None = None,
) -> LoadRun:
    """`clients` threads reading, searching and saving for `seconds`, and one thread editing files on disk.

    The clients search `words` (default DEMO_WORDS) and the words saved so far; the disk editor's stories
    belong to `customer` (default the first customer of the KB by name).
    """
    stories = sorted(path.stem for path in (root / "casestudies").glob("*.md"))
    customers = sorted(path.stem for path in (root / "content/customers").glob("*.md"))
    if not stories or not customers:
        raise ValueError(f"the load test needs stories and customers in {root}")
    searched = tuple(words or DEMO_WORDS)
    front = story_front(customer or customers[0])
    interviews = edited_interviews(root)
    run, stop, words_made = LoadRun(), threading.Event(), _Words()
    threads = [
        threading.Thread(
            target=_client,
            args=(server, run, stories, customers, stop, seed + n, words_made, searched),
            daemon=True,
        )
        for n in range(clients)
    ]
    threads.append(
        threading.Thread(target=_disk_editor, args=(root, run, interviews, stop, seed, words_made, front), daemon=True)
    )
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(60)
    run.seconds = time.perf_counter() - started
    return run


def load_errors(run: LoadRun) -> int:
    """Answers that are errors under load: no answer, a 4xx other than a conflict, any 5xx."""
    return sum(count for status, count in run.statuses.items() if status not in FINE_STATUSES)


@contextlib.contextmanager
def restoring(root: Path):
    """Put back, when the block ends, every file the load test may change: the stories (saved through the
    form), the interviews the disk editor edits, and no file it made (its stories, a temporary file left)."""
    interviews = [root / p for p in edited_interviews(root)]
    folders = [root / "casestudies", *{path.parent for path in interviews}]
    before = {path for folder in folders for path in folder.rglob("*") if path.is_file()}
    kept = {path: path.read_bytes() for path in (root / "casestudies").rglob("*") if path.is_file()}
    kept.update((path, path.read_bytes()) for path in interviews)
    try:
        yield
    finally:
        for folder in folders:
            for path in folder.rglob("*"):
                if path.is_file() and path not in before:
                    path.unlink()
        for path, data in kept.items():
            if not path.is_file() or path.read_bytes() != data:
                path.write_bytes(data)


def found_by_search(server: Server, word: str) -> list[str]:
    """The slugs /api/search finds for `word`."""
    client = Client(server)
    status, text = client.request("GET", "/api/search?" + urlencode({"q": word}))
    client.connection.close()
    return [row["record"] for row in json.loads(text)["rows"]] if status == 200 else []
