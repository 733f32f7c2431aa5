"""Turn one run's raw timings (and the labelled runs kept in bench/results.json) into BENCHMARKS.md and an SVG."""

from __future__ import annotations

import math
import operator
import string
import sys
from dataclasses import dataclass
from xml.etree import ElementTree

from .measure import median, p95

CLASSES = ("single", "and", "phrase", "field", "filter")
ENGINES = {"kb": "kb", "whoosh": "Whoosh baseline", "fts5": "SQLite FTS5"}
TARGET_SIZE, BIG_SIZE = "10000", "50000"


# --- formatting ----------------------------------------------------------------------------------


def fmt_s(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value:.3f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 10:
        return f"{value:.2f}"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def fmt_n(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def fmt_ratio(kb: float | None, other: float | None) -> str:
    """kb's time divided by the other's: below 1, kb is faster."""
    if kb is None or other is None or not kb or not other:
        return "—"
    r = kb / other
    return f"{r:.2f} (kb {1 / r:.1f}× faster)" if r < 1 else f"{r:.2f} (kb {r:.1f}× slower)"


def fmt_speedup(value: float) -> str:
    """The other's time divided by kb's, said as how many times faster (or slower) kb is."""
    return f"{value:.2f}× faster" if value >= 1 else f"{1 / value:.2f}× slower"


def fmt_tool_ms(value: float | None) -> str:
    """rg's or grep's time: None when the tool is not installed."""
    return "not installed" if value is None else fmt_ms(value)


STYLES = {"s": fmt_s, "ms": fmt_ms, "n": fmt_n, "speedup": fmt_speedup, "tool ms": fmt_tool_ms}


def _pool(lists) -> list[float]:
    return [x for values in lists for x in values]


# --- figures -------------------------------------------------------------------------------------


def query_stats(size: dict) -> dict:
    """{engine: {class or "overall" or "grep words": (median, p95, runs)}} in ms."""
    stats: dict[str, dict] = {}
    entries = size["queries"]["queries"]
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
    """The headline figures of one size, from its raw timings."""
    build = size["build"]
    f: dict[str, float | None] = {}
    for engine in ENGINES:
        walls = build[engine]["wall_s"]
        f[f"{engine}_build_s"] = median(walls)
        f[f"{engine}_build_p95_s"] = p95(walls)
        f[f"{engine}_rps"] = size["records"] / median(walls) if walls else None
        f[f"{engine}_peak_mb"] = max(build[engine]["peak_mb"]) if build[engine]["peak_mb"] else None
    for part in ("parse_s", "render_s", "add_s", "commit_s"):
        f[f"whoosh_{part}"] = median([i[part] for i in build["whoosh"]["internal"]])
    f["index_nochange_s"] = median(size["freshness"]["process_s"])
    f["index_nochange_p95_s"] = p95(size["freshness"]["process_s"])
    f["refresh_s"] = median(size["freshness"]["inprocess_s"])
    f["refresh_p95_s"] = p95(size["freshness"]["inprocess_s"])
    f["cold_search_s"] = median(size["cold_search_s"])
    f["cold_search_p95_s"] = p95(size["cold_search_s"])
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
    kb_classes = [stats["kb"][c][1] for c in CLASSES if c in stats["kb"]]
    f["kb_q_worst_p95_ms"] = max(kb_classes) if kb_classes else None
    # Figures computed from two others, for the targets, the summary and the chart:
    for tool in ("rg", "grep"):
        f[f"{tool}_ms"] = f[f"{tool}_s"] * 1000 if f[f"{tool}_s"] is not None else None
    whoosh, kb = f["whoosh_build_s"], f["kb_build_s"]
    f["build_speedup"] = whoosh / kb if whoosh and kb else None  # above 1: kb's rebuild is faster
    worst, fts5 = f["kb_q_worst_p95_ms"], f.get("fts5_q_overall_p95_ms")
    f["kb_q_worst_p95_per_fts5"] = worst / fts5 if worst and fts5 else None  # kb's worst class p95 ÷ FTS5's p95
    return f


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
    unavailable: tuple[str, str] | None = None  # (figure, why): when that figure is None, "not measured (why)"


_WORST_QUERY = (
    "kb worst class p95 {kb_q_worst_p95_ms:ms} ms (overall {kb_q_overall_p95_ms:ms}, phrases {kb_q_phrase_p95_ms:ms})"
)
_VS_RG = "kb single-word p95 {kb_q_grep words_p95_ms:ms} ms vs rg -il median {limit:ms} ms (same words)"

TARGETS = (
    Target(
        "Full rebuild of 10k ≥ 3× faster than the straightforward pipeline incl. rendering",
        TARGET_SIZE,
        figure="build_speedup",
        op=">=",
        threshold=3,
        measured="kb {kb_build_s:s} s ({kb_rps:n} records/s) vs straightforward {whoosh_build_s:s} s incl. "
        "{whoosh_render_s:s} s rendering: {build_speedup:speedup}",
    ),
    Target(
        "Full rebuild of 10k: peak memory < 400 MB",
        TARGET_SIZE,
        figure="kb_peak_mb",
        op="<",
        threshold=400,
        measured="peak {kb_peak_mb:.0f} MB (largest of the rebuild runs)",
    ),
    Target(
        "Query p95 with highlights at 10k ≤ 4× FTS5's p95, phrases included",
        TARGET_SIZE,
        figure="kb_q_worst_p95_ms",
        op="<=",
        threshold=4,
        of="fts5_q_overall_p95_ms",
        measured=_WORST_QUERY + " vs {threshold} × FTS5 p95 {fts5_q_overall_p95_ms:ms} = {limit:ms} ms: "
        "kb is {kb_q_worst_p95_per_fts5:.1f}× FTS5's p95",
    ),
    Target(
        "Query p95 with highlights at 50k < 60 ms, phrases included",
        BIG_SIZE,
        figure="kb_q_worst_p95_ms",
        op="<",
        threshold=60,
        measured=_WORST_QUERY,
    ),
    Target(
        "kb in-process query p95 < rg median wall, same words, at 10k",
        TARGET_SIZE,
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
        figure="kb_q_grep words_p95_ms",
        op="<",
        threshold=1,
        of="rg_ms",
        unavailable=("rg_ms", "rg not installed"),
        measured=_VS_RG,
    ),
    Target(
        "No-change freshness check (`kb index`) at 10k < 0.3 s",
        TARGET_SIZE,
        figure="index_nochange_s",
        op="<",
        threshold=0.3,
        measured="`kb index` median {index_nochange_s:s} s (p95 {index_nochange_p95_s:s}); in process {refresh_s:s} s",
    ),
    Target(
        "One edited file searchable within 1 s, p95, at 10k",
        TARGET_SIZE,
        figure="edit_p95_s",
        op="<=",
        threshold=1.0,
        measured="p95 {edit_p95_s:s} s (median {edit_s:s})",
    ),
    Target(
        "`kb --help` < 0.15 s as a whole process",
        None,
        figure="help_s",
        op="<",
        threshold=0.15,
        measured="median {help_s:s} s (p95 {help_p95_s:s})",
    ),
    Target(
        "Cold `kb search` at 10k < 0.5 s as a whole process",
        TARGET_SIZE,
        figure="cold_search_s",
        op="<",
        threshold=0.5,
        measured="median {cold_search_s:s} s (p95 {cold_search_p95_s:s})",
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


def judge(target: Target, figures: dict | None) -> dict:
    """One row of the targets table: the figures measured and PASS, FAIL or "not measured"."""
    if figures is None:
        measured, ok = f"not measured ({int(target.size):,} records not in this run)", None
    elif target.unavailable and figures.get(target.unavailable[0]) is None:
        measured, ok = f"not measured ({target.unavailable[1]})", None
    else:
        try:
            limit = target.threshold * figures[target.of] if target.of else target.threshold
            fields = {**figures, "threshold": target.threshold, "limit": limit}
            measured = _FigureFormatter().vformat(target.measured, (), fields)
            ok = OPERATORS[target.op](figures[target.figure], limit)
        except (TypeError, KeyError, ZeroDivisionError):  # a figure is None, absent or zero
            measured, ok = "not measured (a figure is missing in this run)", None
    status = "not measured" if ok is None else ("PASS" if ok else "FAIL")
    return {"target": target.name, "measured": measured, "status": status}


def targets(run: dict) -> list[dict]:
    """Each of TARGETS judged on this run's figures."""
    sizes = {k: size_figures(v) for k, v in run["sizes"].items()}
    return [judge(t, sizes.get(t.size) if t.size else help_figures(run)) for t in TARGETS]


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
    ("whoosh_build_s", "(baseline) straightforward Whoosh build, median", "s"),
    ("fts5_q_overall_p95_ms", "(baseline) FTS5 query, p95", "ms"),
)
HIGHER_IS_BETTER = {"kb_rps"}


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
                (fmt_ms(v) if unit == "ms" else fmt_n(v) if unit in ("records/s", "MB") else fmt_s(v)) for v in values
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
    figures = {s: size_figures(run["sizes"][s]) for s in sizes}
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
    add(
        "| repeats | "
        + "; ".join(
            f"{e['records']:,}: rebuilds ×{e['rebuild_runs']}, other processes "
            f"×{e['process_runs']}, queries {e['queries']['rounds']} rounds"
            for e in each
        )
        + f" (≥ {run['query_runs']} timed runs per class and engine) |"
    )
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
    for label, style, *keys in SUMMARY_ROWS:
        values = [[figures[s].get(key) for key in keys] for s in sizes]
        cells = [fmt_ratio(*v) if style == "ratio" else STYLES[style](*v) for v in values]
        add(f"| {label} | " + " | ".join(cells) + " |")
    help_s = run["help_s"]
    add(
        f"\n`kb --help` as a whole process: median {fmt_s(median(help_s))} s, p95 {fmt_s(p95(help_s))} s "
        f"({len(help_s)} runs).\n"
    )
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
    add(_values(run["help_s"], 3) + "\n")
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


def _load(values) -> str:
    return " ".join(f"{x:.2f}" for x in values)


def _size_section(size: dict, f: dict) -> list[str]:
    out = [
        f"## {size['records']:,} records\n",
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
    out += ["### Freshness and whole processes\n", "| figure | runs | median (s) | p95 (s) |", "|---|---|---|---|"]
    rows = (
        ("no-change `kb index` (process)", size["freshness"]["process_s"]),
        ("no-change `Workspace(Kb(root)).refresh()` (in process)", size["freshness"]["inprocess_s"]),
        ("edited interview until `kb search WORD --json` finds it", size["edit"]["s"]),
        ("cold `kb search audit` (process)", size["cold_search_s"]),
    )
    for label, values in rows:
        out.append(f"| {label} | {len(values)} | {fmt_s(median(values))} | {fmt_s(p95(values))} |")
    attempts = size["edit"]["attempts"]
    if attempts:
        out.append(
            f"\nThe edited file was found by the first `kb search` process in {attempts.count(1)} of "
            f"{len(attempts)} edits (at most {max(attempts)} processes).\n"
        )
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
    scans = size.get("scan_s", {})
    out += ["### rg and grep over the record folders (whole processes, ms)\n"]
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
    for engine in ENGINES:
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
    out.append(f"- no-change `kb index` (s): {_values(size['freshness']['process_s'], 3)}")
    out.append(f"- no-change refresh in process (s): {_values(size['freshness']['inprocess_s'], 4)}")
    out.append(
        f"- edit to searchable (s): {_values(size['edit']['s'], 3)}; kb search processes: "
        f"`{' '.join(map(str, size['edit']['attempts']))}`"
    )
    out.append(f"- cold `kb search audit` (s): {_values(size['cold_search_s'], 3)}")
    for tool, words in size.get("scan_s", {}).items():
        for word, values in words.items():
            out.append(f"- {_cmd(tool)} {word} (s): {_values(values, 4)}")
    for e in size["queries"]["queries"]:
        for engine, values in e["ms"].items():
            out.append(
                f"- query {e['class']} `{e['text']}`{' ' + str(e['filters']) if e['filters'] else ''} on "
                f"{engine} (ms): {_values(values, 2)}"
            )
    out.append("\n</details>\n")
    return out


# --- the scaling chart ---------------------------------------------------------------------------

COLORS = {"kb": "#c0392b", "whoosh": "#2471a3", "fts5": "#1e8449", "rg": "#7d3c98", "grep": "#9a7d0a"}
PANELS = (  # (title, unit, lines); a line: (name, colour, dash pattern or None, figure, hollow dots)
    (
        "Full build: wall time of the whole process (median)",
        "seconds",
        (
            ("kb index --rebuild", COLORS["kb"], None, "kb_build_s", False),
            ("straightforward Whoosh (incl. Markdown rendering)", COLORS["whoosh"], "6 4", "whoosh_build_s", False),
            ("SQLite FTS5", COLORS["fts5"], "2 3", "fts5_build_s", False),
        ),
    ),
    (
        "Query: p95 in process, top 10 with highlights",
        "milliseconds",
        (
            ("kb (all query classes)", COLORS["kb"], None, "kb_q_overall_p95_ms", False),
            ("kb (worst class)", COLORS["kb"], "1 3", "kb_q_worst_p95_ms", True),
            ("straightforward Whoosh", COLORS["whoosh"], "6 4", "whoosh_q_overall_p95_ms", False),
            ("SQLite FTS5", COLORS["fts5"], "2 3", "fts5_q_overall_p95_ms", False),
            ("rg -il WORD (median wall, whole process)", COLORS["rg"], "8 3 2 3", "rg_ms", False),
            ("grep -ril WORD (median wall, whole process)", COLORS["grep"], "10 5", "grep_ms", False),
        ),
    ),
)
PANEL_WIDTH, PANEL_HEIGHT, HEADING_HEIGHT = 500, 560, 34
FONT = "Helvetica, Arial, sans-serif"
LEGEND_ROW = 18  # pygal's height of a legend row at the bottom: 1.5 × max(legend font size, legend box size)


def _import_pygal():
    import pygal

    # pygal appends an old-style import hook (for its map plugins, which the chart does not use) to
    # sys.meta_path; it has no find_spec, and every later import then warns. Take it out again.
    sys.meta_path[:] = [hook for hook in sys.meta_path if type(hook).__name__ != "PluginImportFixer"]
    return pygal


def scaling_svg(run: dict) -> str:
    """Build time and query p95 against the number of records, log–log, as one SVG of two pygal charts
    side by side, with no script (and no link) in it."""
    pygal = _import_pygal()
    from pygal.style import Style

    figures = {int(s): size_figures(run["sizes"][s]) for s in sorted(run["sizes"], key=int)}
    xlo, xhi = _log_range([float(n) for n in figures], pad=0.12)
    rows = max(len(lines) for _, _, lines in PANELS)
    width, height = PANEL_WIDTH * len(PANELS), HEADING_HEIGHT + PANEL_HEIGHT
    root = ElementTree.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "font-family": FONT,
        },
    )
    caption = ElementTree.SubElement(root, "title")
    caption.text = "kb scaling: build time and query p95 against the number of records (log–log)"
    ElementTree.SubElement(root, "rect", {"width": str(width), "height": str(height), "fill": "white"})
    heading = ElementTree.SubElement(
        root,
        "text",
        {"x": str(width / 2), "y": "22", "text-anchor": "middle", "font-size": "15", "font-weight": "bold"},
    )
    heading.text = f"How cost grows with the number of records (log–log; {run['commit'][:12]}, {run['date']})"
    for index, (title, unit, lines) in enumerate(PANELS):
        points = [[(n, f[key]) for n, f in figures.items() if f.get(key)] for _, _, _, key, _ in lines]
        ylo, yhi = _log_range([y for line in points for _, y in line if y > 0] or [1.0], decades=True)
        decades = [10.0**e for e in range(int(ylo), int(yhi) + 1)]
        chart_id = f"scaling-{index}"
        # pygal draws its lines 1 px wide and gives the dots their line's dashes; a hollow dot is white inside
        css = f"#chart-{chart_id} .series .line {{stroke-width: 2px; stroke-opacity: 1}} "
        css += f"#chart-{chart_id} .dot {{stroke-dasharray: none}} "
        for i, line in enumerate(lines):
            if line[4]:
                css += f"#chart-{chart_id} .serie-{i} .dot, #chart-{chart_id} #activate-serie-{i} rect "
                css += "{fill: white; stroke-width: 1.5px} "
        chart = pygal.XY(
            js=[],
            css=["file://style.css", "file://graph.css", "inline:" + css],
            style=Style(
                background="white",
                plot_background="white",
                foreground="#333",
                foreground_strong="#111",
                foreground_subtle="#ccc",
                opacity="1",
                opacity_hover="1",
                colors=tuple(line[1] for line in lines),
                font_family=FONT,
                title_font_size=13,
                label_font_size=12,
                major_label_font_size=12,
                legend_font_size=12,
                guide_stroke_color="#eee",
                guide_stroke_dasharray="none",
                major_guide_stroke_color="#ccc",
                major_guide_stroke_dasharray="none",
            ),
            width=PANEL_WIDTH,
            height=PANEL_HEIGHT,
            explicit_size=True,
            logarithmic=True,
            title=title,
            x_title="records in the KB (log scale)",
            y_title=f"{unit} (log scale)",
            x_labels=list(figures),
            xrange=(10**xlo, 10**xhi),
            # a hair above the top label: pygal leaves out a y label drawn exactly at the top edge (y == 0)
            range=(10**ylo, 10**yhi * 1.001),
            y_labels=[m * d for d in decades for m in (1, 2, 5) if ylo <= math.log10(m * d) <= yhi],
            y_labels_major=decades,
            x_value_formatter=_num,
            value_formatter=_num,
            show_x_guides=True,
            show_minor_y_labels=True,
            dots_size=3.5,
            legend_at_bottom=True,
            legend_at_bottom_columns=1,
            truncate_legend=-1,
            truncate_label=-1,
            # the same plot height in both panels, whatever the number of lines in their legends
            margin_bottom=20 + (rows - len(lines)) * LEGEND_ROW,
            no_data_text="not measured",
        )
        chart.uuid = chart_id  # the id its CSS is scoped to: fixed, so that the SVG only changes with the run
        for (name, _, dash, _, _), line in zip(lines, points, strict=True):
            stroke = {"width": 2, "dasharray": dash} if dash else {"width": 2}
            chart.add(name if line else f"{name} (not measured)", line, stroke_style=stroke)
        panel = chart.render_tree()
        for parent in panel.iter():
            for child in list(parent):
                if child.tag is ElementTree.Comment or (isinstance(child.tag, str) and child.tag.endswith("script")):
                    parent.remove(child)  # pygal's comments hold links to its site; its script is for tooltips
        del panel.attrib["xmlns"]
        panel.set("x", str(index * PANEL_WIDTH))
        panel.set("y", str(HEADING_HEIGHT))
        root.append(panel)
    return ElementTree.tostring(root, encoding="unicode") + "\n"


def _log_range(values: list[float], pad: float = 0.0, decades: bool = False) -> tuple[float, float]:
    lo, hi = math.log10(min(values)), math.log10(max(values))
    if decades:
        lo, hi = math.floor(lo), math.ceil(hi)
        if lo == hi:
            hi = lo + 1
        return lo, hi
    if hi - lo < 0.5:
        middle = (hi + lo) / 2
        lo, hi = middle - 0.5, middle + 0.5
    return lo - pad, hi + pad


def _num(value: float) -> str:
    if value >= 1000 and value == int(value) and value % 1000 == 0:
        return f"{value / 1000:g}k"
    return f"{value:g}"
