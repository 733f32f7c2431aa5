"""Turn one run's raw timings (and the labelled runs kept in bench/results.json) into BENCHMARKS.md and an SVG."""

from __future__ import annotations

import operator
import string
from dataclasses import dataclass

from .formatting import STYLES, fmt_ms, fmt_n, fmt_ratio, fmt_s
from .measure import median, p95
from .web_report import summary_rows, web_figures, web_raw, web_section

CLASSES = ("single", "and", "phrase", "field", "filter")
# The parts of a run, in the order they run at each size (python -m bench.run --parts).
PARTS = ("build", "freshness", "queries", "processes", "edit", "pages", "load", "lsp")
ENGINES = {"kb": "kb", "whoosh": "Whoosh baseline", "fts5": "SQLite FTS5"}
TARGET_SIZE, BIG_SIZE = "10000", "50000"


def _pool(lists) -> list[float]:
    return [x for values in lists for x in values]


# --- figures -------------------------------------------------------------------------------------


def query_stats(size: dict) -> dict:
    """{engine: {class or "overall" or "grep words": (median, p95, runs)}} in ms; {} when queries were not run."""
    stats: dict[str, dict] = {}
    entries = size["queries"]["queries"] if "queries" in size else []
    for engine in ENGINES:
        mine = [e for e in entries if engine in e["ms"]]
        if not mine:
            continue
        per = {}
        for cls in CLASSES:
            pooled = _pool(e["ms"][engine] for e in mine if e["class"] == cls)
            if pooled:
                per[cls] = (median(pooled), p95(pooled), len(pooled))
        pooled = _pool(e["ms"][engine] for e in mine)
        per["overall"] = (median(pooled), p95(pooled), len(pooled))
        words = set(size.get("scan_s", {}).get("rg", {}) or size.get("scan_s", {}).get("grep", {}) or ())
        pooled = _pool(e["ms"][engine] for e in mine if e["class"] == "single" and e["text"] in words)
        if pooled:
            per["grep words"] = (median(pooled), p95(pooled), len(pooled))
        stats[engine] = per
    return stats


def size_figures(size: dict) -> dict:
    """The headline figures of one size, from its raw timings; a part not run leaves its figures out."""
    f: dict = {} if size.get("index_mb") is None else {"index_mb": size["index_mb"]}
    build = size.get("build")
    for engine in ENGINES if build else ():
        walls = build[engine]["wall_s"]
        f[f"{engine}_build_s"] = median(walls)
        f[f"{engine}_build_p95_s"] = p95(walls)
        f[f"{engine}_rps"] = size["records"] / median(walls) if walls else None
        f[f"{engine}_peak_mb"] = max(build[engine]["peak_mb"]) if build[engine]["peak_mb"] else None
    for part in ("parse_s", "render_s", "add_s", "commit_s") if build else ():
        f[f"whoosh_{part}"] = median([i[part] for i in build["whoosh"]["internal"]])
    if "freshness" in size:
        f["index_nochange_s"] = median(size["freshness"]["process_s"])
        f["index_nochange_p95_s"] = p95(size["freshness"]["process_s"])
        f["refresh_s"] = median(size["freshness"]["inprocess_s"])
        f["refresh_p95_s"] = p95(size["freshness"]["inprocess_s"])
    if "cold_search_s" in size:
        f["cold_search_s"] = median(size["cold_search_s"])
        f["cold_search_p95_s"] = p95(size["cold_search_s"])
    if "edit" in size:
        f["edit_s"] = median(size["edit"]["s"])
        f["edit_p95_s"] = p95(size["edit"]["s"])
    for tool in ("rg", "grep"):
        words = size.get("scan_s", {}).get(tool)
        f[f"{tool}_s"] = median(_pool(words.values())) if words else None
    stats = query_stats(size)
    for engine, per in stats.items():
        for key, (med, high, _) in per.items():
            f[f"{engine}_q_{key}_ms"] = med
            f[f"{engine}_q_{key}_p95_ms"] = high
    kb_classes = [stats["kb"][c][1] for c in CLASSES if c in stats.get("kb", {})]
    f["kb_q_worst_p95_ms"] = max(kb_classes) if kb_classes else None
    # Per class, kb's p95 ÷ FTS5's p95 on the same queries' text; the worst class named.
    ratios = {
        c: (stats["kb"][c][1], stats["fts5"][c][1])
        for c in CLASSES
        if c in stats.get("kb", {}) and c in stats.get("fts5", {}) and stats["fts5"][c][1]
    }
    if ratios:
        worst = max(ratios, key=lambda c: ratios[c][0] / ratios[c][1])
        f["kb_q_fts5_class"] = worst
        f["kb_q_fts5_class_kb_p95_ms"], f["kb_q_fts5_class_fts5_p95_ms"] = ratios[worst]
        f["kb_q_fts5_class_ratio"] = ratios[worst][0] / ratios[worst][1]
        f["kb_q_fts5_each"] = ", ".join(f"{c} {k / base:.1f}×" for c, (k, base) in ratios.items())
    # Figures computed from two others, for the targets, the summary and the chart:
    for tool in ("rg", "grep"):
        f[f"{tool}_ms"] = f[f"{tool}_s"] * 1000 if f[f"{tool}_s"] is not None else None
    whoosh, kb = f.get("whoosh_build_s"), f.get("kb_build_s")
    f["build_speedup"] = whoosh / kb if whoosh and kb else None  # above 1: kb's rebuild is faster
    worst_p95, fts5 = f["kb_q_worst_p95_ms"], f.get("fts5_q_overall_p95_ms")
    f["kb_q_worst_p95_per_fts5"] = worst_p95 / fts5 if worst_p95 and fts5 else None  # kb's worst class ÷ FTS5's p95
    f.update(web_figures(size))
    f.update(lsp_figures(size))
    return f


