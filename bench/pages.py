"""The pages of a running `kb serve`, timed one by one: median, p95 and size of each, and the server's
peak memory.

    python -m bench.pages ROOT [--runs N] [--load SECONDS] [--json]
                                              # one line a page, the load test, the server's peak memory

The pages are chosen the same way at every size (the first story, customer and interview by name, a
phrase and a word that the corpus of `bench/corpus.py` holds everywhere), so figures of two sizes or
two commits compare.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urlencode

from .load import Client, Server, kb_serve, load_errors, restoring, run_load
from .measure import median, p95

# The pages by what they are, for the targets: a record's own page (home too: one answer, not a list),
# a list or a search, and the compare view. Names as pages_of gives them.
RECORD_PAGES = ("home", "a case study", "a customer", "an interview")
LIST_PAGES = (
    "case studies list",
    "customers list",
    "interviews list",
    "problems",
    'search "was they"',
    "search a word",
)
COMPARE_PAGES = ("compare",)


def pages_of(root: Path) -> dict[str, str]:
    """Name → path of every page measured, for the KB at `root`."""
    story = min(path.stem for path in (root / "casestudies").glob("*.md"))
    customer = min(path.stem for path in (root / "content/customers").glob("*.md"))
    interview = min((root / "content/interviews").rglob("*.md"))
    call = interview.stem
    return {
        "home": "/",
        "a case study": f"/casestudies/{quote(story)}",
        "a customer": f"/customers/{quote(customer)}",
        "an interview": f"/interviews/{quote(call)}",
        "case studies list": "/casestudies",
        "customers list": "/customers",
        "interviews list": "/interviews",
        "problems": "/problems",
        'search "was they"': "/search?" + urlencode({"q": '"was they"'}),
        "search a word": "/search?" + urlencode({"q": "renewal"}),
        "compare": "/compare",
    }


def peak_mb(server: Server) -> float:
    """The server's peak resident memory so far (VmHWM), in MB: its process's plus that of each process it
    started (the refresher), an upper bound of their peak together."""
    pids = [server.process.pid]
    try:
        with open(f"/proc/{server.process.pid}/task/{server.process.pid}/children") as children:
            pids += [int(pid) for pid in children.read().split()]
    except OSError:
        pass
    return sum(_hwm_kb(pid) for pid in pids) / 1024


def _hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # ended meanwhile
        pass
    return 0


def measure_pages(server: Server, root: Path, runs: int) -> dict[str, dict]:
    """Each page `runs` times in turn (round-robin, after one untimed pass): median, p95, bytes, status."""
    pages = pages_of(root)
    client = Client(server)
    figures: dict[str, dict] = {
        name: {"path": path, "times": [], "bytes": 0, "status": None} for name, path in pages.items()
    }
    for path in pages.values():  # warm-up: the first visit of a page pays for its templates
        client.request("GET", path)
    order = list(pages)
    rng = random.Random(1)
    for _ in range(runs):
        rng.shuffle(order)
        for name in order:
            started = time.perf_counter()
            status, text = client.request("GET", pages[name])
            figures[name]["times"].append(time.perf_counter() - started)
            figures[name]["status"] = status
            figures[name]["bytes"] = len(text.encode("utf-8"))
    client.connection.close()
    for entry in figures.values():
        entry["median_ms"] = round(1000 * (median(entry["times"]) or 0), 1)
        entry["p95_ms"] = round(1000 * (p95(entry["times"]) or 0), 1)
    return figures


def measure_server(
    root: Path, runs: int, load_seconds: float = 0.0, words: Sequence[str] | None = None, clients: int = 8
) -> dict:
    """Serve `root`, time its pages (`runs` > 0), then (with `load_seconds`) the load test on it, searching
    `words`; the server's peak memory after the pages and after all. The files the load test changed are
    put back afterwards and `kb index` brings `.kb/` in step again."""
    result: dict = {}
    with contextlib.ExitStack() as stack:
        if load_seconds:
            stack.enter_context(restoring(root))  # entered first: the files go back once the server stopped
        started = time.perf_counter()
        server = stack.enter_context(kb_serve(root))
        result["ready_s"] = round(time.perf_counter() - started, 2)
        if runs:
            result["pages"] = measure_pages(server, root, runs)
            result["peak_mb_pages"] = round(peak_mb(server), 1)
        if load_seconds:
            run = run_load(server, root, seconds=load_seconds, clients=clients, words=words)
            result["load"] = {
                **run.summary(),
                "clients": clients,
                "errors": load_errors(run),
                "statuses": {str(k): v for k, v in sorted(run.statuses.items(), key=str)},
                "odd_answers": [f"{what} {status}" for what, status in run.odd_answers[:10]],
            }
        result["peak_mb"] = round(peak_mb(server), 1)
    if "load" in result:
        # A traceback in the server's log is an error too, even when the client got an answer.
        result["load"]["server_tracebacks"] = server.log.count("Traceback")
        result["load"]["errors"] += result["load"]["server_tracebacks"]
        result["load"]["server_stopped"] = server.stopped
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "kb", "--root", str(root), "index"],
            cwd=Path(__file__).resolve().parent.parent,  # the kb of this checkout, as kb_serve runs it
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"kb index after the load test failed: {proc.stderr[-2000:]}")
        # What bringing .kb/ in step took after the files were put back (a rebuild says why on stderr).
        result["load"]["index_after"] = {
            "s": round(time.perf_counter() - started, 2),
            # a rebuild's notice (stderr) if there was one, else its summary line (the first)
            "said": (proc.stderr.strip().splitlines()[-1:] or proc.stdout.strip().splitlines()[:1] or [""])[0][:300],
        }
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--runs", type=int, default=10, help="timed visits of each page (0: none)")
    parser.add_argument("--load", type=float, default=0.0, help="then the load test for this many seconds")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure_server(args.root.resolve(), args.runs, args.load)
    if args.json:
        print(json.dumps(result, default=str))
        return
    for name, entry in result.get("pages", {}).items():
        print(
            f"{name:20} {entry['status']} median {entry['median_ms']:8.1f} ms  p95 {entry['p95_ms']:8.1f} ms  "
            f"{entry['bytes'] / 1024:9.1f} KB"
        )
    if "load" in result:
        print("load:", result["load"])
    alone = f" (pages alone {result['peak_mb_pages']} MB)" if "peak_mb_pages" in result else ""
    print(f"server peak {result['peak_mb']} MB{alone}")


if __name__ == "__main__":
    main()
