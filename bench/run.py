"""Run every measurement behind kb's performance targets; write BENCHMARKS.md, bench/scaling.svg, bench/results.json.

    python -m bench.run [--sizes 1000,10000,50000] [--out BENCHMARKS.md] [--repeat N] [--workdir DIR]
                        [--label NAME] [--query-runs N] [--seed 42] [--parts build,...,pages,load]
                        [--page-runs N] [--load-seconds S]
    python -m bench.run --load [SECONDS]    # only `kb serve` under load, on a copy of the demo KB

See bench/README.md for what each figure means. BENCHMARKS.md is only ever written by this command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import math
import os
import platform
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from . import baselines, chart, queries, report
from .corpus import generate
from .measure import run_process

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = "1000,10000,50000"
DEFAULT_WORKDIR = Path("/tmp/kb-bench")
# The code measured: a change there marks the commit "-dirty" (the harness and its outputs do not).
MEASURED_PATHS = ("kb", "templates", "pyproject.toml")
SMOKE_BELOW = 1000  # a run whose every size is below this may go without rg/grep (the small test)
COLD_QUERY = "audit"  # the cold `kb search` process: a fixed query, as a founder would type


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def kb_cmd(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kb", "--root", str(root), *args]


def check(proc, what: str, expect: str | None = None) -> None:
    if proc.returncode != 0 or (expect is not None and expect not in proc.stdout):
        raise SystemExit(
            f"bench: {what} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )


# --- the machine, the code measured --------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration):
        mem_kb = 0
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem_kb / 2**20, 1), "kernel": platform.release()}


def _version(cmd: list[str]) -> str | None:
    if not shutil.which(cmd[0]):
        return None
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.splitlines()[0].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return None


def versions() -> dict:
    def dist(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {
        "python": platform.python_version(),
        "whoosh": dist("Whoosh-Reloaded") or dist("Whoosh"),
        "sqlite": sqlite3.sqlite_version,
        "markdown": dist("Markdown"),
        "python-frontmatter": dist("python-frontmatter"),
        "sqlmodel": dist("sqlmodel"),
        "rg": _version(["rg", "--version"]),
        "grep": _version(["grep", "--version"]),
    }


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", *MEASURED_PATHS],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + ("-dirty" if dirty else "")


# --- corpora -------------------------------------------------------------------------------------


def _marker(root: Path) -> Path:
    return root.with_name(root.name + ".json")


def ensure_corpus(workdir: Path, records: int, seed: int) -> Path:
    """The KB of `records` records for `seed` under workdir, generated unless an identical one is there.

    The marker beside it says what generated it; the edit measurement marks it while files are edited,
    so that a run killed in between regenerates the corpus instead of measuring edited files.
    """
    root = workdir / f"corpus-{records}-seed{seed}"
    marker = _marker(root)
    fingerprint = {
        "records": records,
        "seed": seed,
        "generator": hashlib.sha256((REPO / "bench/corpus.py").read_bytes()).hexdigest(),
    }
    try:
        if json.loads(marker.read_text()) == fingerprint and (root / "kb.toml").is_file():
            log(f"{records}: reusing the corpus in {root}")
            return root
    except (OSError, ValueError):
        pass
    log(f"{records}: generating the corpus in {root}")
    marker.unlink(missing_ok=True)
    generate(root, records, seed)
    marker.write_text(json.dumps(fingerprint))
    return root


def corpus_stats(root: Path) -> dict:
    files = [path for _, path in baselines.record_files(root)]
    return {"files": len(files), "mb": round(sum(p.stat().st_size for p in files) / 2**20, 2)}


# --- the measurements ----------------------------------------------------------------------------


def measure_builds(root: Path, work: Path, runs: int, size: int) -> dict:
    """kb's full rebuild and both baseline builds, side by side, round after round."""
    results = {
        "kb": {"wall_s": [], "peak_mb": [], "maxrss_mb": [], "tree_peak_mb": []},
        "whoosh": {"wall_s": [], "peak_mb": [], "maxrss_mb": [], "tree_peak_mb": [], "internal": []},
        "fts5": {"wall_s": [], "peak_mb": [], "maxrss_mb": [], "tree_peak_mb": [], "internal": []},
    }
    commands = {
        "kb": kb_cmd(root, "index", "--rebuild"),
        "whoosh": [sys.executable, "-m", "bench.baselines", "build", "whoosh", str(root), str(work / "whoosh")],
        "fts5": [sys.executable, "-m", "bench.baselines", "build", "fts5", str(root), str(work / "fts5.sqlite")],
    }
    for run in range(runs):
        for engine, cmd in commands.items():
            log(f"{size}: build {engine} {run + 1}/{runs}")
            proc = run_process(cmd, cwd=REPO, poll_memory=True)
            check(proc, f"{engine} build", "rebuilt the index" if engine == "kb" else None)
            entry = results[engine]
            entry["wall_s"].append(proc.wall_s)
            entry["peak_mb"].append(proc.peak_mb)
            entry["maxrss_mb"].append(proc.maxrss_mb)
            entry["tree_peak_mb"].append(proc.tree_peak_mb)
            if engine != "kb":
                entry["internal"].append(json.loads(proc.stdout.strip().splitlines()[-1]))
            log(f"{size}: build {engine}: {proc.wall_s:.2f} s, peak {proc.peak_mb:.0f} MB")
    return results