def lsp_figures(size: dict) -> dict:
    """`kb lsp`'s figures in ms: the slowest of its completions and hover, and diagnostics after a keystroke."""
    lsp = size.get("lsp")
    if not lsp:
        return {}
    answers = {name: times for name, times in lsp.items() if name.startswith(("completion", "hover"))}
    worst = max(answers, key=lambda name: p95(answers[name]["times"]) or 0)
    keystroke = lsp["diagnostics after a keystroke"]["times"]
    saved = lsp["diagnostics after a save"]["times"]
    return {
        "lsp_answer_worst": worst,
        "lsp_answer_worst_ms": median(answers[worst]["times"]) * 1000,
        "lsp_answer_worst_p95_ms": p95(answers[worst]["times"]) * 1000,
        "lsp_diagnostics_ms": median(keystroke) * 1000,
        "lsp_diagnostics_p95_ms": p95(keystroke) * 1000,
        "lsp_saved_ms": median(saved) * 1000,
        "lsp_saved_p95_ms": p95(saved) * 1000,
    }


# --- the targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A performance target kb is held to: PASS when `figure op threshold` holds, the threshold being
    multiplied by the figure `of` when one is named (kb's p95 ≤ 4 × FTS5's p95).

    `measured` is what the table shows: a str.format template over the figures of `size`, plus `threshold`
    and `limit` (the threshold, times `of`); a format spec may name one of STYLES (`{kb_build_s:s}`).
    """

    name: str  # the wording of the target in the table
    size: str | None  # the KB size whose figures (size_figures) it is judged on; None: `kb --help` (help_figures)
    figure: str  # the figure judged
    op: str  # "<", "<=" or ">=" (a key of OPERATORS)
    threshold: float
    measured: str
    of: str | None = None  # when given, the limit is threshold × this figure
    # (figure, why): when that figure is None, "not measured (why)"; `why` is a template like `measured`
    unavailable: tuple[str, str] | None = None
    also: tuple[tuple[str, str, float], ...] = ()  # more (figure, op, threshold) that must hold for a PASS
    parts: tuple[str, ...] = ()  # the parts of a run (PARTS) it needs: "not measured" when one did not run


_WORST_QUERY = (
    "kb worst class p95 {kb_q_worst_p95_ms:ms} ms (overall {kb_q_overall_p95_ms:ms}, phrases {kb_q_phrase_p95_ms:ms})"
)
_VS_RG = "kb single-word p95 {kb_q_grep words_p95_ms:ms} ms vs rg -il median {limit:ms} ms (same words)"

_REBUILD = (
    "kb {kb_build_s:s} s ({kb_rps:n} records/s) vs straightforward {whoosh_build_s:s} s incl. "
    "{whoosh_render_s:s} s rendering: {build_speedup:speedup}"
)


def _pages(group: str) -> str:
    """The measured column of a group of pages: its worst median and worst p95, named, and each page's."""
    g = f"page_{group}"
    return (
        f"worst median {{{g}_worst_name}} {{{g}_worst_ms:ms}} ms, worst p95 {{{g}_worst_p95_name}} "
        f"{{{g}_worst_p95_ms:ms}} ms (median / p95 of each: {{{g}_each}})"
    )


