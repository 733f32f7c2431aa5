"""The web part of the report: each page of `kb serve` (median, p95, size), the server's peak memory and the
load test, as figures (for the targets, the summary and Gains) and as a section and raw timings of a size."""

from __future__ import annotations

from .formatting import fmt_kb, fmt_ms, fmt_n, fmt_s
from .measure import median, p95
from .pages import COMPARE_PAGES, LIST_PAGES, RECORD_PAGES

# The pages judged together: a record's own page (and home), the lists and searches, compare, every page.
GROUPS = {"record": RECORD_PAGES, "list": LIST_PAGES, "compare": COMPARE_PAGES}


def page_times(entry: dict) -> tuple[float | None, float | None]:
    """A page's median and p95 in ms, from its raw timings (seconds)."""
    times = [t * 1000 for t in entry.get("times", [])]
    return median(times), p95(times)


def web_figures(size: dict) -> dict:
    """The web figures of one size: per group of pages the worst median and p95 (and which page), the
    pages not answered 200, each page's median and p95; the server's peak memory; the load test."""
    web = size.get("web") or {}
    f: dict = {}
    pages = web.get("pages") or {}
    for group, names in {**GROUPS, "all": tuple(pages)}.items():
        mine = {name: page_times(pages[name]) for name in names if name in pages}
        mine = {name: times for name, times in mine.items() if times[0] is not None}
        if not mine:
            continue
        slow = max(mine, key=lambda name: mine[name][0])
        tail = max(mine, key=lambda name: mine[name][1])
        f[f"page_{group}_worst_ms"], f[f"page_{group}_worst_name"] = mine[slow][0], slow
        f[f"page_{group}_worst_p95_ms"], f[f"page_{group}_worst_p95_name"] = mine[tail][1], tail
        f[f"page_{group}_bad"] = sum(pages[name].get("status") != 200 for name in mine)
        f[f"page_{group}_each"] = "; ".join(f"{name} {fmt_ms(m)} / {fmt_ms(h)}" for name, (m, h) in mine.items())
    for name, entry in pages.items():
        f[f"page {name}_ms"], f[f"page {name}_p95_ms"] = page_times(entry)
        f[f"page {name}_bytes"] = entry.get("bytes")
    if "peak_mb" in web:
        f["server_peak_mb"] = web["peak_mb"]
        f["server_peak_pages_mb"] = web.get("peak_mb_pages")
        f["server_ready_s"] = web.get("ready_s")
    load = web.get("load")
    if load:
        f["load_rps"] = load["requests_per_s"]
        f["load_p50_ms"] = load["p50_ms"]
        f["load_p95_ms"] = load["p95_ms"]
        f["load_errors"] = load["errors"]
        f["load_requests"] = load["requests"]
        f["load_seconds"] = load["seconds"]
        f["load_clients"] = load.get("clients", 8)
    return f


SUMMARY_ROWS = (  # (label, style, figure) of the web part, after the others in the summary table
    ("`kb serve` peak memory, pages and load test (MB)", "n", "server_peak_mb"),
    ("load test: requests/s", "n", "load_rps"),
    ("load test: p50 (ms)", "ms", "load_p50_ms"),
    ("load test: p95 (ms)", "ms", "load_p95_ms"),
    ("load test: errors", "n", "load_errors"),
)


def summary_rows(sizes: list[str], figures: dict[str, dict], runs: dict[str, dict]) -> list[str]:
    """The summary table's rows of the web part: the server, the load test, then one row a page."""
    if not any(runs[s].get("web") for s in sizes):
        return []
    styles = {"n": fmt_n, "ms": fmt_ms}
    out = [
        f"| {label} | " + " | ".join(styles[style](figures[s].get(key)) for s in sizes) + " |"
        for label, style, key in SUMMARY_ROWS
    ]
    names = list(dict.fromkeys(name for s in sizes for name in (runs[s].get("web") or {}).get("pages") or {}))
    for name in names:
        cells = []
        for s in sizes:
            m, h, size = (figures[s].get(f"page {name}{k}") for k in ("_ms", "_p95_ms", "_bytes"))
            cells.append("—" if m is None else f"{fmt_ms(m)} / {fmt_ms(h)}, {fmt_kb(size)} KB")
        out.append(f"| page {name}: median / p95 (ms), size | " + " | ".join(cells) + " |")
    return out


def web_section(size: dict, f: dict) -> list[str]:
    """The web part of a size's section: each page, the server's memory, the load test."""
    web = size.get("web")
    if not web:
        return []
    out = []
    pages = web.get("pages") or {}
    if pages:
        runs = max(len(entry.get("times", [])) for entry in pages.values())
        out += [
            f"### Web pages of `kb serve` ({runs} visits each, ms)\n",
            "| page | path | status | median | p95 | size (KB) |",
            "|---|---|---|---|---|---|",
        ]
        for name, entry in pages.items():
            med, high = page_times(entry)
            out.append(
                f"| {name} | `{entry['path']}` | {entry.get('status')} | {fmt_ms(med)} | {fmt_ms(high)} | "
                f"{fmt_kb(entry.get('bytes'))} |"
            )
        out.append(
            "\nOne client, one kept-alive connection, the pages in a shuffled order each round after one untimed "
            "visit of each; the time runs from the request to the last byte of the answer.\n"
        )
    alone = f" ({fmt_n(web['peak_mb_pages'])} MB after the pages alone)" if web.get("peak_mb_pages") else ""
    out.append(
        "Server peak memory (VmHWM of the `kb serve` process plus its refresher process's): "
        f"{fmt_n(web.get('peak_mb'))} MB{alone}; it listened {fmt_s(web.get('ready_s'))} s after it was started.\n"
    )
    load = web.get("load")
    if load:
        statuses = ", ".join(f"{status}: {count}" for status, count in load.get("statuses", {}).items())
        out += [
            f"### Load test ({load.get('clients', 8)} clients and a disk editor, {load['seconds']} s)\n",
            "| requests | requests/s | p50 (ms) | p95 (ms) | saves | conflicts | disk edits | errors |",
            "|---|---|---|---|---|---|---|---|",
            f"| {load['requests']:,} | {fmt_n(load['requests_per_s'])} | {fmt_ms(load['p50_ms'])} | "
            f"{fmt_ms(load['p95_ms'])} | {load['saves']} | {load['conflicts']} | {load['disk_edits']} | "
            f"{load['errors']} |",
            f"\nAnswers by status: {statuses or '—'}. Errors: answers other than 200, 303 (a save) and 409 (a save "
            "refused as a conflict), no answer at all, and each traceback in the server's log"
            + (f" ({load['server_tracebacks']} of them)" if load.get("server_tracebacks") else "")
            + ". The clients read pages, search and save stories through the form; meanwhile a thread edits, "
            "makes, renames and deletes files on disk (bench/load.py). The files are put back afterwards.\n",
        ]
        after = load.get("index_after")
        if after:
            out.append(
                f"The server then stopped ({load.get('server_stopped') or '?'}); with the files put back, `kb index` "
                f"took {fmt_s(after['s'])} s: {after['said'] or '(nothing said)'}\n"
            )
        if load.get("odd_answers"):
            out.append("First answers that were not expected: " + "; ".join(load["odd_answers"]) + "\n")
    return out


def web_raw(size: dict) -> list[str]:
    """The raw page timings of a size (ms), one line a page."""
    pages = (size.get("web") or {}).get("pages") or {}
    return [
        f"- page {name} (ms): `{' '.join(f'{t * 1000:.1f}' for t in entry.get('times', []))}`"
        for name, entry in pages.items()
    ]