def measure_freshness(root: Path, runs: int, size: int) -> dict:
    """A no-change `kb index` as a process, and Workspace(Kb(root)).refresh() in process."""
    from kb.config import Kb
    from kb.workspace import Workspace

    process = []
    check(run_process(kb_cmd(root, "index")), "kb index (warm-up)")
    for _ in range(runs):
        proc = run_process(kb_cmd(root, "index"))
        check(proc, "kb index", "nothing changed")
        process.append(proc.wall_s)
    log(f"{size}: no-change kb index: {report.fmt_s(min(process))} s best")
    inproc = []
    for run in range(runs + 1):  # the first one imports and opens everything: not timed
        started = time.perf_counter()
        workspace = Workspace(Kb(root.resolve()))
        try:
            changes = workspace.refresh()
        finally:
            workspace.close()
        if changes.any:
            raise SystemExit(f"bench: the in-process refresh found changes in an unchanged KB: {changes}")
        if run:
            inproc.append(time.perf_counter() - started)
    return {"process_s": process, "inprocess_s": inproc}


def _filters(spec: dict):
    from kb.search.query import Filters

    return Filters(**{k: dt.date.fromisoformat(v) if k in ("since", "until") else v for k, v in spec.items()})


def measure_queries(root: Path, work: Path, query_set: list[queries.Query], min_runs: int, size: int) -> dict:
    """Every query on kb, the Whoosh baseline and FTS5 in this process, interleaved round by round."""
    import inspect

    from kb.search.index import open_index
    from kb.search.query import search

    ix = open_index(root / ".kb")
    # What `kb search` does on a terminal: the top 10 with snippets and the total, no facet counts
    # (`--json` adds them). Older kb had no such switch.
    options = {"facets": False} if "facets" in inspect.signature(search).parameters else {}
    whoosh = baselines.WhooshBaseline(work / "whoosh")
    fts5 = baselines.Fts5Baseline(work / "fts5.sqlite")
    engines = {
        "kb": lambda q, f: search(ix, q.text, f, limit=10, **options).total,
        "whoosh": lambda q, f: whoosh.search(q.base)[0],
        "fts5": lambda q, f: fts5.search(q.base)[0],
    }
    per_class = {cls: sum(q.cls == cls for q in query_set) for cls in queries.CLASSES}
    rounds = max(math.ceil(min_runs / min(n for n in per_class.values() if n)), 1)
    prepared = [(q, _filters(q.filters)) for q in query_set]
    entries = [
        {
            "class": q.cls,
            "text": q.text,
            "filters": q.filters,
            "base": q.base,
            "hits": {},
            "ms": {engine: [] for engine in engines if engine == "kb" or q.base is not None},
        }
        for q in query_set
    ]
    try:
        for _ in range(2):  # warm-up: caches, lazy imports, the searcher's readers
            for entry, (q, f) in zip(entries, prepared, strict=True):
                for engine in entry["ms"]:
                    entry["hits"][engine] = engines[engine](q, f)
        log(f"{size}: queries: {rounds} rounds of {len(query_set)} queries on {len(engines)} engines")
        gc.collect()
        for _ in range(rounds):
            for entry, (q, f) in zip(entries, prepared, strict=True):
                for engine, timings in entry["ms"].items():
                    started = time.perf_counter()
                    engines[engine](q, f)
                    timings.append((time.perf_counter() - started) * 1000)
    finally:
        whoosh.close()
        fts5.close()
    return {"rounds": rounds, "queries": entries}