TARGETS = (
    Target(
        "Full rebuild of 10k ≥ 3× faster than the straightforward pipeline incl. rendering",
        TARGET_SIZE,
        parts=("build",),
        figure="build_speedup",
        op=">=",
        threshold=3,
        measured=_REBUILD,
    ),
    Target(
        "Full rebuild of 10k ≥ 2.5× faster than the straightforward Whoosh pipeline, peak memory < 400 MB",
        TARGET_SIZE,
        parts=("build",),
        figure="build_speedup",
        op=">=",
        threshold=2.5,
        also=(("kb_peak_mb", "<", 400),),
        measured=_REBUILD + "; peak {kb_peak_mb:n} MB",
    ),
    Target(
        "Full rebuild of 10k: peak memory < 400 MB",
        TARGET_SIZE,
        parts=("build",),
        figure="kb_peak_mb",
        op="<",
        threshold=400,
        measured="peak {kb_peak_mb:.0f} MB (largest of the rebuild runs)",
    ),
    Target(
        "Index on disk at 10k no more than 30 % larger than the previous labelled run's",
        TARGET_SIZE,
        parts=("build",),
        figure="index_growth",
        op="<=",
        threshold=1.3,
        unavailable=("index_ref_mb", "no earlier run: {index_mb:n} MB now"),
        measured="{index_mb:n} MB vs {index_ref_mb:n} MB in {index_ref_run}: {index_growth:.2f}×",
    ),
    Target(
        "Query p95 with highlights at 10k ≤ 4× FTS5's p95, phrases included",
        TARGET_SIZE,
        parts=("queries",),
        figure="kb_q_worst_p95_ms",
        op="<=",
        threshold=4,
        of="fts5_q_overall_p95_ms",
        measured=_WORST_QUERY + " vs {threshold} × FTS5 p95 {fts5_q_overall_p95_ms:ms} = {limit:ms} ms: "
        "kb is {kb_q_worst_p95_per_fts5:.1f}× FTS5's p95",
    ),
    Target(
        "Query p95 at 10k of every class ≤ 4× FTS5's p95 of that class, phrases included",
        TARGET_SIZE,
        parts=("queries",),
        figure="kb_q_fts5_class_ratio",
        op="<=",
        threshold=4,
        measured="worst {kb_q_fts5_class}: kb {kb_q_fts5_class_kb_p95_ms:ms} ms vs FTS5 "
        "{kb_q_fts5_class_fts5_p95_ms:ms} ms = {kb_q_fts5_class_ratio:.1f}× (each: {kb_q_fts5_each})",
    ),
    Target(
        "Query p95 with highlights at 50k < 60 ms, phrases included",
        BIG_SIZE,
        parts=("queries",),
        figure="kb_q_worst_p95_ms",
        op="<",
        threshold=60,
        measured=_WORST_QUERY,
    ),
    Target(
        "kb in-process query p95 < rg median wall, same words, at 10k",
        TARGET_SIZE,
        parts=("queries", "processes"),
        figure="kb_q_grep words_p95_ms",
        op="<",
        threshold=1,
        of="rg_ms",
        unavailable=("rg_ms", "rg not installed"),
        measured=_VS_RG,
    ),
    Target(
        "kb in-process query p95 < rg median wall, same words, at 50k",
        BIG_SIZE,
        parts=("queries", "processes"),
        figure="kb_q_grep words_p95_ms",
        op="<",
        threshold=1,
        of="rg_ms",
        unavailable=("rg_ms", "rg not installed"),
        measured=_VS_RG,
    ),
    Target(
        "No-change freshness check (`kb index`) at 10k < 0.2 s",
        TARGET_SIZE,
        parts=("freshness",),
        figure="index_nochange_s",
        op="<",
        threshold=0.2,
        measured="`kb index` median {index_nochange_s:s} s (p95 {index_nochange_p95_s:s}); in process {refresh_s:s} s",
    ),
    Target(
        "One edited file searchable within 0.6 s, p95, at 10k",
        TARGET_SIZE,
        parts=("edit",),
        figure="edit_p95_s",
        op="<",
        threshold=0.6,
        measured="p95 {edit_p95_s:s} s (median {edit_s:s})",
    ),
    Target(
        "`kb --help` < 0.15 s as a whole process",
        None,
        parts=("processes",),
        figure="help_s",
        op="<",
        threshold=0.15,
        measured="median {help_s:s} s (p95 {help_p95_s:s})",
    ),
    Target(
        "Cold `kb search` at 10k < 0.4 s as a whole process",
        TARGET_SIZE,
        parts=("processes",),
        figure="cold_search_s",
        op="<",
        threshold=0.4,
        measured="median {cold_search_s:s} s (p95 {cold_search_p95_s:s})",
    ),
    Target(
        "Web at 10k: home and every record page (case study, customer, interview) median < 100 ms, p95 < 200 ms",
        TARGET_SIZE,
        parts=("pages",),
        figure="page_record_worst_ms",
        op="<",
        threshold=100,
        also=(("page_record_worst_p95_ms", "<", 200), ("page_record_bad", "<=", 0)),
        measured=_pages("record"),
    ),
    Target(
        "Web at 10k: every list page and search (phrases included) p95 < 200 ms",
        TARGET_SIZE,
        parts=("pages",),
        figure="page_list_worst_p95_ms",
        op="<",
        threshold=200,
        also=(("page_list_bad", "<=", 0),),
        measured=_pages("list"),
    ),
    Target(
        "Web at 10k: compare median < 500 ms",
        TARGET_SIZE,
        parts=("pages",),
        figure="page_compare_worst_ms",
        op="<",
        threshold=500,
        also=(("page_compare_bad", "<=", 0),),
        measured="median {page_compare_worst_ms:ms} ms (p95 {page_compare_worst_p95_ms:ms})",
    ),
    Target(
        "Web at 10k: `kb serve` peak memory < 400 MB",
        TARGET_SIZE,
        figure="server_peak_mb",
        op="<",
        threshold=400,
        measured="peak {server_peak_mb:n} MB (VmHWM of the server and its refresher, pages and load test)",
    ),
    Target(
        "Web at 10k under load (8 clients with edits on disk): p95 < 500 ms, no error",
        TARGET_SIZE,
        parts=("load",),
        figure="load_p95_ms",
        op="<",
        threshold=500,
        also=(("load_errors", "<=", 0),),
        measured="p95 {load_p95_ms:ms} ms (p50 {load_p50_ms:ms}), {load_rps:n} requests/s over {load_seconds} s, "
        "{load_clients} clients, {load_errors} errors",
    ),
    Target(
        "Editor at 10k: `kb lsp` answers a completion or hover within 100 ms (p95)",
        TARGET_SIZE,
        parts=("lsp",),
        figure="lsp_answer_worst_p95_ms",
        op="<",
        threshold=100,
        measured="slowest {lsp_answer_worst}: median {lsp_answer_worst_ms:ms} ms, p95 {lsp_answer_worst_p95_ms:ms} ms",
    ),
    Target(
        "Editor at 10k: `kb lsp` diagnostics within 300 ms of a keystroke (p95, its debounce included)",
        TARGET_SIZE,
        parts=("lsp",),
        figure="lsp_diagnostics_p95_ms",
        op="<",
        threshold=300,
        measured="median {lsp_diagnostics_ms:ms} ms, p95 {lsp_diagnostics_p95_ms:ms} ms (after a save: median "
        "{lsp_saved_ms:ms} ms, p95 {lsp_saved_p95_ms:ms} ms)",
    ),
    Target(
        "Web at 50k: every page p95 < 500 ms",
        BIG_SIZE,
        parts=("pages",),
        figure="page_all_worst_p95_ms",
        op="<",
        threshold=500,
        also=(("page_all_bad", "<=", 0),),
        measured="worst p95 {page_all_worst_p95_name} {page_all_worst_p95_ms:ms} ms (median / p95 of each: "
        "{page_all_each})",
    ),
    Target(
        "Web at 50k: `kb serve` peak memory < 1 GB",
        BIG_SIZE,
        figure="server_peak_mb",
        op="<",
        threshold=1024,
        measured="peak {server_peak_mb:n} MB (VmHWM of the server and its refresher, pages and load test)",
    ),
)
OPERATORS = {"<": operator.lt, "<=": operator.le, ">=": operator.ge}


class _FigureFormatter(string.Formatter):
    """str.format whose format spec may also name one of STYLES: `{kb_build_s:s}` is fmt_s(kb_build_s)."""

    def format_field(self, value, format_spec: str) -> str:
        style = STYLES.get(format_spec)
        return style(value) if style else format(value, format_spec)


def help_figures(run: dict) -> dict:
    help_s = run.get("help_s") or []
    return {"help_s": median(help_s), "help_p95_s": p95(help_s)}


def judge(target: Target, figures: dict | None, parts: tuple[str, ...] | list[str] = PARTS) -> dict:
    """One row of the targets table: the figures measured and PASS, FAIL or "not measured"."""
    missing = [part for part in target.parts if part not in parts]
    if figures is None:
        measured, ok = f"not measured ({int(target.size):,} records not in this run)", None
    elif missing:
        measured, ok = f"not measured (no {' nor '.join(missing)} part in this run)", None
    elif target.unavailable and figures.get(target.unavailable[0]) is None:
        try:
            why = _FigureFormatter().vformat(target.unavailable[1], (), figures)
        except (TypeError, KeyError, ValueError):  # a figure it names is missing too
            why = "this run did not measure it"
        measured, ok = f"not measured ({why})", None
    else:
        try:
            limit = target.threshold * figures[target.of] if target.of else target.threshold
            fields = {**figures, "threshold": target.threshold, "limit": limit}
            measured = _FigureFormatter().vformat(target.measured, (), fields)
            ok = OPERATORS[target.op](figures[target.figure], limit) and all(
                OPERATORS[op](figures[figure], threshold) for figure, op, threshold in target.also
            )
        except (TypeError, KeyError, ValueError, ZeroDivisionError):  # a figure is None, absent or zero
            measured, ok = "not measured (this run did not measure it)", None
    status = "not measured" if ok is None else ("PASS" if ok else "FAIL")
    return {"target": target.name, "measured": measured, "status": status}


def index_reference(history: list[dict], label: str | None = None) -> dict[str, dict]:
    """Per size, the index size on disk of the latest labelled run of `history` that recorded one, other
    than a run labelled `label` (the run being made replaces it: it is not an earlier state)."""
    found: dict[str, dict] = {}
    for old in history:
        if not old.get("label") or old["label"] == label:
            continue
        for size, entry in old.get("sizes", {}).items():
            if entry.get("index_mb") is not None:
                found[size] = {"label": old["label"], "commit": old.get("commit"), "date": old.get("date")}
                found[size]["mb"] = entry["index_mb"]
    return found


def run_figures(run: dict) -> dict[str, dict]:
    """size_figures of each size of the run, with the index size of the reference run beside this one's."""
    sizes = {k: size_figures(v) for k, v in run["sizes"].items()}
    for size, ref in (run.get("index_reference") or {}).items():
        f = sizes.get(size)
        if f is None or not ref.get("mb"):
            continue
        f["index_ref_mb"] = ref["mb"]
        f["index_ref_run"] = f"the run {ref['label']!r} ({str(ref.get('commit'))[:12]}, {ref.get('date')})"
        if f.get("index_mb") is not None:
            f["index_growth"] = f["index_mb"] / ref["mb"]
    return sizes


def targets(run: dict) -> list[dict]:
    """Each of TARGETS judged on this run's figures."""
    sizes = run_figures(run)
    parts = run.get("parts") or PARTS  # a run from before --parts measured every part

    def parts_of(size: str | None):
        # A size measured by a second invocation (its entry says so under `measured_in`) ran its own parts.
        measured_in = run.get("sizes", {}).get(size, {}).get("measured_in") if size else None
        return measured_in["parts"] if measured_in else parts

    return [judge(t, sizes.get(t.size) if t.size else help_figures(run), parts_of(t.size)) for t in TARGETS]


# --- gains: labelled runs side by side -----------------------------------------------------------