def measure_processes(root: Path, runs: int, size: int, tools: dict, words: list[str]) -> dict:
    """A cold `kb search` process, and rg -il / grep -ril over the record folders, interleaved."""
    cold = []
    check(run_process(kb_cmd(root, "search", COLD_QUERY)), "kb search (warm-up)")
    for _ in range(runs):
        proc = run_process(kb_cmd(root, "search", COLD_QUERY))
        check(proc, "kb search", "hit")
        cold.append(proc.wall_s)
    scans = {name: {w: [] for w in words} for name, path in tools.items() if path}
    folders = ["casestudies", "content"]
    commands = {
        "rg": lambda w: [tools["rg"], "-il", w, *folders],
        "grep": lambda w: [tools["grep"], "-ril", w, *folders],
    }
    files_found = {}
    for _ in range(runs):
        for word in words:
            for name in scans:
                proc = run_process(commands[name](word), cwd=root)
                if proc.returncode not in (0, 1):
                    raise SystemExit(f"bench: {name} failed: {proc.stderr}")
                scans[name][word].append(proc.wall_s)
                files_found[f"{name} {word}"] = len(proc.stdout.splitlines())
    return {"cold_search_s": cold, "scan_s": scans, "scan_files": files_found}


def _word(n: int) -> str:
    letters = ""
    while True:
        n, digit = divmod(n, 26)
        letters += chr(ord("a") + digit)
        if not n:
            return "kbeditq" + letters