GAIN_ROWS = (  # (figure key, label, unit); the baselines' rows show how noisy the machine was between runs
    ("kb_build_s", "kb full rebuild, median", "s"),
    ("kb_rps", "kb full rebuild", "records/s"),
    ("kb_peak_mb", "kb full rebuild, peak memory", "MB"),
    ("index_nochange_s", "no-change `kb index`, median", "s"),
    ("refresh_s", "no-change refresh in process, median", "s"),
    ("edit_p95_s", "edited file searchable, p95", "s"),
    ("cold_search_s", "cold `kb search`, median", "s"),
    ("kb_q_overall_ms", "kb query, median", "ms"),
    ("kb_q_overall_p95_ms", "kb query, p95", "ms"),
    ("kb_q_phrase_p95_ms", "kb phrase query, p95", "ms"),
    ("kb_q_worst_p95_ms", "kb worst query class, p95", "ms"),
    ("index_mb", "index on disk", "MB"),
    ("page_record_worst_p95_ms", "web: slowest record page, p95", "ms"),
    ("page_list_worst_p95_ms", "web: slowest list or search page, p95", "ms"),
    ("page_compare_worst_ms", "web: compare, median", "ms"),
    ("server_peak_mb", "web: `kb serve` peak memory", "MB"),
    ("load_rps", "web under load", "requests/s"),
    ("load_p95_ms", "web under load, p95", "ms"),
    ("lsp_answer_worst_p95_ms", "`kb lsp`: slowest completion or hover, p95", "ms"),
    ("lsp_diagnostics_p95_ms", "`kb lsp`: diagnostics after a keystroke, p95", "ms"),
    ("whoosh_build_s", "(baseline) straightforward Whoosh build, median", "s"),
    ("fts5_q_overall_p95_ms", "(baseline) FTS5 query, p95", "ms"),
)
HIGHER_IS_BETTER = {"kb_rps", "load_rps"}


def gains(history: list[dict], current: dict) -> str:
    runs = list(history)
    if not any(r is current for r in runs):
        runs.append(current)
    if len(runs) < 2:
        return (
            "Only one run so far. Run `python -m bench.run --label before` on the old code and "
            "`--label after` on the new: each labelled run is kept in `bench/results.json`, and this "
            "section shows them side by side.\n"
        )
    names = [r.get("label") or "this run (unlabelled)" for r in runs]
    lines = [
        "| figure | "
        + " | ".join(f"{n}<br>`{r['commit'][:12]}`" for n, r in zip(names, runs, strict=True))
        + f" | {names[0]} → {names[-1]} |",
        "|---" * (len(runs) + 2) + "|",
    ]
    figures = [{k: size_figures(v) for k, v in r["sizes"].items()} for r in runs]
    sizes = sorted({k for f in figures for k in f}, key=int)
    for size in sizes:
        for key, label, unit in GAIN_ROWS:
            values = [f.get(size, {}).get(key) for f in figures]
            if all(v is None for v in values):
                continue
            shown = [
                (fmt_ms(v) if unit == "ms" else fmt_n(v) if unit in ("records/s", "MB", "requests/s") else fmt_s(v))
                for v in values
            ]
            first, last = values[0], values[-1]
            if first and last:
                factor = last / first if key in HIGHER_IS_BETTER else first / last
                change = f"{factor:.2f}×" + ("" if f"{factor:.2f}" == "1.00" else " better" if factor > 1 else " worse")
            else:
                change = "—"
            lines.append(f"| {int(size):,}: {label} ({unit}) | " + " | ".join(shown) + f" | {change} |")
    help_values = [median(r.get("help_s") or []) for r in runs]
    if help_values[0] and help_values[-1]:
        lines.append(
            "| `kb --help`, median (s) | "
            + " | ".join(fmt_s(v) for v in help_values)
            + f" | {help_values[0] / help_values[-1]:.2f}× |"
        )
    return "\n".join(lines) + "\n"


# --- BENCHMARKS.md -------------------------------------------------------------------------------

SUMMARY_ROWS = (  # (label, style of STYLES, figure), or (label, "ratio", kb's figure, the other's figure)
    ("kb full rebuild (s)", "s", "kb_build_s"),
    ("kb full rebuild (records/s)", "n", "kb_rps"),
    ("kb full rebuild peak memory (MB)", "n", "kb_peak_mb"),
    ("straightforward Whoosh build incl. rendering (s)", "s", "whoosh_build_s"),
    ("… of which Markdown rendering (s)", "s", "whoosh_render_s"),
    ("FTS5 build (s)", "s", "fts5_build_s"),
    ("build: kb ÷ straightforward Whoosh", "ratio", "kb_build_s", "whoosh_build_s"),
    ("build: kb ÷ FTS5", "ratio", "kb_build_s", "fts5_build_s"),
    ("no-change `kb index` (s)", "s", "index_nochange_s"),
    ("no-change refresh in process (s)", "s", "refresh_s"),
    ("edited file searchable, p95 (s)", "s", "edit_p95_s"),
    ("cold `kb search audit` (s)", "s", "cold_search_s"),
    ("kb query p95, all classes (ms)", "ms", "kb_q_overall_p95_ms"),
    ("kb query p95, worst class (ms)", "ms", "kb_q_worst_p95_ms"),
    ("Whoosh baseline query p95 (ms)", "ms", "whoosh_q_overall_p95_ms"),
    ("FTS5 query p95 (ms)", "ms", "fts5_q_overall_p95_ms"),
    ("query p95: kb ÷ Whoosh baseline (same words)", "ratio", "kb_q_grep words_p95_ms", "whoosh_q_grep words_p95_ms"),
    ("query p95: kb ÷ FTS5 (all classes)", "ratio", "kb_q_overall_p95_ms", "fts5_q_overall_p95_ms"),
    ("`rg -il WORD` (ms)", "tool ms", "rg_ms"),
    ("`grep -ril WORD` (ms)", "tool ms", "grep_ms"),
    ("single word: kb p95 ÷ rg median", "ratio", "kb_q_grep words_p95_ms", "rg_ms"),
)


def markdown(run: dict, history: list[dict], notes: str | None, svg: str, notes_name: str) -> str:
    sizes = sorted(run["sizes"], key=int)
    figures = run_figures(run)
    v, m = run["versions"], run["machine"]
    out: list[str] = []
    add = out.append
    add("# Benchmarks\n")
    add(
        f"Written by `python -m bench.run`; never edit it by hand (notes belong in `{notes_name}`, which is "
        "copied under Gains). What each figure means and how it is measured: [bench/README.md](bench/README.md).\n"
    )
    add("## The run\n")
    add("| | |\n|---|---|")
    add(f"| machine | {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, Linux {m['kernel']} |")
    add(f"| date | {run['date']} |")
    add(f"| commit measured | `{run['commit']}` |")
    add(f"| label | {run.get('label') or '(unlabelled: not kept in bench/results.json)'} |")
    add(f"| Python, Whoosh, SQLite | {v['python']}, whoosh-reloaded {v['whoosh']}, SQLite {v['sqlite']} |")
    add(f"| baseline libraries | Markdown {v['markdown']}, python-frontmatter {v['python-frontmatter']} |")
    for tool in ("rg", "grep"):
        shown = v.get(tool) or f"{tool} not installed: its baseline is skipped in this small run"
        add(f"| {tool} | {shown} |")
    each = [run["sizes"][s] for s in sizes]
    add(
        "| corpus | "
        + "; ".join(f"{e['records']:,} records = {e['files']:,} files, {e['mb']} MB" for e in each)
        + f" (bench/corpus.py, seed {run['seed']}) |"
    )
    per_class = f" (≥ {run['query_runs']} timed runs per class and engine)" if any("queries" in e for e in each) else ""
    add("| repeats | " + "; ".join(_repeats(e) for e in each) + per_class + " |")
    add(f"| parts measured | {', '.join(run.get('parts') or PARTS)} |")
    add(
        "| load average (1, 5, 15 min) | "
        + "; ".join(
            f"{int(s):,}: {_load(run['sizes'][s]['load_before'])} before, {_load(run['sizes'][s]['load_after'])} after"
            for s in sizes
        )
        + " |"
    )
    add(f"| duration | {run['duration_s'] / 60:.1f} min |")
    add(f"| reproduce | `{run['command']}` |")
    add("")

    add("## Targets, in this run\n")
    add("| target | measured | status |\n|---|---|---|")
    for t in targets(run):
        status = {"PASS": "**PASS**", "FAIL": "**FAIL**"}.get(t["status"], t["status"])
        add(f"| {t['target']} | {t['measured']} | {status} |")
    add("")

    add("## Summary\n")
    add(
        "Times are medians of whole processes unless marked p95; queries are in process, top 10 with "
        "highlights. *kb ÷ X* is kb's time divided by X's: below 1, kb is faster.\n"
    )
    add("| figure | " + " | ".join(f"{int(s):,} records" for s in sizes) + " |")
    add("|---" * (len(sizes) + 1) + "|")
    parts = run.get("parts") or PARTS
    for label, style, *keys in SUMMARY_ROWS:
        values = [[figures[s].get(key) for key in keys] for s in sizes]
        if all(v[0] is None for v in values) and not (style == "tool ms" and "processes" in parts):
            continue  # a part not in this run (rg and grep not installed are said so)
        cells = [fmt_ratio(*v) if style == "ratio" else STYLES[style](*v) for v in values]
        add(f"| {label} | " + " | ".join(cells) + " |")
    out.extend(summary_rows(sizes, figures, run["sizes"]))
    help_s = run.get("help_s") or []
    if help_s:
        add(
            f"\n`kb --help` as a whole process: median {fmt_s(median(help_s))} s, p95 {fmt_s(p95(help_s))} s "
            f"({len(help_s)} runs).\n"
        )
    else:
        add("")
    add(f"![Build time and query p95 against the number of records, log–log]({svg})\n")

    out.extend(_query_section(run))
    for s in sizes:
        out.extend(_size_section(run["sizes"][s], figures[s]))

    add("## Gains\n")
    add(
        "Labelled runs from `bench/results.json`, side by side (each column is one whole run of this command "
        "with its own baselines; the baseline rows show how much the machine itself drifted between runs).\n"
    )
    add(gains(history, run))
    if notes:
        add(notes.strip() + "\n")
    add("## Raw timings\n")
    for s in sizes:
        out.extend(_raw_section(run["sizes"][s]))
    add("<details><summary>kb --help (s)</summary>\n")
    add(_values(run.get("help_s") or [], 3) + "\n")
    add("</details>\n")
    return "\n".join(out)