def measure_edits(root: Path, runs: int, size: int) -> dict:
    """Append a unique word to one interview, then time `kb search WORD --json` processes until it is found."""
    interviews = sorted((root / "content/interviews").rglob("*.md"))
    stride = max(len(interviews) // max(runs, 1), 1)
    timings, attempts = [], []
    marker = _marker(root)
    clean = marker.read_text()
    marker.write_text(json.dumps({**json.loads(clean), "editing": True}))
    for run in range(runs):
        path = interviews[(run * stride + stride // 2) % len(interviews)]
        shown = path.relative_to(root).as_posix()
        original = path.read_bytes()
        word = _word(run)
        try:
            started = time.perf_counter()
            path.write_bytes(original + f"\nBench edit: {word}.\n".encode())
            tries = 0
            while True:
                tries += 1
                proc = run_process(kb_cmd(root, "search", word, "--json"))
                check(proc, "kb search after an edit")
                if any(hit["path"] == shown for hit in json.loads(proc.stdout)["hits"]):
                    break
                if tries == 20:
                    raise SystemExit(f"bench: the edited {shown} was not searchable after 20 kb search processes")
            timings.append(time.perf_counter() - started)
            attempts.append(tries)
        finally:
            path.write_bytes(original)
    marker.write_text(clean)
    check(run_process(kb_cmd(root, "index")), "kb index after restoring the edited files")
    if timings:
        log(f"{size}: edit to searchable: {report.fmt_s(max(timings))} s worst")
    return {"s": timings, "attempts": attempts}


def measure_help(runs: int) -> list[float]:
    cmd = [sys.executable, "-m", "kb", "--help"]
    check(run_process(cmd), "kb --help (warm-up)")
    timings = []
    for _ in range(runs):
        proc = run_process(cmd)
        check(proc, "kb --help", "Usage")
        timings.append(proc.wall_s)
    return timings


def index_mb(root: Path) -> float:
    """The size on disk of the KB's `.kb/` (index, database, snapshot), in MB."""
    return round(sum(p.stat().st_size for p in (root / ".kb").rglob("*") if p.is_file()) / 2**20, 1)


def _ensure_baselines(root: Path, work: Path, size: int) -> None:
    """The baselines' indexes the queries run on, built untimed when the build part did not run."""
    for engine, target in (("whoosh", work / "whoosh"), ("fts5", work / "fts5.sqlite")):
        if not target.exists():
            log(f"{size}: building the {engine} baseline (untimed: the build part is not in this run)")
            cmd = [sys.executable, "-m", "bench.baselines", "build", engine, str(root), str(target)]
            check(run_process(cmd, cwd=REPO), f"{engine} build")


def measure_web(root: Path, args, size: int, words: list[str]) -> dict:
    """`kb serve` on the KB: each page (bench/pages.py), then the load test; the server's peak memory."""
    from .pages import measure_server

    page_runs = args.page_runs if "pages" in args.parts else 0
    seconds = args.load_seconds if "load" in args.parts else 0.0
    marker = _marker(root)
    clean = marker.read_text()
    if seconds:  # the load test writes files: a run killed meanwhile regenerates the corpus next time
        marker.write_text(json.dumps({**json.loads(clean), "editing": True}))
    log(
        f"{size}: kb serve"
        + (f": pages ×{page_runs}" if page_runs else "")
        + (f", load {seconds:g} s" if seconds else "")
    )
    try:
        result = measure_server(root, page_runs, seconds, words=words)
    except RuntimeError as error:
        raise SystemExit(f"bench: {error}") from error
    marker.write_text(clean)
    if "load" in result:
        load = result["load"]
        log(f"{size}: under load {load['requests_per_s']} requests/s, p95 {load['p95_ms']} ms, {load['errors']} errors")
    log(f"{size}: kb serve peak memory {result['peak_mb']} MB")
    return result


def measure_editor(root: Path, runs: int, size: int) -> dict:
    """`kb lsp` through the protocol (bench/lsp.py): completion, hover, diagnostics after a keystroke and a save."""
    from .lsp import measure_lsp

    marker = _marker(root)
    clean = marker.read_text()
    # The saves write a story: a run killed meanwhile regenerates the corpus next time.
    marker.write_text(json.dumps({**json.loads(clean), "editing": True}))
    log(f"{size}: kb lsp ×{max(runs, 20)}")
    result = measure_lsp(root, max(runs, 20))
    marker.write_text(clean)
    worst = max(figures["p95"] for name, figures in result.items() if not name.startswith("diagnostics"))
    keystroke = result["diagnostics after a keystroke"]["p95"]
    log(f"{size}: kb lsp p95: slowest completion or hover {worst * 1000:.1f} ms, diagnostics {keystroke * 1000:.1f} ms")
    return result


def measure_size(size: int, args, tools: dict, query_set: list[queries.Query]) -> dict:
    root = ensure_corpus(args.workdir, size, args.seed)
    work = args.workdir / f"baselines-{size}-seed{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    rebuild_runs = args.repeat or (3 if size <= 10000 else 1)
    runs = args.repeat or 10
    parts = args.parts
    result = {
        "records": size,
        **corpus_stats(root),
        "rebuild_runs": rebuild_runs,
        "process_runs": runs,
        "load_before": os.getloadavg(),
    }
    if "build" in parts:
        result["build"] = measure_builds(root, work, rebuild_runs, size)
        result["index_mb"] = index_mb(root)  # right after a rebuild: one version of each segment
    else:
        # Every other part reads the index: bring it up to date first, untimed (a new corpus has none yet).
        log(f"{size}: kb index (untimed: the build part is not in this run)")
        check(run_process(kb_cmd(root, "index")), "kb index")
    if "freshness" in parts:
        result["freshness"] = measure_freshness(root, runs, size)
    if "queries" in parts:
        _ensure_baselines(root, work, size)
        result["queries"] = measure_queries(root, work, query_set, args.query_runs, size)
    words = [q.text for q in query_set if q.cls == "single"]  # rg, grep and the load test look for the single words
    if "processes" in parts:
        result.update(measure_processes(root, runs, size, tools, words))
    if "edit" in parts:
        result["edit"] = measure_edits(root, runs, size)
    if "pages" in parts or "load" in parts:
        result["web"] = measure_web(root, args, size, words)
    if "lsp" in parts:
        result["lsp"] = measure_editor(root, runs, size)
    result["load_after"] = os.getloadavg()
    return result


# --- results.json --------------------------------------------------------------------------------


def load_history(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text())["runs"]
    except (OSError, ValueError, KeyError):
        return []


def save_history(path: Path, runs: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"runs": runs}, indent=1) + "\n")


def _report_again(label: str, out: Path) -> None:
    results_path, svg_path, notes_path = (
        out.parent / "bench/results.json",
        out.parent / "bench/scaling.svg",
        out.parent / "bench/notes.md",
    )
    history = load_history(results_path)
    run = next((r for r in reversed(history) if r.get("label") == label), None)
    if run is None:
        raise SystemExit(f"bench: no run labelled {label!r} in {results_path}")
    notes = notes_path.read_text(encoding="utf-8") if notes_path.is_file() else None
    svg_path.write_text(chart.scaling_svg(run), encoding="utf-8")
    out.write_text(
        report.markdown(
            run,
            history,
            notes,
            svg=os.path.relpath(svg_path, out.parent),
            notes_name=os.path.relpath(notes_path, out.parent),
        ),
        encoding="utf-8",
    )
    log(f"wrote {out} and {svg_path} again from the run {label!r} of {run.get('date')}")


def measure_load(seconds: float, workdir: Path) -> dict:
    """`kb serve` on a copy of the demo KB for `seconds`: 8 clients reading, searching and saving
    stories while files change on disk (bench/load.py); its requests/s and latency."""
    from .load import kb_serve, run_load

    root = workdir / "load-demo"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for name in ("kb.toml", "casestudies", "content"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy(source, root / name)
    with kb_serve(root) as server:
        run = run_load(server, root, seconds=seconds)
    return {**run.summary(), "statuses": {str(k): v for k, v in sorted(run.statuses.items(), key=str)}}


def _compile_like_an_install() -> None:
    """Whole-process timings as a user sees them: pip compiles an installed package's modules, so
    compile them here too, and let every process the run starts use the compiled files."""
    import compileall
    import importlib.util

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False
    for name in ("kb", "click", "whoosh", "sqlalchemy", "sqlmodel", "pydantic", "yaml", "jinja2", "slugify"):
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            for folder in spec.submodule_search_locations:
                compileall.compile_dir(folder, quiet=1)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="record counts, comma-separated (default %(default)s)")
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "BENCHMARKS.md",
        help="the report; bench/scaling.svg and bench/results.json go beside it (default %(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        help="runs of every process-level measurement (default: rebuilds 3 "
        "times up to 10k records and once above, other processes 10 times)",
    )
    parser.add_argument(
        "--query-runs",
        type=int,
        default=50,
        help="at least this many timed runs per query class and engine (default %(default)s)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help="corpora and baseline indexes, reused across runs (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=42, help="the corpus seed (default %(default)s)")
    parser.add_argument(
        "--label",
        help="keep this run in bench/results.json under this name (e.g. before, after) "
        "so that BENCHMARKS.md shows it side by side with the others under Gains",
    )
    parser.add_argument(
        "--report",
        metavar="LABEL",
        help="measure nothing: write the report again from the run kept under LABEL in "
        "bench/results.json (after editing bench/notes.md, say)",
    )
    parser.add_argument(
        "--load",
        nargs="?",
        type=float,
        const=15.0,
        metavar="SECONDS",
        help="measure only kb serve under load for SECONDS (default 15) on a copy of the demo KB, "
        "and print its requests/s, p50 and p95",
    )
    parser.add_argument(
        "--parts",
        default=",".join(report.PARTS),
        help="the parts measured at each size, comma-separated, among %(default)s (default: all); "
        "e.g. --parts pages,load for the web alone",
    )
    parser.add_argument(
        "--page-runs",
        type=int,
        default=20,
        help="timed visits of each web page at each size (default %(default)s)",
    )
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=15.0,
        help="how long the load test runs at each size, 8 clients with edits (default %(default)s)",
    )
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(report.PARTS))
    if unknown or not parts:
        parser.error(f"--parts takes some of {','.join(report.PARTS)}; not {','.join(unknown) or 'nothing'}")
    args.parts = [p for p in report.PARTS if p in parts]
    if args.page_runs < 1 or args.load_seconds <= 0:
        parser.error("--page-runs needs 1 or more, --load-seconds a number of seconds above 0")
    if args.load is not None:
        if args.load <= 0:
            parser.error("--load needs a number of seconds above 0")
        figures = measure_load(args.load, args.workdir.resolve())
        log(
            f"kb serve under load: {figures['requests_per_s']} requests/s, p50 {figures['p50_ms']} ms, "
            f"p95 {figures['p95_ms']} ms over {figures['seconds']} s"
        )
        print(json.dumps(figures, indent=1))
        return
    if args.report:
        _report_again(args.report, args.out.resolve())
        return
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or min(sizes) < 100:
        parser.error("--sizes needs record counts of 100 or more")
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    _compile_like_an_install()
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    out = args.out.resolve()
    results_path, svg_path, notes_path = (
        out.parent / "bench/results.json",
        out.parent / "bench/scaling.svg",
        out.parent / "bench/notes.md",
    )

    if {"build", "queries"} & set(args.parts) and not baselines.fts5_available():
        raise SystemExit("bench: this Python's sqlite3 has no FTS5; the FTS5 baseline cannot run")
    tools = {name: shutil.which(name) for name in ("rg", "grep")}
    missing = [name for name, path in tools.items() if not path] if "processes" in args.parts else []
    if missing and max(sizes) >= SMOKE_BELOW:
        raise SystemExit(
            f"bench: {' and '.join(missing)} not installed; a full run needs both (apt-get install -y ripgrep grep)"
        )
    for name in missing:
        log(f"{name} not installed: its baseline is skipped in this small run")

    started = time.time()
    run = {
        "label": args.label,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "machine": machine(),
        "versions": versions(),
        "command": "python -m bench.run " + shlex.join(argv),
        "seed": args.seed,
        "sizes": {},
        "query_runs": args.query_runs,
        "missing_tools": missing,
        "workdir": str(args.workdir),
        "parts": args.parts,
        # The index size of earlier labelled runs, which this run's is judged against (the newest per size).
        "index_reference": report.index_reference(load_history(results_path), args.label),
    }
    if "pages" in args.parts:
        run["page_runs"] = args.page_runs
    if "load" in args.parts:
        run["load_seconds"] = args.load_seconds
    log(f"measuring {run['commit']} at {', '.join(map(str, sizes))} records")
    reference = ensure_corpus(args.workdir, queries.REFERENCE_RECORDS, args.seed)
    query_set, shares = queries.choose(reference)
    run["query_set"] = {"queries": [q.as_dict() for q in query_set], "reference": shares}
    log("queries: " + "; ".join(q.text for q in query_set))
    run["help_s"] = measure_help(args.repeat or 10) if "processes" in args.parts else []
    for size in sizes:
        run["sizes"][str(size)] = measure_size(size, args, tools, query_set)
    run["duration_s"] = time.time() - started

    history = load_history(results_path)
    if args.label:
        history = [r for r in history if r.get("label") != args.label] + [run]
        save_history(results_path, history)
    notes = notes_path.read_text(encoding="utf-8") if notes_path.is_file() else None
    svg_path.parent.mkdir(parents=True, exist_ok=True)
    svg_path.write_text(chart.scaling_svg(run), encoding="utf-8")
    out.write_text(
        report.markdown(
            run,
            history,
            notes,
            svg=os.path.relpath(svg_path, out.parent),
            notes_name=os.path.relpath(notes_path, out.parent),
        ),
        encoding="utf-8",
    )
    log(f"wrote {out}, {svg_path}" + (f" and {results_path}" if args.label else "") + f" in {run['duration_s']:.0f} s")


if __name__ == "__main__":
    main()