def _query_section(run: dict) -> list[str]:
    chosen = run.get("query_set")
    if not chosen:
        return []
    reference = chosen["reference"]
    out = [
        "## The queries\n",
        f"Chosen by `bench/queries.py` from a {reference['records']}-record reference KB of the same generator "
        "and seed, so that every query finds something: the three most frequent domain words, three words of "
        "the long tail (in 1–3% of records), adjacent pairs that occur, fields and filters. Share of the "
        "reference records containing each word or phrase: "
        + ", ".join(f"{word} {share:.1%}" for word, share in reference["share"].items())
        + ".\n",
        "| class | kb gets | the baselines get |",
        "|---|---|---|",
    ]
    for cls in CLASSES:
        mine = [q for q in chosen["queries"] if q["class"] == cls]
        kb_side = "; ".join(f"`{_label(q)}`" for q in mine)
        base = "; ".join(f"`{q['base']}`" if q["base"] else "—" for q in mine)
        out.append(f"| {cls} | {kb_side} | {base} |")
    out.append("")
    return out


def _label(q: dict) -> str:
    return q["text"] + (" + " + ", ".join(f"{k}={v}" for k, v in q["filters"].items()) if q["filters"] else "")


def _repeats(size: dict) -> str:
    """How many times each part of a size ran."""
    said = []
    if "build" in size:
        said.append(f"rebuilds ×{size['rebuild_runs']}")
    if any(part in size for part in ("freshness", "cold_search_s", "edit")):
        said.append(f"other processes ×{size['process_runs']}")
    if "queries" in size:
        said.append(f"queries {size['queries']['rounds']} rounds")
    pages = (size.get("web") or {}).get("pages")
    if pages:
        said.append(f"pages ×{max(len(e.get('times', [])) for e in pages.values())}")
    return f"{size['records']:,}: " + (", ".join(said) or "nothing timed")


def _load(values) -> str:
    return " ".join(f"{x:.2f}" for x in values)


def _size_section(size: dict, f: dict) -> list[str]:
    """A size's section: each part that ran, in its own subsection."""
    out = [f"## {size['records']:,} records\n"]
    if "build" in size:
        out += _build_section(size, f)
    out += _process_section(size)
    if "queries" in size:
        out += _query_latency_section(size)
    if "cold_search_s" in size:
        out += _scan_section(size)
    out += web_section(size, f)
    return out


def _build_section(size: dict, f: dict) -> list[str]:
    out = [
        "### Full builds (whole processes)\n",
        "| build | runs | median (s) | p95 (s) | records/s | peak memory (MB) | kb ÷ this |",
        "|---|---|---|---|---|---|---|",
    ]
    names = {
        "kb": "`kb index --rebuild`",
        "whoosh": "straightforward Whoosh (parse, render, index, commit)",
        "fts5": "SQLite FTS5 (parse, insert, commit)",
    }
    for engine, name in names.items():
        ratio = "1" if engine == "kb" else fmt_ratio(f["kb_build_s"], f[f"{engine}_build_s"])
        out.append(
            f"| {name} | {len(size['build'][engine]['wall_s'])} | {fmt_s(f[f'{engine}_build_s'])} | "
            f"{fmt_s(f[f'{engine}_build_p95_s'])} | {fmt_n(f[f'{engine}_rps'])} | "
            f"{fmt_n(f[f'{engine}_peak_mb'])} | {ratio} |"
        )
    out.append(
        f"\nInside the straightforward build (medians): parse {fmt_s(f['whoosh_parse_s'])} s, render "
        f"Markdown {fmt_s(f['whoosh_render_s'])} s ({f['whoosh_render_s'] / size['files'] * 1000:.2f} ms a "
        f"file), add documents {fmt_s(f['whoosh_add_s'])} s, commit {fmt_s(f['whoosh_commit_s'])} s.\n"
    )
    if size.get("index_mb") is not None:
        out.append(f"The index on disk (`.kb/`) after the rebuild: {size['index_mb']:,.1f} MB.\n")
    return out


def _process_section(size: dict) -> list[str]:
    rows = (
        ("no-change `kb index` (process)", size.get("freshness", {}).get("process_s")),
        ("no-change `Workspace(Kb(root)).refresh()` (in process)", size.get("freshness", {}).get("inprocess_s")),
        ("edited interview until `kb search WORD --json` finds it", size.get("edit", {}).get("s")),
        ("cold `kb search audit` (process)", size.get("cold_search_s")),
    )
    rows = tuple((label, values) for label, values in rows if values is not None)
    if not rows:
        return []
    out = ["### Freshness and whole processes\n", "| figure | runs | median (s) | p95 (s) |", "|---|---|---|---|"]
    for label, values in rows:
        out.append(f"| {label} | {len(values)} | {fmt_s(median(values))} | {fmt_s(p95(values))} |")
    attempts = size.get("edit", {}).get("attempts")
    if attempts:
        out.append(
            f"\nThe edited file was found by the first `kb search` process in {attempts.count(1)} of "
            f"{len(attempts)} edits (at most {max(attempts)} processes).\n"
        )
    else:
        out.append("")
    return out


def _query_latency_section(size: dict) -> list[str]:
    out = []
    stats = query_stats(size)
    out += [
        "### Query latency in process, top 10 with highlights (ms)\n",
        "| class | kb median | kb p95 | Whoosh baseline median | p95 | FTS5 median | p95 | "
        "kb p95 ÷ Whoosh p95 | kb p95 ÷ FTS5 p95 |",
        "|---" * 9 + "|",
    ]
    for key in (*CLASSES, "overall"):
        if key not in stats["kb"]:
            continue
        cells = []
        for engine in ENGINES:
            med, high, _ = stats.get(engine, {}).get(key, (None, None, 0))
            cells += [fmt_ms(med), fmt_ms(high)]
        kb_high = stats["kb"][key][1]
        ratios = [fmt_ratio(kb_high, stats.get(e, {}).get(key, (None, None))[1]) for e in ("whoosh", "fts5")]
        name = f"**{key}**" if key == "overall" else key
        out.append(f"| {name} ({stats['kb'][key][2]} runs) | " + " | ".join(cells + ratios) + " |")
    out.append(
        "\nkb opens its own searcher in each `search()` call, as kb does; the Whoosh baseline reuses one "
        "searcher across all queries (the fairer choice for it). The baselines run the text part of each query "
        "(field and filter queries lose their field or filter there; `customer:customer-00007` has no text "
        "part and runs on kb only).\n"
    )
    out += [
        "<details><summary>Each query: hits and timings (ms)</summary>\n",
        "| class | kb query | baselines' query | kb hits | Whoosh hits | FTS5 rows (top 10) | kb median / p95 | "
        "Whoosh median / p95 | FTS5 median / p95 |",
        "|---" * 9 + "|",
    ]
    for e in size["queries"]["queries"]:
        label = _label(e)
        cells = [f"{fmt_ms(median(e['ms'][x]))} / {fmt_ms(p95(e['ms'][x]))}" if x in e["ms"] else "—" for x in ENGINES]
        hits = [str(e["hits"].get(x, "—")) for x in ENGINES]
        out.append(
            f"| {e['class']} | `{label}` | {'`' + e['base'] + '`' if e['base'] else '—'} | "
            + " | ".join(hits + cells)
            + " |"
        )
    out.append("\n</details>\n")
    return out


def _scan_section(size: dict) -> list[str]:
    scans = size.get("scan_s", {})
    out = ["### rg and grep over the record folders (whole processes, ms)\n"]
    if not scans:
        out.append("rg and grep not installed: skipped in this small run.\n")
        return out
    tools = [t for t in ("rg", "grep") if t in scans]
    out += [
        "| word | " + " | ".join(f"`{_cmd(t)}` files | median | p95" for t in tools) + " | kb p95 (in process) |",
        "|---" * (1 + 3 * len(tools) + 1) + "|",
    ]
    kb_single = {e["text"]: e["ms"]["kb"] for e in size["queries"]["queries"] if e["class"] == "single"}
    words = next(iter(scans.values()))
    for word in words:
        cells = []
        for t in tools:
            values = [x * 1000 for x in scans[t][word]]
            cells += [str(size["scan_files"].get(f"{t} {word}", "—")), fmt_ms(median(values)), fmt_ms(p95(values))]
        out.append(f"| {word} | " + " | ".join(cells) + f" | {fmt_ms(p95(kb_single.get(word, [])))} |")
    for t in ("rg", "grep"):
        if t not in scans:
            out.append(f"\n{t} not installed: skipped in this small run.")
    out.append("")
    return out


def _cmd(tool: str) -> str:
    return "rg -il" if tool == "rg" else "grep -ril"


def _values(values, digits: int) -> str:
    return "`" + " ".join(f"{x:.{digits}f}" for x in values) + "`"


def _raw_section(size: dict) -> list[str]:
    n = size["records"]
    out = [f"<details><summary>{n:,} records</summary>\n"]
    for engine in ENGINES if "build" in size else ():
        b = size["build"][engine]
        out.append(
            f"- build {engine}: wall (s) {_values(b['wall_s'], 3)}; peak (MB) {_values(b['peak_mb'], 0)}; "
            f"ru_maxrss (MB) {_values(b['maxrss_mb'], 0)}; process-tree PSS polled (MB) "
            f"{_values(b['tree_peak_mb'], 0)}"
        )
        for inner in b.get("internal", []):
            out.append(
                "  - inside: "
                + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in inner.items())
            )
    if "freshness" in size:
        out.append(f"- no-change `kb index` (s): {_values(size['freshness']['process_s'], 3)}")
        out.append(f"- no-change refresh in process (s): {_values(size['freshness']['inprocess_s'], 4)}")
    if "edit" in size:
        out.append(
            f"- edit to searchable (s): {_values(size['edit']['s'], 3)}; kb search processes: "
            f"`{' '.join(map(str, size['edit']['attempts']))}`"
        )
    if "cold_search_s" in size:
        out.append(f"- cold `kb search audit` (s): {_values(size['cold_search_s'], 3)}")
    for tool, words in size.get("scan_s", {}).items():
        for word, values in words.items():
            out.append(f"- {_cmd(tool)} {word} (s): {_values(values, 4)}")
    for e in size["queries"]["queries"] if "queries" in size else ():
        for engine, values in e["ms"].items():
            out.append(
                f"- query {e['class']} `{e['text']}`{' ' + str(e['filters']) if e['filters'] else ''} on "
                f"{engine} (ms): {_values(values, 2)}"
            )
    out += web_raw(size)
    out.append("\n</details>\n")
    return out
